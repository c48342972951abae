"""The clean use case: a copy of DATA with its label issues removed or relabelled.

The flagged rows come from the audit (labels and probabilities) or from a find-issues output
(``--issues``). Every check is made first (DATA's label column is read alone for it); then
:mod:`labelaudit.io.rowcopy` copies DATA losslessly: CSV rows byte for byte, Parquet/Arrow with
DATA's schema and metadata. Relabel changes only the label column of flagged rows, and only to a
class that exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, listing
from labelaudit.pipeline.audit import AuditSources, flag_issues
from labelaudit.pipeline.clean_table import CleanedTable, clean_table
from labelaudit.pipeline.options import CleanOptions, IssueOptions

if TYPE_CHECKING:
    import numpy as np

    from labelaudit.io.rowcopy import LabelColumn

__all__ = ["CleanedTable", "FlaggedRows", "clean_dataset", "clean_table"]


@dataclass(frozen=True)
class FlaggedRows:
    """The rows to change (sorted), what to change them to, and what is known of their labels.

    Attributes
    ----------
    rows
        Sorted 0-based positions of the label issues.
    predicted
        The predicted class of each row of *rows* (same order), or ``None``.
    expected_given
        The given label of each row according to a find-issues output (checked against DATA).
    confidence
        The probability of the predicted class of each row, or ``None`` when unknown.
    classes
        The classes a row may be relabelled to, or ``None`` (then DATA's distinct labels).
    given_codes
        The audit's class index of every row (for the per-class counts), or ``None``.
    """

    rows: np.ndarray
    predicted: list[Any] | None = None
    expected_given: list[Any] | None = None
    confidence: np.ndarray | None = None
    classes: list[Any] | None = None
    given_codes: np.ndarray | None = None
    label_column: str | None = None
    source: str = "the audit"


def clean_dataset(
    data: Path, output: Path, flags: AuditSources | Path, options: CleanOptions | None = None
) -> dict[str, Any]:
    """Write DATA without (or with relabelled) label issues to *output*; the ``clean`` document.

    *flags* says where the flagged rows come from: the audit of these :class:`AuditSources`
    (labels and probabilities, with ``options.issues``), or a find-issues output file (its
    path) to reuse. ``options.label_column`` is DATA's label
    column (default: the labels table's, else ``label``). *data* ``-`` reads CSV from standard
    input, *output* ``-`` writes CSV to standard output.

    With relabel, ``options.keep_original`` names a new column holding each row's label before
    relabelling, and rows whose predicted class has a probability below
    ``options.min_confidence`` are left unchanged.
    """
    from labelaudit.io import rowcopy

    if data == rowcopy.STDIO:
        return _clean_stdin(output, flags, options)
    from labelaudit.io.streams import read_once

    sources = flags if isinstance(flags, AuditSources) else None
    issues = flags if sources is None else None
    options = options or CleanOptions()
    action, label_column = options.action, options.label_column
    keep_original, min_confidence = options.keep_original, options.min_confidence
    # DATA and the issues file are read twice; a FIFO or /dev/stdin is copied once first.
    data, issues = read_once(data), None if issues is None else read_once(issues)
    data_format = _check_paths(data, output, sources, issues)
    relabel = action == "relabel"
    _check_relabel_options(relabel, keep_original, min_confidence, issues)
    flagged = None
    if sources is not None:
        flagged = _audit_flags(sources, options.issues, relabel)
    column = label_column or (flagged.label_column if flagged else None) or "label"
    label = rowcopy.read_label_column(data, data_format, column)
    if label.n_rows == 0:
        raise InputError(f"{data}: has no rows; at least one row is needed.")
    if issues is not None:
        flagged = _issues_flags(issues, label.n_rows, relabel, min_confidence)
    assert flagged is not None
    if sources is not None and flagged.given_codes is not None:
        _check_row_count(data, label.n_rows, sources.labels, len(flagged.given_codes))
    _check_data_labels(flagged, label, data, relabel, keep_original)
    edits, changed, n_skipped = _row_edits(flagged, label, action, keep_original, min_confidence)
    rowcopy.copy_rows(data, data_format, output, edits, label)
    document = _document(action, flagged, label, changed, output)
    if min_confidence is not None:
        document["min_confidence"] = min_confidence
        document["n_below_min_confidence"] = n_skipped
    return document


def _clean_stdin(
    output: Path, flags: AuditSources | Path, options: CleanOptions | None
) -> dict[str, Any]:
    """clean_dataset on DATA read from standard input, saved to a temporary file first.

    clean reads DATA twice (its label column, then its rows), which a pipe cannot do.
    """
    from labelaudit.io import rowcopy

    # Not flags.paths(): it leaves stdin out. Checked before anything reads standard input.
    if isinstance(flags, AuditSources) and any(
        str(path) == str(rowcopy.STDIO) for path in [flags.labels, *flags.probs]
    ):
        raise InputError(
            "DATA - (standard input) can be read only once: give --issues, or --labels and "
            "--probs files."
        )
    with rowcopy.spooled_stdin() as spooled:
        return clean_dataset(spooled, output, flags, options)


def _check_row_count(data: Path, n_rows: int, labels: Path, n_labels: int) -> None:
    """Refuse labels that do not have DATA's number of rows."""
    if n_labels != n_rows:
        raise InputError(
            f"{data}: has {n_rows} rows but {labels} has {n_labels}; both must list the same "
            "rows in the same order."
        )


def _check_paths(
    data: Path, output: Path, sources: AuditSources | None, issues: Path | None
) -> Any:
    """DATA's format, after every check of the paths (before any work)."""
    from labelaudit import io
    from labelaudit.io import rowcopy

    data_format = rowcopy.table_format(data)
    output_format = rowcopy.table_format(output, "output")
    rowcopy.check_formats(data_format, output_format, output)
    inputs_paths = [data, *(sources.paths() if sources else []), *([issues] if issues else [])]
    if output != rowcopy.STDIO:
        io.check_output(output, (io.suffix_of(output),), inputs_paths)
    for path in [data, *([issues] if issues else [])]:
        io.check_readable(path)
    if sources is not None:  # a labels or probs source may also be a Parquet folder or a glob
        from labelaudit.io.sources import resolve_source

        resolve_source(sources.labels, "labels")
        for probs in sources.probs:
            resolve_source(probs, "probs")
    return data_format


def _check_relabel_options(
    relabel: bool, keep_original: str | None, min_confidence: float | None, issues: Path | None
) -> None:
    """Refuse relabel's options with remove, and --min-confidence without probabilities."""
    from labelaudit.io.issues import CONFIDENCE_COLUMN, issues_columns

    if not relabel and keep_original is not None:
        raise InputError("--keep-original applies to --action relabel only.")
    if not relabel and min_confidence is not None:
        raise InputError("--min-confidence applies to --action relabel only.")
    if issues is not None and min_confidence is not None:
        if CONFIDENCE_COLUMN not in issues_columns(issues):
            raise InputError(
                f"--min-confidence needs the predicted class's probability, which {issues} does "
                "not have (its label_quality scores the given label); pass --probs instead of "
                "--issues."
            )


def _audit_flags(sources: AuditSources, options: IssueOptions, relabel: bool) -> FlaggedRows:
    """Run the audit on *sources*: its flagged rows, predicted classes and their probability."""
    import numpy as np

    from labelaudit.report.documents import class_values

    inputs = sources.load()
    stats, is_issue = flag_issues(inputs, options)
    rows = is_issue.nonzero()[0].astype(np.int64)
    predicted_codes = stats.predicted_labels[rows]
    confidence = None
    if relabel:
        confidence = np.asarray(inputs.pred_probs[rows, predicted_codes], dtype=np.float64)
    return FlaggedRows(
        rows=rows,
        predicted=class_values(inputs.classes, predicted_codes).tolist(),
        confidence=confidence,
        classes=list(inputs.classes),
        given_codes=np.asarray(inputs.labels),
        label_column=inputs.label_column,
    )


def _issues_flags(
    issues: Path, n_rows: int, relabel: bool, min_confidence: float | None
) -> FlaggedRows:
    """The flagged rows of a find-issues output, sorted by position."""
    import numpy as np

    from labelaudit.io.issues import read_issues

    found = read_issues(issues, n_rows, need_predicted=relabel)
    assert min_confidence is None or found.confidence is not None  # checked before any work
    order = np.argsort(found.rows, kind="stable")

    def sort(values: Any) -> Any:
        return None if values is None else [values[i] for i in order.tolist()]

    return FlaggedRows(
        rows=found.rows[order],
        predicted=sort(found.predicted_labels),
        expected_given=sort(found.given_labels),
        confidence=None if found.confidence is None else found.confidence[order],
        source=str(issues),
    )


def _check_data_labels(
    flagged: FlaggedRows,
    label: LabelColumn,
    data: Path,
    relabel: bool,
    keep_original: str | None,
) -> None:
    """Refuse a missing label column, a taken --keep-original name, issues of other data."""
    from labelaudit.io.rowcopy import value_text

    if relabel and label.codes is None:
        raise InputError(
            f"{data}: no label column {label.name!r} to relabel; pass --label-column NAME "
            f"(columns are {listing(label.columns)})."
        )
    if keep_original is not None and keep_original in label.columns:
        raise InputError(
            f"--keep-original {keep_original!r}: {data} already has a column of that name; "
            "choose another."
        )
    if flagged.expected_given is None or label.codes is None or not len(flagged.rows):
        return
    actual = label.text(flagged.rows)
    for row, have, said in zip(flagged.rows.tolist(), actual, flagged.expected_given, strict=True):
        if have != value_text(said):
            raise InputError(
                f"{data}: row {row} has label {have!r} in column {label.name!r} but the issues "
                f"file says {value_text(said)!r}; was it made for other data?"
            )


def _relabel_values(flagged: FlaggedRows, label: LabelColumn) -> list[Any]:
    """The class each flagged row is relabelled to; refuse a value that is not a class.

    The classes are the audit's (labels and probabilities) or else DATA's distinct labels.
    """
    from labelaudit.io.rowcopy import describe_classes, value_text

    classes = flagged.classes if flagged.classes is not None else label.values
    by_text = {value_text(c): c for c in classes}
    values = []
    for row, value in zip(flagged.rows.tolist(), flagged.predicted or [], strict=True):
        text = "" if value is None else value_text(value)
        if text not in by_text:
            raise InputError(
                f"{flagged.source}: row {row}: predicted_label {text[:80]!r} is not a class of "
                f"column {label.name!r} ({describe_classes(classes)}); clean relabels only to "
                "an existing class."
            )
        values.append(by_text[text])
    return values


def _row_edits(
    flagged: FlaggedRows,
    label: LabelColumn,
    action: str,
    keep_original: str | None,
    min_confidence: float | None,
) -> tuple[Any, np.ndarray, int]:
    """The row edits for the copy, the ``(N,)`` changed flags and the rows skipped for
    low confidence."""
    import numpy as np

    from labelaudit.io.rowcopy import RowEdits, value_text

    rows = flagged.rows
    changed = np.zeros(label.n_rows, dtype=bool)
    none = np.zeros(0, dtype=np.int64)
    name = label.name if label.codes is not None else None
    if action == "remove":
        changed[rows] = True
        return RowEdits(rows, none, [], name), changed, 0
    values = _relabel_values(flagged, label)
    keep = np.ones(len(rows), dtype=bool)
    if min_confidence is not None:
        assert flagged.confidence is not None
        keep = flagged.confidence >= min_confidence
    old = label.text(rows)
    keep &= np.array([o != value_text(v) for o, v in zip(old, values, strict=True)], dtype=bool)
    relabel_rows = rows[keep]
    changed[relabel_rows] = True
    relabel_values = [v for v, k in zip(values, keep.tolist(), strict=True) if k]
    relabel_old = [o for o, k in zip(old, keep.tolist(), strict=True) if k]
    n_skipped = 0 if min_confidence is None else int((flagged.confidence < min_confidence).sum())
    edits = RowEdits(none, relabel_rows, relabel_values, name, keep_original, relabel_old)
    return edits, changed, n_skipped


def _document(
    action: str, flagged: FlaggedRows, label: LabelColumn, changed: np.ndarray, output: Path
) -> dict[str, Any]:
    """The ``clean`` document, counted per given class (the audit's classes, or DATA's labels)."""
    import numpy as np

    from labelaudit.report import documents

    document = documents.clean_document(
        action=action, given=None, changed=changed, n_flagged=len(flagged.rows), output=str(output)
    )
    if flagged.given_codes is not None and flagged.classes is not None:
        codes, classes = flagged.given_codes, flagged.classes
    elif label.codes is not None:
        codes, classes = label.codes, label.values
    else:
        return document
    present = codes >= 0
    totals = np.bincount(codes[present], minlength=len(classes))
    changes = np.bincount(codes[present & changed], minlength=len(classes))
    per_class = [
        {"class": c, "n_examples": int(t), "n_changed": int(n)}
        for c, t, n in zip(classes, totals.tolist(), changes.tolist(), strict=True)
        if t > 0
    ]
    per_class.sort(key=lambda item: (-item["n_changed"], str(item["class"])))
    document["classes"] = documents.plain(per_class)
    return document
