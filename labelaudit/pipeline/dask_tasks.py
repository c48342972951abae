"""What each Dask task does to its own partition: read it, then one pass of the exact map-reduce.

These functions run on the workers. Each reads only its own Parquet file (only the needed
columns, with pyarrow) and returns per-row N-vectors or per-partition partials, never its
``(rows, K)`` probabilities. The driver side is :mod:`labelaudit.pipeline.dask_engine`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.core import partials
from labelaudit.errors import InputError


@dataclass(frozen=True)
class PartitionSpec:
    """One input partition and how to read it (the same for every partition of a dataset)."""

    path: Path
    label_column: str
    id_column: str | None
    prob_columns: tuple[str, ...]


@dataclass(frozen=True)
class Partition:
    """One partition, read and validated: class indices, probabilities, ids (or None)."""

    labels: np.ndarray
    probs: np.ndarray
    ids: Any
    classes: list[Any]


def read_partition(spec: PartitionSpec) -> Partition:
    """Read the label, id and probability columns of one file; map labels; validate rows.

    The probabilities are float32 when every class column is, else float64 (as the local
    engine reads a table). Errors name the file.
    """
    import pyarrow.parquet as pq

    from labelaudit.core.validation import check_pred_probs
    from labelaudit.io.labels import LabelsFile, map_labels

    columns = [spec.label_column, *spec.prob_columns]
    if spec.id_column is not None:
        columns.append(spec.id_column)
    table = pq.read_table(spec.path, columns=columns)
    types = [table.schema.field(name).type for name in spec.prob_columns]
    dtype = np.float32 if all(str(t) == "float" for t in types) else np.float64
    probs = np.empty((table.num_rows, len(spec.prob_columns)), dtype=dtype)
    for index, name in enumerate(spec.prob_columns):
        probs[:, index] = table.column(name).to_numpy().astype(dtype, copy=False)
    values = table.column(spec.label_column).to_pandas()
    ids = table.column(spec.id_column).to_pandas() if spec.id_column is not None else None
    del table
    labels_file = LabelsFile(path=spec.path, values=values, column=spec.label_column, ids=None)
    codes, classes = map_labels(labels_file, list(spec.prob_columns), spec.path)
    if codes.shape[0]:
        try:
            check_pred_probs(probs)
        except ValueError as exc:
            raise InputError(f"{spec.path}: {exc}") from None
    return Partition(codes, probs, ids, classes)


def self_confidence_task(spec: PartitionSpec) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Pass 1: class indices and ``p[n, y[n]]`` of every row (N-vectors), and the classes."""
    part = read_partition(spec)
    return part.labels, partials.self_confidence(part.labels, part.probs), part.classes


def row_count_task(spec: PartitionSpec) -> int:
    """Rows of the partition, from its Parquet footer."""
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(spec.path).metadata.num_rows)


def joint_task(spec: PartitionSpec, thresholds: np.ndarray) -> partials.JointPartial:
    """Pass 2: this partition's confident-joint counts and issue count."""
    part = read_partition(spec)
    return partials.joint_partial(part.labels, part.probs, thresholds).partial


def candidates_task(
    spec: PartitionSpec, cells: dict[partials.Cell, int], class_counts: np.ndarray
) -> dict[partials.Cell, np.ndarray]:
    """Pass 3: per prune cell, this partition's ``count + 1`` largest margins."""
    part = read_partition(spec)
    return partials.cell_candidates(part.labels, part.probs, cells, class_counts)


def margins_task(
    spec: PartitionSpec, cells: list[partials.Cell]
) -> dict[partials.Cell, np.ndarray]:
    """For tied cells only: every margin of the cell's class in this partition, in row order."""
    part = read_partition(spec)
    return {(k, j): partials.cell_margins(part.labels, part.probs, k, j) for k, j in cells}


def scores_task(
    spec: PartitionSpec, method: str, thresholds: np.ndarray | None, self_as_input: bool
) -> np.ndarray:
    """Label quality of every row of the partition, as the local engine computes it.

    With *self_as_input* the self-confidence scores keep the input dtype (find-issues ranks
    them so); otherwise scores are float64 (``label_quality_scores``).
    """
    part = read_partition(spec)
    return partition_scores(part, method, thresholds, self_as_input)


def partition_scores(
    part: Partition, method: str, thresholds: np.ndarray | None, self_as_input: bool
) -> np.ndarray:
    """Scores of one read partition (see :func:`scores_task`)."""
    from labelaudit.core.ranking import label_quality_scores

    if method == "self_confidence" and thresholds is None and self_as_input:
        return partials.self_confidence(part.labels, part.probs)
    if part.labels.shape[0] == 0:
        return np.zeros(0, dtype=np.float64)
    stats = _ThresholdsOnly(thresholds) if thresholds is not None else None
    return label_quality_scores(
        part.labels,
        part.probs,
        method=method,
        adjust_pred_probs=thresholds is not None,
        stats=stats,  # type: ignore[arg-type]
        assume_valid=True,
    )


@dataclass(frozen=True)
class _ThresholdsOnly:
    """The one field of ``LabelStats`` that adjusted scores read."""

    thresholds: np.ndarray


@dataclass(frozen=True)
class FinishPlan:
    """What the last pass needs from the driver, the same for every partition.

    Attributes
    ----------
    command : {"find-issues", "score"}
    thresholds : ndarray (K,) or None
        Per-class thresholds (None for ``score`` without adjusted probabilities).
    filter_by, cuts
        find-issues' filter and the prune-by-noise-rate cut-offs per cell.
    method, adjust_pred_probs
        The score that ranks (find-issues) or is written (score).
    all_rows
        find-issues: write every row (is_label_issue marks the issues).
    """

    command: str
    thresholds: np.ndarray | None
    filter_by: str = "prune_by_noise_rate"
    cuts: dict[partials.Cell, partials.CellCut] | None = None
    method: str = "self_confidence"
    adjust_pred_probs: bool = False
    all_rows: bool = False


@dataclass(frozen=True)
class PartitionWork:
    """The driver's per-partition inputs to the last pass."""

    offset: int
    tied: dict[partials.Cell, np.ndarray]
    preselected: np.ndarray | None
    part_path: Path | None
    return_columns: bool


def _issue_mask(part: Partition, plan: FinishPlan, work: PartitionWork) -> np.ndarray | None:
    """find-issues' flags for the partition (the local ``find_label_issues``, per partition)."""
    facts = partials.joint_partial(part.labels, part.probs, plan.thresholds)
    if plan.filter_by.startswith("low_"):
        return work.preselected
    if plan.filter_by == "confident_learning":
        mask = facts.off_diagonal
    elif plan.filter_by == "predicted_neq_given":
        mask = facts.predicted_labels != part.labels
    else:
        mask = None
        if plan.filter_by in ("prune_by_noise_rate", "both"):
            mask = partials.flag_by_noise_rate(part.labels, part.probs, plan.cuts, work.tied)
        if plan.filter_by in ("prune_by_class", "both"):
            by_class = work.preselected
            mask = by_class if mask is None else mask & by_class
    return mask & ~facts.given_label_is_top


def finish_task(spec: PartitionSpec, plan: FinishPlan, work: PartitionWork) -> dict[str, Any]:
    """Last pass: flags and scores of the partition; writes its part file when asked.

    Returns the N-vectors the driver's document needs: for find-issues the flagged rows (global
    positions), their scores, labels, predictions and ids; for score every row's score.
    With ``work.return_columns``, also the partition's output columns (single-file output).
    """
    from labelaudit.core.counting import predicted_labels
    from labelaudit.core.ranking import order_label_issues

    part = read_partition(spec)
    n_rows = part.labels.shape[0]
    thresholds = plan.thresholds if plan.adjust_pred_probs else None
    scores = partition_scores(part, plan.method, thresholds, plan.command == "find-issues")
    if n_rows:
        predicted = predicted_labels(part.probs, n_threads=1)
    else:
        predicted = np.zeros(0, dtype=np.int8)
    mask = _issue_mask(part, plan, work) if plan.command == "find-issues" else None
    facts = {
        "classes": part.classes,
        "labels": part.labels,
        "predicted": predicted,
        "scores": scores,
        "ids": part.ids,
        "id_column": spec.id_column,
    }
    result: dict[str, Any] = {"n_rows": n_rows, "classes": part.classes}
    if mask is not None:
        issues = np.flatnonzero(mask)
        result.update(
            rows=issues + work.offset,
            scores=scores[issues],
            labels=part.labels[issues],
            predicted=predicted[issues],
            ids=None if part.ids is None else part.ids.iloc[issues].reset_index(drop=True),
        )
        written = n_rows if plan.all_rows else order_label_issues(mask, scores)
    else:
        result.update(scores=scores, labels=part.labels, predicted=predicted, ids=part.ids)
        written = n_rows
    if work.part_path is not None or work.return_columns:
        columns = _columns(written, facts, mask, work.offset)
        if work.part_path is not None:
            _write_part(work.part_path, columns)
        if work.return_columns:
            result["columns"] = columns
    return result


def _columns(
    rows: np.ndarray | int, facts: dict[str, Any], mask: np.ndarray | None, offset: int
) -> dict[str, np.ndarray]:
    """The local engine's output columns for *rows* of the partition, ``row`` made global."""
    from labelaudit.report.documents import label_rows_columns

    selection = slice(0, rows) if isinstance(rows, int) else rows
    columns = label_rows_columns(selection, is_label_issue=mask, **facts)
    columns["row"] = columns["row"] + offset
    for name, values in columns.items():
        if values.dtype == object and values.shape[0] == 0:
            # No value tells an empty object column's type; class names and ids are strings.
            columns[name] = np.array([], dtype=str)
    return columns


def _write_part(path: Path, columns: dict[str, np.ndarray]) -> None:
    """Write one part file (inside the output's temporary folder)."""
    from labelaudit.io.tables import write_rows

    n_rows = len(columns["row"])
    write_rows(
        path,
        n_rows,
        lambda block: {name: values[block] for name, values in columns.items()},
        dictionary_columns=("given_label", "predicted_label"),
    )
