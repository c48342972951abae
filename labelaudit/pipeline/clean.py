"""The clean use case: a copy of DATA with its label issues removed or relabelled.

The flagged rows come from the audit (labels and probabilities) or from a find-issues output
(``--issues``); the kept rows are copied from DATA.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, listing
from labelaudit.pipeline.audit import AuditSources, flag_issues

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class FlaggedRows:
    """The rows to change, what to change them to, and what DATA should say they are now."""

    rows: np.ndarray
    predicted: Any
    expected_given: pd.Series | None = None
    given_by_row: Any = None
    label_column: str | None = None


def clean_dataset(
    data: Path,
    output: Path,
    *,
    sources: AuditSources | None = None,
    issues: Path | None = None,
    label_column: str | None = None,
    action: str = "remove",
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    min_examples_per_class: int = 1,
) -> dict[str, Any]:
    """Write DATA without (or with relabelled) label issues to *output*; the ``clean`` document.

    Exactly one of *sources* (audit the labels and probabilities) and *issues* (reuse a
    find-issues output) is given. *label_column* is DATA's label column (default: the labels
    table's, else ``label``).
    """
    from labelaudit import io
    from labelaudit.report import documents

    inputs_paths = [data, *(sources.paths() if sources else []), *([issues] if issues else [])]
    io.check_output(output, io.TABLE_SUFFIXES, inputs_paths)
    for path in inputs_paths:
        io.check_readable(path)
    io.check_suffix(data, io.TABLE_SUFFIXES, "data")
    frame = io.read_table(data)
    if len(frame) == 0:
        raise InputError(f"{data}: has no rows; at least one row is needed.")
    relabel = action == "relabel"
    if issues is not None:
        found = io.read_issues(issues, len(frame), need_predicted=relabel)
        flagged = FlaggedRows(found.rows, found.predicted_labels, found.given_labels)
    else:
        assert sources is not None
        flagged = _audit_flags(
            data, len(frame), sources, filter_by, frac_noise, min_examples_per_class
        )
        label_column = label_column or flagged.label_column
    result = clean_table(
        frame,
        flagged.rows,
        action=action,
        label_column=label_column,
        predicted=flagged.predicted,
        data_path=data,
        expected_given=flagged.expected_given,
    )
    io.write_table(result.table, output)
    return documents.clean_document(
        action=action,
        given=result.given if flagged.given_by_row is None else flagged.given_by_row,
        changed=result.changed,
        n_flagged=len(flagged.rows),
        output=str(output),
    )


def _audit_flags(
    data: Path,
    n_rows: int,
    sources: AuditSources,
    filter_by: str,
    frac_noise: float,
    min_examples_per_class: int,
) -> FlaggedRows:
    """Run the audit on *sources* and return its flagged rows and predicted classes."""
    from labelaudit.report.documents import class_values

    inputs = sources.load()
    if inputs.n_examples != n_rows:
        raise InputError(
            f"{data}: has {n_rows} rows but {sources.labels} has {inputs.n_examples}; both "
            "must list the same rows in the same order."
        )
    stats, is_issue = flag_issues(
        inputs,
        filter_by=filter_by,
        frac_noise=frac_noise,
        min_examples_per_class=min_examples_per_class,
    )
    rows = is_issue.nonzero()[0]
    return FlaggedRows(
        rows=rows,
        predicted=class_values(inputs.classes, stats.predicted_labels[rows]),
        given_by_row=class_values(inputs.classes, inputs.labels),
        label_column=inputs.label_column,
    )


@dataclass(frozen=True)
class CleanedTable:
    """DATA with its label issues removed or relabelled.

    Attributes
    ----------
    table
        What to write: DATA's columns, dtypes and row order, minus removed rows.
    changed
        ``(N,)`` bool over DATA's rows: removed, or whose label value changed.
    given
        DATA's label column (all rows), or ``None`` when it has none.
    """

    table: pd.DataFrame
    changed: np.ndarray
    given: pd.Series | None


def clean_table(
    frame: pd.DataFrame,
    flagged_rows: np.ndarray,
    *,
    action: str,
    label_column: str | None,
    predicted: Any,
    data_path: Path,
    expected_given: pd.Series | None = None,
) -> CleanedTable:
    """Drop the flagged rows of *frame*, or set their label to *predicted* (same order).

    Parameters
    ----------
    flagged_rows
        0-based positions of the label issues.
    predicted
        The predicted class of each flagged row (for ``relabel``), in the order of *flagged_rows*.
    expected_given
        The given label of each flagged row according to a find-issues output; checked against
        DATA's label column so that an issues file made for other data is refused.
    """
    import numpy as np

    column = label_column if label_column is not None else "label"
    has_labels = column in frame.columns
    if action == "relabel" and not has_labels:
        raise InputError(
            f"{data_path}: no label column {column!r} to relabel; pass --label-column NAME "
            f"(columns are {listing([str(c) for c in frame.columns])})."
        )
    given = frame[column] if has_labels else None
    rows = np.asarray(flagged_rows, dtype=np.int64)
    if given is not None and expected_given is not None:
        actual = given.iloc[rows].astype(str).to_numpy()
        expected = expected_given.astype(str).to_numpy()
        differ = actual != expected
        if differ.any():
            at = int(np.argmax(differ))
            raise InputError(
                f"{data_path}: row {int(rows[at])} has label {actual[at]!r} in column {column!r} "
                f"but the issues file says {expected[at]!r}; was it made for other data?"
            )

    changed = np.zeros(len(frame), dtype=bool)
    if action == "remove":
        changed[rows] = True
        return CleanedTable(
            table=frame.loc[~changed].reset_index(drop=True), changed=changed, given=given
        )

    assert given is not None
    table = _relabelled(frame, column, rows, predicted, changed, data_path)
    return CleanedTable(table=table, changed=changed, given=given)


def _relabelled(
    frame: pd.DataFrame,
    column: str,
    rows: np.ndarray,
    predicted: Any,
    changed: np.ndarray,
    data_path: Path,
) -> pd.DataFrame:
    """A copy of *frame* with *column* set to *predicted* at *rows*; marks changed rows."""
    import numpy as np
    import pandas as pd

    given = frame[column]
    new_values = pd.Series(np.asarray(predicted, dtype=object))
    dtype = given.dtype
    table = frame.copy()
    if isinstance(dtype, pd.CategoricalDtype):
        missing = [v for v in pd.unique(new_values) if v not in dtype.categories]
        if missing:
            table[column] = table[column].cat.add_categories(missing)
            dtype = table[column].dtype
    try:
        converted = new_values.astype(dtype)
    except (TypeError, ValueError) as exc:
        example = new_values.iloc[0] if len(new_values) else ""
        raise InputError(
            f"{data_path}: predicted labels such as {str(example)!r} cannot be stored in column "
            f"{column!r} ({given.dtype}); are the labels and DATA of the same dataset?"
        ) from exc
    before = table[column].iloc[rows].reset_index(drop=True)
    changed[rows] = (before.astype(str) != converted.astype(str)).to_numpy()
    position = table.columns.get_loc(column)
    table.iloc[rows, position] = converted.to_numpy()
    return table
