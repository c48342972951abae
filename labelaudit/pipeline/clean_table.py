"""clean on a table in memory: a DataFrame minus, or relabelled at, its flagged rows.

``evaluate clean`` uses it to build the training rows that ``clean --action remove`` and
``--action relabel`` would write; ``labelaudit clean`` itself copies DATA losslessly
(:mod:`labelaudit.pipeline.clean`, :mod:`labelaudit.io.rowcopy`) with the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, listing
from labelaudit.io.ids import first_difference

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


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
        mismatch = first_difference(
            given.iloc[rows].astype(str).to_numpy(), expected_given.astype(str).to_numpy()
        )
        if mismatch is not None:
            at, actual, expected = mismatch
            raise InputError(
                f"{data_path}: row {int(rows[at])} has label {actual!r} in column {column!r} "
                f"but the issues file says {expected!r}; was it made for other data?"
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
