"""``--engine dask``: the exact audit over a partitioned Parquet dataset, on a Dask cluster.

The driver (this module) plans the passes of :mod:`labelaudit.core.partials` and merges their
results; every pass is one task per partition (:mod:`labelaudit.pipeline.dask_tasks`), which
reads its own file. The driver only ever holds N-vectors (labels, self-confidence, scores,
candidate margins, one tied cell's margins) and K x K matrices, never the (N, K) table; no
worker holds more than its partitions' rows. Results equal the local engine's bit for bit
(docs/exactness.md, "The Dask engine").
"""

from __future__ import annotations

import glob
import os
import shutil
import uuid
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
        with client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False},
        ) as cluster,
        Client(cluster, set_as_default=False, direct_to_workers=True) as client,
    ):
        yield client


# --- the dataset --------------------------------------------------------------------------------


def partition_paths(source: Path) -> list[Path]:
    """The partitions of a dataset: a folder's ``*.parquet`` files, a glob's matches, or one
    file; sorted by path, which is the global row order (then row order within each file)."""
    text = str(source)
    if any(char in text for char in "*?["):
        paths = [Path(p) for p in glob.glob(text) if p.endswith(".parquet")]
    elif source.is_dir():
        paths = list(source.glob("*.parquet"))
    elif source.is_file():
        paths = [source]
    else:
        raise InputError(f"{source}: no such file or folder.")
    if not paths:
        raise InputError(f"{source}: no .parquet partitions found.")
    return sorted(paths, key=str)


def dataset_specs(
    source: Path, label_column: str | None, id_column: str | None
) -> list[PartitionSpec]:
    """One spec per partition, after checking that every partition has the first one's schema.

    Probability columns are every numeric column except the label and id columns, in the
    table's order (each names its class, like a local probs table's columns).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from labelaudit.io.labels import resolve_label_column

    paths = partition_paths(source)
    schema = pq.read_schema(paths[0])
    for path in paths[1:]:
        other = pq.read_schema(path)
        if not other.remove_metadata().equals(schema.remove_metadata()):
            raise InputError(
                f"{path}: its columns ({_describe(other)}) differ from those of {paths[0]} "
                f"({_describe(schema)}); every partition must have the same schema."
            )
    label = resolve_label_column(paths[0], schema.names, label_column, id_column)
    if id_column is not None and id_column not in schema.names:
        raise InputError(f"{paths[0]}: no column {id_column!r} (--id-column).")
    probs = []
    for field in schema:
        if field.name in (label, id_column):
            continue
        if not (pa.types.is_integer(field.type) or pa.types.is_floating(field.type)):
            raise InputError(
                f"{paths[0]}: column {field.name!r} is not numeric ({field.type}); every column "
                "except the label and id columns must hold one class's probabilities."
            )
        probs.append(field.name)
    if not probs:
        raise InputError(f"{paths[0]}: has no probability columns (one numeric column per class).")
    return [PartitionSpec(path, label, id_column, tuple(probs)) for path in paths]


def _describe(schema: Any) -> str:
    return ", ".join(f"{field.name}: {field.type}" for field in schema)


# --- statistics -----------------------------------------------------------------------------------


@dataclass
class MergedStats:
    """The global statistics the driver builds from the partitions' partials.

    It has the fields of :class:`~labelaudit.core.counting.LabelStats` that the health report
    and prune-by-class read; its N-vectors are labels and self-confidence only.
    """

    n_examples: int
    n_classes: int
    labels: np.ndarray
    self_confidence: np.ndarray
    class_counts: np.ndarray
    thresholds: np.ndarray
    confident_joint: np.ndarray
    calibrated_joint: np.ndarray
    num_label_issues: int
    rows_per_partition: list[int]
    classes: list[Any]


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


def _gather_self_confidence(
    client: Any, specs: list[PartitionSpec]
) -> tuple[np.ndarray, np.ndarray, list[int], list[Any]]:
    """Pass 1: labels and self-confidence of every row, written in place in global row order."""
    from labelaudit.pipeline.dask_tasks import row_count_task, self_confidence_task

    rows = client.gather(client.map(row_count_task, specs, pure=False))
    if sum(rows) == 0:
        raise InputError(f"{specs[0].path.parent}: the dataset has no rows.")
    starts = np.concatenate(([0], np.cumsum(rows)))
    labels = self_confidence = None
    classes: list[Any] | None = None
    for p, (part_labels, part_scores, part_classes) in stream(
        client, client.map(self_confidence_task, specs, pure=False)
    ):
        if labels is None or self_confidence is None:
            labels = np.empty(starts[-1], dtype=part_labels.dtype)
            self_confidence = np.empty(starts[-1], dtype=part_scores.dtype)
        if part_labels.shape[0] != rows[p]:
            raise InputError(f"{specs[p].path}: changed while it was read.")
        labels[starts[p] : starts[p + 1]] = part_labels
        self_confidence[starts[p] : starts[p + 1]] = part_scores
        if part_labels.shape[0] and classes is None:
            classes = part_classes  # an empty partition's may differ
    assert labels is not None and self_confidence is not None and classes is not None
    return labels, self_confidence, rows, classes


def merged_stats(client: Any, specs: list[PartitionSpec]) -> MergedStats:
    """Passes 1 and 2: thresholds from the gathered self-confidence (the local engine's own
    :func:`per_class_thresholds`), then the confident joint as a sum of partition counts."""
    from labelaudit.core.counting import calibrate_confident_joint, per_class_thresholds
    from labelaudit.pipeline.dask_tasks import joint_task

    labels, self_confidence, rows, classes = _gather_self_confidence(client, specs)
    n_classes = len(specs[0].prob_columns)
    thresholds = per_class_thresholds(labels, self_confidence, n_classes)
    joint = partials.JointPartial(np.zeros((n_classes, n_classes), dtype=np.int64))
    futures = client.map(joint_task, specs, thresholds=thresholds, pure=False)
    for _, partial in stream(client, futures):
        joint = joint.merge(partial)
    confident_joint = joint.joint_counts
    diagonal = np.diag_indices(n_classes)
    confident_joint[diagonal] = np.maximum(confident_joint[diagonal], 1)
    class_counts = np.bincount(labels, minlength=n_classes).astype(np.int64)
    return MergedStats(
        n_examples=int(labels.shape[0]),
        n_classes=n_classes,
        labels=labels,
        self_confidence=self_confidence,
        class_counts=class_counts,
        thresholds=thresholds,
        confident_joint=confident_joint,
        calibrated_joint=calibrate_confident_joint(confident_joint, class_counts),
        num_label_issues=joint.n_issues,
        rows_per_partition=rows,
        classes=classes,
    )


def _offsets(stats: MergedStats) -> np.ndarray:
    return np.concatenate(([0], np.cumsum(stats.rows_per_partition)))


def noise_rate_cuts(
    client: Any,
    specs: list[PartitionSpec],
    stats: MergedStats,
    prune_counts: np.ndarray,
    min_examples_per_class: int,
) -> tuple[dict[partials.Cell, partials.CellCut], list[dict[partials.Cell, np.ndarray]]]:
    """Pass 3 (and tied cells): every cell's cut-off, and per partition the tied cells' picks."""
    from labelaudit.pipeline.dask_tasks import candidates_task

    cells = partials.noise_rate_cells(prune_counts, stats.class_counts, min_examples_per_class)
    candidates = client.gather(
        client.map(candidates_task, specs, cells=cells, class_counts=stats.class_counts, pure=False)
    )
    cuts = partials.merge_cell_candidates(candidates, cells, stats.class_counts)
    del candidates
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

    offsets = _offsets(stats)
    per_part = [
        np.bincount(stats.labels[offsets[p] : offsets[p + 1]], minlength=stats.n_classes)
        for p in range(len(specs))
    ]
    picks: list[dict[partials.Cell, np.ndarray]] = [{} for _ in specs]
    for batch in _batches(tied, stats.class_counts):
        margins = client.gather(client.map(margins_task, specs, cells=batch, pure=False))
        for cell in batch:
            selected = partials.tied_cell_selection(
                np.concatenate([m[cell] for m in margins]), cuts[cell].count
            )
            bounds = np.cumsum([0] + [int(c[cell[0]]) for c in per_part])
            for p in range(len(specs)):
                # Positions, not a mask: a mask slice is a view that keeps N_k bools alive per
                # cell, and a position list is as long as the cell's count at most.
                picks[p][cell] = np.flatnonzero(selected[bounds[p] : bounds[p + 1]])
        del margins
    return picks


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


# --- outputs ----------------------------------------------------------------------------------


@contextmanager
def output_folder(path: Path) -> Iterator[Path]:
    """A temporary folder beside *path*, renamed onto it only when everything is written."""
    if path.exists():
        raise InputError(f"-o/--output {path}: already exists; remove it or name a new folder.")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"-o/--output {path}: the folder {parent} does not exist.")
    tmp = parent / f".{path.name}.partial-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
        os.rename(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def part_name(index: int) -> str:
    """``part-00000.parquet`` for the first partition."""
    return f"part-{index:05d}.parquet"


def write_single_file(path: Path, column_blocks: Iterator[dict[str, np.ndarray]]) -> None:
    """Write blocks of output columns, in order, as one Parquet file (atomically)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from labelaudit.io.paths import atomic_path

    with atomic_path(path) as tmp:
        writer = None
        empty = None
        try:
            for columns in column_blocks:
                table = pa.Table.from_arrays(
                    [pa.array(values) for values in columns.values()], names=list(columns)
                )
                if table.num_rows == 0:
                    empty = table if empty is None else empty
                    continue
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema, use_dictionary=_DICTIONARY)
                writer.write_table(table.cast(writer.schema))
            if writer is None and empty is not None:
                writer = pq.ParquetWriter(tmp, empty.schema, use_dictionary=_DICTIONARY)
                writer.write_table(empty)
        finally:
            if writer is not None:
                writer.close()


_DICTIONARY = ["given_label", "predicted_label"]
