"""The audit use cases: find-issues and score (health: :mod:`labelaudit.pipeline.health`).

Each function checks its output path first (a bad ``-o`` fails before any work), loads and
validates the inputs through :mod:`labelaudit.io` once, runs the core with ``assume_valid=True``,
writes its output, and returns JSON-ready documents for the CLI (or any caller) to render.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.pipeline.checks import CheckResult, flagged_fraction_check
from labelaudit.pipeline.options import IssueOptions, ResultOptions, ScoreOptions

if TYPE_CHECKING:
    import numpy as np

    from labelaudit.core.counting import LabelStats
    from labelaudit.io.inputs import AuditInputs

RELEASE_BYTES = 1 << 30
"""Memory-mapped probabilities larger than this are read with their pages released."""

LABEL_COLUMNS = ("given_label", "predicted_label")
"""Output columns with few distinct values (dictionary-encoded in Parquet)."""


@dataclass(frozen=True)
class AuditSources:
    """Where the labels and probabilities come from, and how to read them.

    Each source is a file, a folder or glob of Parquet files, or ``-`` for stdin (see
    :mod:`labelaudit.io.sources`). *prob_columns* (a glob such as ``'prob_*'``) picks the
    probability columns, read from the labels' table when *probs* is empty.
    """

    labels: Path
    probs: Sequence[Path]
    label_column: str | None = None
    id_column: str | None = None
    classes: str | None = None
    normalize: bool = False
    prob_columns: str | None = None

    def paths(self) -> list[Path]:
        """Every input file path (an output must be none of them); not stdin or patterns."""
        return [p for p in [self.labels, *self.probs] if str(p) != "-"]

    def load(self, *, release_pages: bool = True) -> AuditInputs:
        """Read, validate and class-map the inputs (see :func:`labelaudit.io.load_audit_inputs`)."""
        from labelaudit.io.inputs import load_audit_inputs

        return load_audit_inputs(
            self.labels,
            self.probs,
            label_column=self.label_column,
            id_column=self.id_column,
            classes=self.classes,
            normalize=self.normalize,
            release_pages=release_pages,
            prob_columns=self.prob_columns,
        )


def flag_issues(inputs: AuditInputs, options: IssueOptions) -> tuple[LabelStats, np.ndarray]:
    """The core's statistics and its issue mask for validated inputs (find-issues, clean).

    Probabilities memory-mapped and larger than :data:`RELEASE_BYTES` have their pages released
    as each pass reads them, so resident memory stays bounded at any N (they are re-read from
    the file cache); smaller ones stay mapped, which is faster.
    """
    from labelaudit.core.counting import compute_label_stats
    from labelaudit.core.filtering import find_label_issues
    from labelaudit.io.npy import page_releaser

    release = None
    if inputs.pred_probs.nbytes > RELEASE_BYTES:
        release = page_releaser(inputs.pred_probs)
    stats = compute_label_stats(
        inputs.labels, inputs.pred_probs, release_rows=release, assume_valid=True
    )
    is_issue = find_label_issues(
        inputs.labels, inputs.pred_probs, stats=stats, release_rows=release, **options.filtering()
    )
    return stats, is_issue


def quality_scores(
    inputs: AuditInputs, stats: LabelStats | None, *, method: str, adjust_pred_probs: bool
) -> np.ndarray:
    """Label quality of every row: the single model's, or the accuracy-weighted ensemble's."""
    from labelaudit.core.ranking import ensemble_label_quality_scores, label_quality_scores
    from labelaudit.io.npy import page_releaser

    if len(inputs.pred_probs_list) > 1:
        return ensemble_label_quality_scores(
            inputs.labels,
            inputs.pred_probs_list,
            method=method,
            adjust_pred_probs=adjust_pred_probs,
            weight_by="accuracy",
            assume_valid=True,
        )
    if method == "self_confidence" and not adjust_pred_probs and stats is not None:
        # p[n, y[n]] in the input dtype: no float64 copy of N scores, and ties rank exactly as
        # they do when the same float32 scores are sorted.
        return stats.self_confidence
    return label_quality_scores(
        inputs.labels,
        inputs.pred_probs,
        method=method,
        adjust_pred_probs=adjust_pred_probs,
        stats=stats,
        release_rows=page_releaser(inputs.pred_probs),
        assume_valid=True,
    )


def _row_facts(inputs: AuditInputs, predicted: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    """What the result rows are built from (no probabilities: the inputs can then be dropped)."""
    return {
        "classes": inputs.classes,
        "labels": inputs.labels,
        "predicted": predicted,
        "scores": scores,
        "ids": inputs.ids,
        "id_column": inputs.id_column,
    }


def _weak_model_warning(stats: LabelStats) -> str | None:
    """The weak-model warning for these probabilities (see :func:`raise_warning`)."""
    from labelaudit.pipeline.model_quality import probs_accuracy_warning

    return raise_warning(
        probs_accuracy_warning(stats.predicted_labels, stats.labels, stats.class_counts)
    )


def raise_warning(message: str | None) -> str | None:
    """Raise *message* (if any) as a Python warning and return it.

    The CLI prints Python warnings raised by a use case as ``Warning:`` lines on stderr; the
    returned sentence goes into the document's ``warnings``.
    """
    import warnings

    if message is not None:
        warnings.warn(message, UserWarning, stacklevel=3)
    return message


def rows_columns(
    rows: np.ndarray | slice,
    *,
    ids: Any,
    id_column: str | None,
    arrow: bool = False,
    **facts: Any,
) -> Any:
    """:func:`~labelaudit.report.documents.label_rows_columns`, with the ids of *rows* only.

    The ids stay an Arrow array and only the block's own ids are taken. With *arrow* (a Parquet
    output), ids and class names are Arrow arrays, so no Python object is made per row.
    """
    import numpy as np
    import pyarrow as pa

    from labelaudit.io.arrownp import from_numpy, text_array
    from labelaudit.report import documents

    classes = facts["classes"]
    named = arrow and not all(isinstance(c, int) for c in classes)
    if named:  # the codes, turned into names by Arrow below
        facts = {**facts, "classes": list(range(len(classes)))}
    columns = documents.label_rows_columns(rows, **facts)
    if named:
        # built from buffers: pa.array would import pandas (0.2-0.5 s) on a path that needs none
        names = text_array([str(c) for c in classes])
        for key in ("given_label", "predicted_label"):
            codes = from_numpy(columns[key].astype(np.int32))
            # written as such: io.tables.write_rows stores them as strings for readers
            columns[key] = pa.DictionaryArray.from_arrays(codes, names)
    if ids is None or id_column is None:
        return columns
    if isinstance(rows, slice):
        block = ids.slice(rows.start, rows.stop - rows.start)
    else:
        block = ids.take(pa.array(np.asarray(rows, dtype=np.int64)))
    if arrow:
        values: Any = block.combine_chunks()
    elif block.null_count == 0 and pa.types.is_integer(block.type):
        values = block.to_numpy()
    else:
        values = np.asarray(block.to_pylist(), dtype=object)
    return {"row": columns.pop("row"), id_column: values, **columns}


def rows_records(rows: np.ndarray, **facts: Any) -> list[dict[str, Any]]:
    """:func:`rows_columns` as JSON-ready dicts, one per row (for the few rows shown)."""
    from labelaudit.report import documents

    columns = rows_columns(rows, **facts)
    names = list(columns)
    values = [columns[name].tolist() for name in names]
    return [
        documents.plain(dict(zip(names, record, strict=True)))
        for record in zip(*values, strict=True)
    ]


def _write_rows(
    output: Path | None,
    rows: np.ndarray | int,
    row_facts: dict[str, Any],
    *,
    csv_safe: bool,
    **extra: Any,
) -> None:
    """Write the result rows *rows* (every row, for an int) to *output*, when there is one.

    *extra* are more columns of :func:`rows_columns` (find-issues' ``is_label_issue``).
    """
    from labelaudit.io.tables import write_rows

    if output is None:
        return
    arrow = output.suffix.lower() in (".parquet", ".pq")
    write_rows(
        output,
        rows,
        lambda block: rows_columns(block, arrow=arrow, **extra, **row_facts),
        dictionary_columns=LABEL_COLUMNS,
        csv_safe=csv_safe,
    )


def _flagged_by_class(
    inputs: AuditInputs, stats: LabelStats, is_issue: np.ndarray
) -> list[dict[str, Any]]:
    """find-issues' per-class counts: rows, and rows flagged, of each given class."""
    import numpy as np

    from labelaudit.report import documents

    flagged = np.bincount(inputs.labels[is_issue], minlength=inputs.n_classes)
    return documents.flagged_by_class(inputs.classes, stats.class_counts, flagged)


def find_issues(
    sources: AuditSources, options: IssueOptions | None = None, results: ResultOptions | None = None
) -> tuple[dict[str, Any], CheckResult]:
    """Flag the label issues, rank them, write ``results.output``; the document and the gate's
    result.

    The document's ``issues`` are the ``results.top`` most likely errors (lowest
    ``options.rank_by`` score first).
    """
    from labelaudit.core.ranking import order_label_issues
    from labelaudit.io.paths import check_output
    from labelaudit.io.tables import TABLE_SUFFIXES

    options, results = options or IssueOptions(), results or ResultOptions()
    output = results.output
    if output is not None:
        check_output(output, TABLE_SUFFIXES, sources.paths())
    inputs = sources.load(release_pages=False)  # pruning re-reads every row
    stats, is_issue = flag_issues(inputs, options)
    scores = quality_scores(inputs, stats, method=options.rank_by, adjust_pred_probs=False)
    warning = _weak_model_warning(stats)
    n_examples, n_classes = inputs.n_examples, inputs.n_classes
    per_class = _flagged_by_class(inputs, stats, is_issue)
    row_facts = _row_facts(inputs, stats.predicted_labels, scores)
    # The rest (ranking too) needs no probabilities: dropping them unmaps a memory-mapped --probs
    # file, or frees a table's, which keeps peak memory near one copy of the input.
    del inputs, stats
    ranked = order_label_issues(is_issue, scores)
    rows = n_examples if results.all_rows else ranked
    _write_rows(output, rows, row_facts, csv_safe=results.csv_safe, is_label_issue=is_issue)
    return issues_document(
        rows_records(ranked[: results.top], **row_facts),
        options,
        results,
        n_examples=n_examples,
        n_classes=n_classes,
        n_label_issues=int(ranked.shape[0]),
        warning=warning,
        per_class=per_class,
    )


def issues_document(
    records: list[dict[str, Any]],
    options: IssueOptions,
    results: ResultOptions,
    *,
    n_examples: int,
    n_label_issues: int,
    warning: str | None,
    **fields: Any,
) -> tuple[dict[str, Any], CheckResult]:
    """find-issues' document and its ``--fail-above`` gate, from the numbers of either engine.

    *fields* are :func:`~labelaudit.report.documents.find_issues_document`'s ``n_classes``
    and ``per_class`` (its ``classes``).
    """
    from labelaudit.report import documents

    output, fail_above = results.output, results.fail_above
    checks = flagged_fraction_check(n_label_issues / n_examples, fail_above)
    document = documents.find_issues_document(
        records,
        n_examples=n_examples,
        n_label_issues=n_label_issues,
        filter_by=options.filter_by,
        rank_by=options.rank_by,
        output=None if output is None else str(output),
        fail_above=fail_above,
        warnings=[warning] if warning else [],
        classes=fields.pop("per_class"),
        **fields,
    )
    return document, checks


def score_labels(
    sources: AuditSources, options: ScoreOptions | None = None, results: ResultOptions | None = None
) -> dict[str, Any]:
    """Score every label, write ``results.output`` (every row, input order); the ``score``
    document."""
    from labelaudit.core.counting import compute_label_stats, predicted_labels
    from labelaudit.io.npy import page_releaser
    from labelaudit.io.paths import check_output
    from labelaudit.io.tables import TABLE_SUFFIXES

    options, results = options or ScoreOptions(), results or ResultOptions()
    options.check()
    method, adjust_pred_probs, output = options.method, options.adjust_pred_probs, results.output
    if output is not None:
        check_output(output, TABLE_SUFFIXES, sources.paths())
    inputs = sources.load()
    # The thresholds (and so the confident-joint pass) are only needed to adjust the probs.
    stats = None
    if adjust_pred_probs:
        stats = compute_label_stats(inputs.labels, inputs.pred_probs, assume_valid=True)
    scores = quality_scores(inputs, stats, method=method, adjust_pred_probs=adjust_pred_probs)
    if stats is not None:
        predicted = stats.predicted_labels
    else:
        release = page_releaser(inputs.pred_probs)
        predicted = predicted_labels(inputs.pred_probs, release_rows=release)
    n_examples = inputs.n_examples
    row_facts = _row_facts(inputs, predicted, scores)
    del inputs, stats  # unmaps a memory-mapped --probs file before the output is built
    _write_rows(output, n_examples, row_facts, csv_safe=results.csv_safe)
    return score_document(options, results, scores, row_facts, n_examples=n_examples)


def score_document(
    options: ScoreOptions,
    results: ResultOptions,
    scores: np.ndarray,
    row_facts: dict[str, Any],
    *,
    n_examples: int,
) -> dict[str, Any]:
    """score's document from every row's *scores* and row facts (either engine)."""
    from labelaudit.core.ranking import lowest_scores
    from labelaudit.report import documents

    output = results.output
    return documents.score_document(
        rows_records(lowest_scores(scores, results.top), **row_facts),
        n_examples=n_examples,
        method=options.method,
        adjust_pred_probs=options.adjust_pred_probs,
        scores=scores,
        output=None if output is None else str(output),
    )
