"""``--engine dask``: the exact audit over a partitioned Parquet dataset, on a Dask cluster.

The driver (this module) plans the passes of :mod:`labelaudit.core.partials` and merges their
results; every pass is one task per partition (:mod:`labelaudit.pipeline.dask_tasks`), which
reads its own file. The driver only ever holds N-vectors (labels, self-confidence, scores,
candidate margins, one tied cell's margins) and K x K matrices, never the (N, K) table; no
worker holds more than its partitions' rows. Results equal the local engine's bit for bit
(docs/exactness.md, "The Dask engine").
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.core import partials
from labelaudit.errors import InputError
from labelaudit.pipeline.dask_tasks import PartitionSpec

INSTALL_HINT = "--engine dask needs the 'dask' extra: pip install 'labelaudit[dask]'"
CONNECT_TIMEOUT = 5
"""Seconds to wait for ``--scheduler`` before giving up."""

TIED_BATCH_ELEMENTS = 10_000_000
"""Margins of tied cells gathered on the driver at once (at most max(this, largest class))."""


@contextmanager
def dask_client(scheduler: str | None) -> Iterator[Any]:
    """A client of the cluster at *scheduler*, or of a LocalCluster sized to the machine.

    The LocalCluster has one single-threaded worker process per core and is closed on exit
    and on errors. An unreachable scheduler fails within ``CONNECT_TIMEOUT`` seconds.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError(INSTALL_HINT) from None
    if scheduler is not None:
        try:
            # Results come straight from the workers, not through the scheduler (which would
            # then hold a copy of every gathered N-vector).
            client = Client(
                scheduler,
                timeout=CONNECT_TIMEOUT,
                set_as_default=False,
                direct_to_workers=True,
            )
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                f"--scheduler {scheduler}: no Dask scheduler answered within "
                f"{CONNECT_TIMEOUT} s ({type(exc).__name__}). Start one with "
                "`dask scheduler --host 127.0.0.1` and workers with `dask worker ADDRESS`, "
                "or omit --scheduler for a local cluster."
            ) from None
        with client, cluster_errors():
            yield client
        return
    with (
        LocalCluster(
            n_workers=os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # its HTTP routes on a free port, no dashboard
            scheduler_kwargs={"dashboard": False},
        ) as cluster,
        Client(cluster, set_as_default=False, direct_to_workers=True) as client,
        cluster_errors(),
    ):
        yield client


@contextmanager
def cluster_errors() -> Iterator[None]:
    """The cluster's own failures (a worker lost too often, a closed connection) as an
    ``Error:`` line; the tasks' errors (``InputError`` naming a partition) pass unchanged."""
    try:
        yield
    except InputError:
        raise
    except Exception as exc:
        if not type(exc).__module__.startswith("distributed"):
            raise
        try:
            detail = ": " + " ".join(str(exc).split())[:160]
        except Exception:  # an exception whose text cannot be made
            detail = ""
        raise InputError(
            f"the Dask cluster failed ({type(exc).__name__}{detail}); nothing was written. "
            "Check the workers (memory, logs) and run again."
        ) from None


# --- the dataset --------------------------------------------------------------------------------


def dataset_specs(
    source: Path, label_column: str | None, id_column: str | None, prob_columns: str | None
) -> list[PartitionSpec]:
    """One spec per partition (the local engine's file order), after checking that every
    partition has the first one's schema (:mod:`labelaudit.io.sources`).

    Probability columns are those *prob_columns* matches, else every numeric column except the
    label and id columns, in the table's order (as the local engine reads a labels table).
    """
    from labelaudit.io.labels import resolve_label_column
    from labelaudit.io.probs import probability_columns
    from labelaudit.io.sources import resolve_source

    dataset = resolve_source(source, "labels")
    if dataset.kind != "parquet":
        raise InputError(
            f"{source}: --engine dask reads a partitioned Parquet dataset (a folder or glob of "
            ".parquet files)."
        )
    schema = dataset.schema()
    label = resolve_label_column(dataset.path, schema.names, label_column, id_column)
    if id_column is not None and id_column not in schema.names:
        raise InputError(f"{dataset.path}: no column {id_column!r} (--id-column).")
    exclude = [name for name in (label, id_column) if name is not None]
    probs = probability_columns(
        dataset, schema, exclude=exclude, pattern=prob_columns, strict=prob_columns is None
    )
    return [
        PartitionSpec(path, label, id_column, tuple(probs.columns), tuple(probs.class_names))
        for path in dataset.paths
    ]


# --- statistics -----------------------------------------------------------------------------------


@dataclass
class MergedStats:
    """The global statistics the driver builds from the partitions' partials: O(P K + K^2).

    It has the fields of :class:`~labelaudit.core.counting.LabelStats` that the health report
    reads; no N-vector. ``confidence`` are pass 1's results, left on the workers (one future per
    partition: its self-confidences by class) for the passes that need a class's values.
    """

    n_examples: int
    n_classes: int
    class_counts: np.ndarray
    thresholds: np.ndarray
    confident_joint: np.ndarray
    calibrated_joint: np.ndarray
    num_label_issues: int
    n_correct: int
    class_rows: np.ndarray
    classes: list[Any]
    confidence: list[Any]

    @property
    def offsets(self) -> np.ndarray:
        """First global row of each partition, and N."""
        return np.concatenate(([0], np.cumsum(self.class_rows.sum(axis=1))))


def stream(client: Any, futures: list[Any]) -> Iterator[tuple[int, Any]]:
    """``(partition index, result)`` as tasks finish; each result is dropped from its worker
    once fetched, so neither side holds every partition's result at once."""
    from distributed import as_completed

    index = {future.key: position for position, future in enumerate(futures)}
    for future in as_completed(futures, loop=client.loop):
        result = future.result()
        position = index[future.key]
        future.release()
        yield position, result


def class_values(client: Any, stats: MergedStats, k: int) -> np.ndarray:
    """Class k's self-confidences in global row order (N_k values), fetched from pass 1."""
    from labelaudit.pipeline.dask_tasks import class_values_task

    parts = client.gather(client.map(class_values_task, stats.confidence, k=k, pure=False))
    return np.concatenate(parts)


def merged_stats(client: Any, specs: list[PartitionSpec], filter_by: str = "") -> MergedStats:
    """Passes 1 and 2: each class's threshold from its self-confidences in row order (the
    local engine's mean, bit for bit), then the confident joint as a sum of partition counts.

    Pass 1's results stay on the workers only for *filter_by* ``prune_by_class`` or ``both``,
    which pick rows from them; otherwise they are released once the thresholds are known."""
    from labelaudit.core.counting import calibrate_confident_joint, class_threshold, thresholds_of
    from labelaudit.pipeline.dask_tasks import class_confidence_task, class_counts_task, joint_task

    confidence = client.map(class_confidence_task, specs, pure=False)
    counted = client.gather(client.map(class_counts_task, confidence, pure=False))
    class_rows = np.array([counts for counts, _, _ in counted], dtype=np.int64)
    if class_rows.sum() == 0:
        raise InputError(f"{specs[0].path.parent}: the dataset has no rows.")
    classes = next(classes for _, classes, n_rows in counted if n_rows)  # not an empty one's
    n_classes = len(specs[0].prob_columns)
    stats = MergedStats(
        n_examples=int(class_rows.sum()),
        n_classes=n_classes,
        class_counts=class_rows.sum(axis=0),
        thresholds=np.zeros(n_classes),
        confident_joint=np.zeros((n_classes, n_classes), dtype=np.int64),
        calibrated_joint=np.zeros((n_classes, n_classes), dtype=np.int64),
        num_label_issues=0,
        n_correct=0,
        class_rows=class_rows,
        classes=classes,
        confidence=confidence,
    )
    stats.thresholds = thresholds_of(
        [class_threshold(class_values(client, stats, k)) for k in range(n_classes)]
    )
    if filter_by not in ("prune_by_class", "both"):
        for future in confidence:
            future.release()
        stats.confidence = []
    joint = partials.JointPartial(np.zeros((n_classes, n_classes), dtype=np.int64))
    futures = client.map(joint_task, specs, thresholds=stats.thresholds, pure=False)
    for _, partial in stream(client, futures):
        joint = joint.merge(partial)
    confident_joint = joint.joint_counts
    diagonal = np.diag_indices(n_classes)
    confident_joint[diagonal] = np.maximum(confident_joint[diagonal], 1)
    stats.confident_joint = confident_joint
    stats.calibrated_joint = calibrate_confident_joint(confident_joint, stats.class_counts)
    stats.num_label_issues = joint.n_issues
    stats.n_correct = joint.n_correct
    return stats


def noise_rate_cuts(
    client: Any,
    specs: list[PartitionSpec],
    stats: MergedStats,
    prune_counts: np.ndarray,
    min_examples_per_class: int,
) -> tuple[dict[partials.Cell, partials.CellCut], list[dict[partials.Cell, np.ndarray]]]:
    """Pass 3 (and tied cells): every cell's cut-off, and per partition the tied cells' picks.

    The candidates are folded as they arrive (:func:`partials.merge_candidates`): the driver
    holds at most twice each cell's ``count + 1`` margins."""
    from labelaudit.pipeline.dask_tasks import candidates_task

    cells = partials.noise_rate_cells(prune_counts, stats.class_counts, min_examples_per_class)
    futures = client.map(
        candidates_task, specs, cells=cells, class_counts=stats.class_counts, pure=False
    )
    merged: dict[partials.Cell, np.ndarray] = {}
    for _, candidates in stream(client, futures):
        merged = partials.merge_candidates(merged, candidates, cells)
    cuts = partials.merge_cell_candidates([merged], cells, stats.class_counts)
    del merged
    tied = [cell for cell, cut in cuts.items() if cut.tied]
    return cuts, tied_selections(client, specs, stats, cuts, tied)


def tied_selections(
    client: Any,
    specs: list[PartitionSpec],
    stats: MergedStats,
    cuts: dict[partials.Cell, partials.CellCut],
    tied: list[partials.Cell],
) -> list[dict[partials.Cell, np.ndarray]]:
    """For each tied cell, gather its class's margins in global row order (N_k values), apply
    ``argsort(-margin)[:count]`` and split the picks by partition; a batch of cells at a time."""
    from labelaudit.pipeline.dask_tasks import margins_task

    picks: list[dict[partials.Cell, np.ndarray]] = [{} for _ in specs]
    for batch in _batches(tied, stats.class_counts):
        margins = client.gather(client.map(margins_task, specs, cells=batch, pure=False))
        for cell in batch:
            selected = partials.tied_cell_selection(
                np.concatenate([m[cell] for m in margins]), cuts[cell].count
            )
            shares = partials.split_by_partition(
                np.flatnonzero(selected), list(stats.class_rows[:, cell[0]])
            )
            for p, share in enumerate(shares):
                picks[p][cell] = share
        del margins
    return picks


def by_class_selections(
    client: Any, stats: MergedStats, prune_counts: np.ndarray, min_examples_per_class: int
) -> list[dict[int, np.ndarray]]:
    """prune-by-class: in each class k, the ``n_k - M[k, k]`` rows of smallest ``p[k]`` (the
    core's ``select_smallest`` on the class's values in row order), split by partition."""
    from labelaudit.core._arrays import select_smallest

    picks: list[dict[int, np.ndarray]] = [{} for _ in stats.confidence]
    for k in range(stats.n_classes):
        n_rows = int(stats.class_counts[k])
        count = n_rows - int(prune_counts[k, k])
        if n_rows <= min_examples_per_class or count < 1:
            continue
        selected = select_smallest(class_values(client, stats, k), count)
        shares = partials.split_by_partition(selected, list(stats.class_rows[:, k]))
        for p, share in enumerate(shares):
            picks[p][k] = share
    return picks


def lowest_selections(
    client: Any, specs: list[PartitionSpec], stats: MergedStats, method: str
) -> list[np.ndarray]:
    """The ``low_*`` filters: the ``num_label_issues`` lowest scores over all rows, as each
    partition's positions. The driver holds the N scores (these filters only)."""
    from labelaudit.core._arrays import select_smallest
    from labelaudit.pipeline.dask_tasks import scores_task

    offsets = stats.offsets
    scores = None
    futures = client.map(
        scores_task, specs, method=method, thresholds=None, self_as_input=False, pure=False
    )
    for p, part in stream(client, futures):
        if scores is None:
            scores = np.empty(stats.n_examples, dtype=part.dtype)
        scores[offsets[p] : offsets[p + 1]] = part
    assert scores is not None
    selected = select_smallest(scores, stats.num_label_issues)
    del scores
    cuts = np.searchsorted(selected, offsets)
    return [selected[cuts[p] : cuts[p + 1]] - offsets[p] for p in range(len(specs))]


def _batches(cells: list[partials.Cell], class_counts: np.ndarray) -> list[list[partials.Cell]]:
    """Consecutive groups of tied cells of about TIED_BATCH_ELEMENTS margins each."""
    batches: list[list[partials.Cell]] = []
    size = 0
    for cell in cells:
        if not batches or size + class_counts[cell[0]] > TIED_BATCH_ELEMENTS:
            batches.append([])
            size = 0
        batches[-1].append(cell)
        size += int(class_counts[cell[0]])
    return [b for b in batches if b]
