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
    class_names: tuple[str, ...]


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
    from labelaudit.io.probs import probs_dtype

    columns = [spec.label_column, *spec.prob_columns]
    if spec.id_column is not None:
        columns.append(spec.id_column)
    table = pq.read_table(spec.path, columns=columns)
    dtype = probs_dtype(table.schema, spec.prob_columns)
    probs = np.empty((table.num_rows, len(spec.prob_columns)), dtype=dtype)
    for index, name in enumerate(spec.prob_columns):
        probs[:, index] = table.column(name).to_numpy().astype(dtype, copy=False)
    values = table.column(spec.label_column).to_pandas()
    ids = table.column(spec.id_column) if spec.id_column is not None else None
    del table
    labels_file = LabelsFile(path=spec.path, values=values, column=spec.label_column, ids=None)
    codes, classes = map_labels(labels_file, list(spec.class_names), spec.path)
    if codes.shape[0]:
        try:
            check_pred_probs(probs)
        except ValueError as exc:
            raise InputError(f"{spec.path}: {exc}") from None
    return Partition(codes, probs, ids, classes)


@dataclass(frozen=True)
class ClassConfidence:
    """Pass 1's result for one partition, kept on its worker: per class, ``p[n, y[n]]`` of the
    rows labelled k in row order (all of them hold the partition's N self-confidences)."""

    values: list[np.ndarray]
    classes: list[Any]
    n_rows: int


def class_confidence_task(spec: PartitionSpec) -> ClassConfidence:
    """Pass 1: the partition's self-confidences, split by given class."""
    part = read_partition(spec)
    scores = partials.self_confidence(part.labels, part.probs)
    order = np.argsort(part.labels, kind="stable")
    bounds = np.searchsorted(part.labels[order], np.arange(len(spec.class_names) + 1))
    values = [scores[order[bounds[k] : bounds[k + 1]]] for k in range(len(spec.class_names))]
    return ClassConfidence(values, part.classes, int(part.labels.shape[0]))


def class_counts_task(result: ClassConfidence) -> tuple[np.ndarray, list[Any], int]:
    """Rows per class of one partition, its classes and its row count (small)."""
    counts = np.array([v.shape[0] for v in result.values], dtype=np.int64)
    return counts, result.classes, result.n_rows


def class_values_task(result: ClassConfidence, k: int) -> np.ndarray:
    """One class's self-confidences of one partition, in row order."""
    return result.values[k]


def row_count_task(spec: PartitionSpec) -> int:
    """Rows of the partition, from its Parquet footer."""
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(spec.path).metadata.num_rows)


def joint_task(spec: PartitionSpec, thresholds: np.ndarray) -> partials.JointPartial:
    """Pass 2: this partition's confident-joint counts, issue count and correct argmaxes."""
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


def labelled_scores_task(spec: PartitionSpec, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Class indices and find-issues' ranking scores of every row of the partition."""
    part = read_partition(spec)
    return part.labels, partition_scores(part, method, None, True)


def quality_sums_task(
    start: np.ndarray, labelled: tuple[np.ndarray, np.ndarray], n_classes: int
) -> np.ndarray:
    """Per-class label-quality sums continued over one partition's rows (in row order)."""
    from labelaudit.pipeline.report import quality_sums

    return quality_sums(labelled[0], labelled[1], n_classes, start)


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
    command : {"find-issues", "score", "report"}
    thresholds : ndarray (K,) or None
        Per-class thresholds (None for ``score`` without adjusted probabilities).
    filter_by, cuts
        find-issues' filter and the prune-by-noise-rate cut-offs per cell.
    method, adjust_pred_probs
        The score that ranks (find-issues) or is written (score).
    all_rows
        find-issues: write every row (is_label_issue marks the issues).
    ranked_parts
        find-issues: a part file lists the partition's issues most likely first (a folder
        output), else in row order (the parts of a one-file output, ranked by the driver).
    """

    command: str
    thresholds: np.ndarray | None
    filter_by: str = "prune_by_noise_rate"
    cuts: dict[partials.Cell, partials.CellCut] | None = None
    method: str = "self_confidence"
    adjust_pred_probs: bool = False
    all_rows: bool = False
    ranked_parts: bool = True


@dataclass(frozen=True)
class PartitionWork:
    """The driver's per-partition inputs to the last pass.

    ``tied`` and ``by_class`` hold, per tied cell and per class k, positions among the
    partition's rows labelled k (prune-by-noise-rate ties, prune-by-class picks); ``selected``
    holds positions among its rows (the ``low_*`` filters).
    """

    offset: int
    tied: dict[partials.Cell, np.ndarray]
    part_path: Path | None = None
    by_class: dict[int, np.ndarray] | None = None
    selected: np.ndarray | None = None
    count_only: bool = False


def _issue_mask(part: Partition, plan: FinishPlan, work: PartitionWork) -> np.ndarray | None:
    """find-issues' flags for the partition (the local ``find_label_issues``, per partition)."""
    facts = partials.joint_partial(part.labels, part.probs, plan.thresholds)
    if plan.filter_by.startswith("low_"):
        return _positions_mask(part.labels.shape[0], work.selected)
    if plan.filter_by == "confident_learning":
        mask = facts.off_diagonal
    elif plan.filter_by == "predicted_neq_given":
        mask = facts.predicted_labels != part.labels
    else:
        mask = None
        if plan.filter_by in ("prune_by_noise_rate", "both"):
            mask = partials.flag_by_noise_rate(part.labels, part.probs, plan.cuts, work.tied)
        if plan.filter_by in ("prune_by_class", "both"):
            by_class = partials.class_positions_mask(part.labels, work.by_class or {})
            mask = by_class if mask is None else mask & by_class
    return mask & ~facts.given_label_is_top


def _positions_mask(n_rows: int, positions: np.ndarray | None) -> np.ndarray:
    mask = np.zeros(n_rows, dtype=bool)
    if positions is not None:
        mask[positions] = True
    return mask


def finish_task(spec: PartitionSpec, plan: FinishPlan, work: PartitionWork) -> dict[str, Any]:
    """Last pass: flags and scores of the partition; writes its part file when asked.

    Returns what the driver's document needs, left on the worker for the driver to fetch
    parts of (:func:`result_field`, :func:`result_rows`): for find-issues the flagged rows
    (global positions), their scores, labels, predictions and ids, and their count per class
    (only their count with ``work.count_only``); for score every row's score, label and
    prediction; for report also the label-quality histograms.
    """
    from labelaudit.core.counting import predicted_labels
    from labelaudit.core.ranking import order_label_issues

    part = read_partition(spec)
    n_rows = part.labels.shape[0]
    mask = _issue_mask(part, plan, work) if plan.command != "score" else None
    if work.count_only:
        return {"n_rows": n_rows, "n_issues": int(np.count_nonzero(mask))}
    thresholds = plan.thresholds if plan.adjust_pred_probs else None
    scores = partition_scores(part, plan.method, thresholds, plan.command != "score")
    if n_rows:
        predicted = predicted_labels(part.probs, n_threads=1)
    else:
        predicted = np.zeros(0, dtype=np.int8)
    facts = {
        "classes": part.classes,
        "labels": part.labels,
        "predicted": predicted,
        "scores": scores,
        "ids": part.ids,
        "id_column": spec.id_column,
    }
    del part
    result: dict[str, Any] = {"n_rows": n_rows, "classes": facts["classes"]}
    if plan.command == "report":
        from labelaudit.pipeline.report import quality_histograms

        n_classes = len(spec.class_names)
        result["histograms"] = quality_histograms(facts["labels"], scores, mask, n_classes)
    written: np.ndarray | int = n_rows
    if mask is not None:
        issues = np.flatnonzero(mask)
        result.update(_subset(facts, issues), rows=issues + work.offset)
        result["by_class"] = np.bincount(facts["labels"][issues], minlength=len(spec.class_names))
        if not plan.all_rows:
            written = order_label_issues(mask, scores) if plan.ranked_parts else issues
    else:
        result.update(_subset(facts, None))

    def columns_for(rows: np.ndarray | slice) -> dict[str, Any]:
        """The local engine's Parquet output columns for *rows*, ``row`` made global."""
        from labelaudit.pipeline.audit import rows_columns

        columns = rows_columns(rows, is_label_issue=mask, arrow=True, **facts)
        columns["row"] = columns["row"] + work.offset
        return columns

    if work.part_path is not None:
        _write_part(work.part_path, written, columns_for)
    return result


def result_field(result: dict[str, Any], name: str) -> Any:
    """One field of a :func:`finish_task` result (fetched without the rest)."""
    return result[name]


def result_rows(result: dict[str, Any], positions: np.ndarray) -> dict[str, Any]:
    """The flagged rows at *positions* (among the partition's flagged rows) of a result."""
    picked = _subset(result, positions)
    picked["rows"] = result["rows"][positions]
    return picked


def _subset(facts: dict[str, Any], rows: np.ndarray | None) -> dict[str, Any]:
    """Scores, labels, predictions and ids of *rows* (every row when None)."""
    if rows is None:
        return {name: facts[name] for name in ("scores", "labels", "predicted", "ids")}
    ids = facts["ids"]
    return {
        "scores": facts["scores"][rows],
        "labels": facts["labels"][rows],
        "predicted": facts["predicted"][rows],
        "ids": None if ids is None else ids.take(rows),
    }


def _write_part(path: Path, rows: np.ndarray | int, columns_for: Any) -> None:
    """Write one part file (inside the output's temporary folder), as the local engine's -o."""
    from labelaudit.io.tables import write_rows
    from labelaudit.pipeline.audit import LABEL_COLUMNS

    write_rows(path, rows, columns_for, dictionary_columns=LABEL_COLUMNS)
