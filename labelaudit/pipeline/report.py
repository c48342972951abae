"""The report use case: one audit of the inputs, as a document for people, written as HTML.

It reuses the audit's steps (:func:`~labelaudit.pipeline.audit.flag_issues` and
:func:`~labelaudit.pipeline.audit.quality_scores`, the core's health report on the same
statistics) on inputs loaded once, so its numbers are find-issues' and health's numbers. The
document is JSON-ready; :mod:`labelaudit.report.html` renders it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labelaudit import __version__
from labelaudit.errors import InputError
from labelaudit.pipeline.audit import AuditSources, flag_issues, quality_scores
from labelaudit.pipeline.ci import command_line
from labelaudit.pipeline.options import IssueOptions, ReportOptions

if TYPE_CHECKING:
    import numpy as np

    from labelaudit.core.counting import LabelStats
    from labelaudit.core.health import HealthReport
    from labelaudit.io.data import DataColumns
    from labelaudit.io.inputs import AuditInputs

HTML_SUFFIXES = (".html", ".htm")
MAX_HEATMAP_CLASSES = 20
"""Above this many classes the heatmap shows the classes of the largest confusions only."""
MAX_HISTOGRAMS = 20
"""Label-quality histograms drawn (the classes with the lowest label quality first)."""
MAX_PAIRS = 12
"""Confusions and overlapping class pairs listed."""
N_BINS = 20


__all__ = ["AuditNumbers", "IssueOptions", "ReportOptions", "report", "write_report"]


@dataclass(frozen=True)
class _Audit:
    """What one pass over the inputs found."""

    stats: LabelStats
    is_issue: np.ndarray
    scores: np.ndarray
    ranked: np.ndarray
    health: HealthReport


@dataclass(frozen=True)
class AuditNumbers:
    """Everything the report shows, from either engine: O(K^2) numbers and the top rows.

    ``quality_sum`` is each class's label quality summed in row order; ``histograms`` are
    :func:`quality_histograms` (every row, flagged rows); ``top_records`` the top flagged rows
    as ``rows_records`` makes them, ``top_rows`` their positions; ``ids`` every row's id (for
    DATA's check; None with the Dask engine, which takes no DATA).
    """

    classes: list[Any]
    health: HealthReport
    n_flagged: int
    flagged: np.ndarray
    quality_sum: np.ndarray
    accuracy: float
    class_counts: np.ndarray
    histograms: tuple[np.ndarray, np.ndarray]
    top_records: list[dict[str, Any]]
    top_rows: list[int]
    ids: Any = None
    id_column: str | None = None


def report(sources: AuditSources, options: ReportOptions) -> dict[str, Any]:
    """Audit the inputs and write the HTML report to ``options.output``; the report document.

    Every path is checked before any work (the output's type, that its folder is writable and
    that it is not an input; DATA's id and text columns), and the file is written atomically.

    ``options.data`` is the dataset, one row per label in the same order: its columns are shown
    beside the ``options.top`` flagged rows (most likely errors first); with
    ``sources.id_column``, DATA's ids must equal the labels'. ``options.text_column`` is a
    column of DATA shown in full (needs DATA); ``options.argv`` the command line, shown in the
    report (``sys.argv``).
    """
    from labelaudit.report import html

    html.require_report_extra()
    data_columns = check_paths(sources, options)
    inputs = sources.load(release_pages=False)  # pruning re-reads every row
    numbers = audit_numbers(inputs, _run_audit(inputs, options.issues), options.top)
    del inputs
    inputs_part = {"labels": str(sources.labels), "probs": [str(path) for path in sources.probs]}
    return write_report(numbers, options, inputs=inputs_part, data_columns=data_columns)


def write_report(
    numbers: AuditNumbers,
    options: ReportOptions,
    *,
    inputs: dict[str, Any],
    data_columns: DataColumns | None,
) -> dict[str, Any]:
    """The report document from the audit's numbers (either engine), written as HTML."""
    from labelaudit.io.paths import write_text
    from labelaudit.report import html

    data = options.data
    document = report_document(numbers, options.issues, top=options.top, argv=options.argv)
    document["inputs"] = {**inputs, "data": None if data is None else str(data)}
    document["issues"] = _issue_rows(numbers, data_columns)
    write_text(html.render_report(document), options.output)
    return document


def audit_numbers(inputs: AuditInputs, audit: _Audit, top: int) -> AuditNumbers:
    """The report's numbers from the local engine's inputs and audit."""
    import numpy as np

    from labelaudit.pipeline.audit import rows_records

    labels, n_classes = inputs.labels, inputs.n_classes
    rows = audit.ranked[:top]
    return AuditNumbers(
        classes=inputs.classes,
        health=audit.health,
        n_flagged=int(audit.ranked.shape[0]),
        flagged=np.bincount(labels[audit.is_issue], minlength=n_classes),
        quality_sum=quality_sums(labels, audit.scores, n_classes),
        accuracy=float(np.mean(audit.stats.predicted_labels == labels)),
        class_counts=audit.stats.class_counts,
        histograms=quality_histograms(labels, audit.scores, audit.is_issue, n_classes),
        top_records=rows_records(
            rows,
            classes=inputs.classes,
            labels=labels,
            predicted=audit.stats.predicted_labels,
            scores=audit.scores,
            ids=inputs.ids,
            id_column=inputs.id_column,
        ),
        top_rows=rows.tolist(),
        ids=inputs.ids,
        id_column=inputs.id_column,
    )


def quality_sums(
    labels: np.ndarray, scores: np.ndarray, n_classes: int, start: np.ndarray | None = None
) -> np.ndarray:
    """Label quality summed per class, row by row in float64; continued from *start* (the
    sums of the rows before these), so partitions summed in turn give the whole sum exactly."""
    import numpy as np

    if start is None:
        return np.bincount(labels, weights=scores, minlength=n_classes)
    # Each class's running sum goes first, so its rows are added to it in row order.
    return np.bincount(
        np.concatenate((np.arange(n_classes), labels.astype(np.int64))),
        weights=np.concatenate((start, np.asarray(scores, dtype=np.float64))),
        minlength=n_classes,
    )


def quality_histograms(
    labels: np.ndarray, scores: np.ndarray, is_issue: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Rows per (class, label-quality bin): every row, and flagged rows; (K, N_BINS) each."""
    import numpy as np

    bins = np.clip((np.asarray(scores) * N_BINS).astype(np.int64), 0, N_BINS - 1)
    cells = labels.astype(np.int64) * N_BINS + bins
    size = n_classes * N_BINS
    flagged = np.bincount(cells[is_issue], minlength=size).reshape(n_classes, N_BINS)
    every = np.bincount(cells, minlength=size).reshape(n_classes, N_BINS)
    return every, flagged


def check_paths(sources: AuditSources, options: ReportOptions) -> DataColumns | None:
    """Every check that needs no audit: the output, DATA and its columns."""
    from labelaudit.io.data import check_data
    from labelaudit.io.outputs import check_writable_output

    data, text_column = options.data, options.text_column
    inputs = [*sources.paths(), *([data] if data is not None else [])]
    check_writable_output(options.output, HTML_SUFFIXES, inputs, "-o/--output")
    if data is None:
        if text_column is not None:
            raise InputError("--text-column: needs --data (the table that has the column).")
        return None
    return check_data(data, id_column=sources.id_column, text_column=text_column)


def _run_audit(inputs: AuditInputs, options: IssueOptions) -> _Audit:
    """find-issues' flagged rows and ranking, and health, from one pass of statistics."""
    from labelaudit.core.health import health_report
    from labelaudit.core.ranking import order_label_issues

    stats, is_issue = flag_issues(inputs, options)
    scores = quality_scores(inputs, stats, method=options.rank_by, adjust_pred_probs=False)
    health = health_report(  # the document lists the first MAX_PAIRS pairs: no more are made
        inputs.labels, inputs.pred_probs, stats=stats, assume_valid=True, top_pairs=MAX_PAIRS
    )
    return _Audit(stats, is_issue, scores, order_label_issues(is_issue, scores), health)


def report_document(
    numbers: AuditNumbers, options: IssueOptions, *, top: int, argv: Sequence[str]
) -> dict[str, Any]:
    """The report's numbers (all but the rows and input paths), JSON-ready."""
    from labelaudit.report import documents

    health = documents.health_document(numbers.health, numbers.classes)
    health["overlapping_classes"] = [
        pair for pair in health["overlapping_classes"][:MAX_PAIRS] if pair["n_overlapping"] > 0
    ]
    for row in health["classes"]:
        k = numbers.classes.index(row["class"])
        row["n_flagged"] = int(numbers.flagged[k])
        row["mean_label_quality"] = float(numbers.quality_sum[k] / max(row["n_examples"], 1))
    return documents.plain(
        {
            "labelaudit_version": __version__,
            "command": command_line(argv),
            "argv": list(argv),
            "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "options": {**vars(options), "top": top},
            "health": health,
            "counts": counts_document(health, numbers.n_flagged, options),
            "model": model_document(numbers),
            "noise_matrix": noise_matrix_document(numbers.health, numbers.classes),
            "quality_histograms": histograms_document(numbers, health["classes"]),
        }
    )


def counts_document(
    health: dict[str, Any], n_flagged: int, options: IssueOptions
) -> list[dict[str, Any]]:
    """The three numbers of label issues, each named and explained."""
    n_examples = health["n_examples"]
    per_class_sum = sum(row["n_label_issues"] for row in health["classes"])
    return [
        {
            "name": "flagged rows",
            "value": n_flagged,
            "fraction": n_flagged / n_examples,
            "explanation": "Rows find-issues flags with these options (--filter-by "
            f"{options.filter_by}, --frac-noise {options.frac_noise:g}, "
            f"--min-examples-per-class {options.min_examples_per_class}): the rows listed "
            "below and written by find-issues -o.",
        },
        {
            "name": "estimated label issues",
            "value": health["n_label_issues"],
            "fraction": health["noise_rate"],
            "explanation": "Confident learning's estimate of the number of wrong labels (the "
            "off-diagonal rows of the confident joint, less rows whose given label is the "
            "most likely class). The noise rate is this number over all rows.",
        },
        {
            "name": "sum of per-class issues",
            "value": per_class_sum,
            "fraction": per_class_sum / n_examples,
            "explanation": "The per-class table's estimated issues added up: each class's "
            "off-diagonal share of the calibrated joint, rounded. Unlike the estimate above, it "
            "keeps the rows whose given label is the most likely class, so it is usually larger.",
        },
    ]


def model_document(numbers: AuditNumbers) -> dict[str, Any]:
    """The model's accuracy on the given labels (argmax == given) and the majority baseline."""
    import numpy as np

    accuracy = numbers.accuracy
    counts = np.asarray(numbers.class_counts)
    majority = int(np.argmax(counts))
    baseline = float(counts[majority] / counts.sum())
    # "Clearly above": the model closes at least a quarter of the gap between the baseline and
    # perfect accuracy. Below that, many flagged rows are the model's own mistakes.
    clearly_above = accuracy - baseline >= 0.25 * (1 - baseline)
    return {
        "accuracy": accuracy,
        "baseline_accuracy": baseline,
        "majority_class": numbers.classes[majority],
        "clearly_above_baseline": bool(clearly_above),
    }


def noise_matrix_document(health: HealthReport, classes: Sequence[Any]) -> dict[str, Any]:
    """The noise matrix to draw and the largest confusions (estimated rows, largest first).

    With more than :data:`MAX_HEATMAP_CLASSES` classes, the matrix drawn is that of the classes
    in the largest confusions, in class order.
    """
    import numpy as np

    n_classes = len(classes)
    confusions = top_confusions(health.joint, max(MAX_PAIRS, MAX_HEATMAP_CLASSES))
    shown = list(range(n_classes))
    if n_classes > MAX_HEATMAP_CLASSES:
        picked: list[int] = []
        for given, true, _ in confusions:
            picked.extend(k for k in (given, true) if k not in picked)
        shown = sorted(picked[:MAX_HEATMAP_CLASSES]) or [0, 1]
    matrix = np.asarray(health.noise_matrix)[np.ix_(shown, shown)]
    n_examples = health.n_examples
    return {
        "n_classes": n_classes,
        "all_classes": n_classes <= MAX_HEATMAP_CLASSES,
        "classes": [classes[k] for k in shown],
        "matrix": matrix.tolist(),
        "top_confusions": [
            {
                "given": classes[given],
                "true": classes[true],
                "n_examples": round(joint * n_examples),
                "noise_rate": float(health.noise_matrix[given, true]),
            }
            for given, true, joint in confusions[:MAX_PAIRS]
            if round(joint * n_examples) > 0
        ],
    }


def top_confusions(joint: np.ndarray, n: int, block_cells: int = 1 << 22) -> list[tuple]:
    """The *n* largest off-diagonal cells of *joint*: ``(given, true, value)``, largest first.

    Scans blocks of rows, so a K = 20,000 joint needs no second K x K array.
    """
    import numpy as np

    n_classes = joint.shape[0]
    rows_per_block = max(1, block_cells // max(n_classes, 1))
    best: list[tuple[int, int, float]] = []
    for start in range(0, n_classes, rows_per_block):
        block = np.array(joint[start : start + rows_per_block], dtype=np.float64)
        rows = np.arange(block.shape[0])
        block[rows, rows + start] = -np.inf
        flat = block.ravel()
        take = min(n, flat.size)
        candidates = np.argpartition(-flat, take - 1)[:take]
        best.extend(
            (int(start + c // n_classes), int(c % n_classes), float(flat[c]))
            for c in candidates
            if np.isfinite(flat[c])
        )
        best = sorted(best, key=lambda item: (-item[2], item[0], item[1]))[:n]
    return best


def histograms_document(numbers: AuditNumbers, class_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Label-quality histograms (kept and flagged rows) of the classes of lowest label quality."""
    import numpy as np

    every, flagged = numbers.histograms
    shown = [numbers.classes.index(row["class"]) for row in class_rows[:MAX_HISTOGRAMS]]
    return {
        "edges": np.linspace(0.0, 1.0, N_BINS + 1).tolist(),
        "n_classes": len(numbers.classes),
        "classes": [
            {
                "class": numbers.classes[k],
                "kept": (every[k] - flagged[k]).tolist(),
                "flagged": flagged[k].tolist(),
            }
            for k in shown
        ],
    }


def _issue_rows(numbers: AuditNumbers, data_columns: DataColumns | None) -> dict[str, Any]:
    """The top flagged rows, with DATA's columns when given."""
    from labelaudit.io.data import read_data_rows
    from labelaudit.report import documents

    records = [dict(record) for record in numbers.top_records]
    columns: list[str] = []
    if data_columns is not None:
        values = read_data_rows(
            data_columns, numbers.top_rows, n_rows=numbers.health.n_examples, ids=numbers.ids
        )
        skip = {numbers.id_column, data_columns.text_column}
        columns = [c for c in data_columns.columns if c not in skip]
        for record, row_values in zip(records, values, strict=True):
            record["text"] = (
                row_values.get(data_columns.text_column) if data_columns.text_column else None
            )
            record["data"] = {column: row_values.get(column) for column in columns}
    return {
        "n_flagged": numbers.n_flagged,
        "shown": len(records),
        "id_column": numbers.id_column,
        "text_column": None if data_columns is None else data_columns.text_column,
        "data_columns": columns,
        "rows": documents.plain(records),
    }
