"""Issues files: a ``find-issues`` output read back by ``clean --issues``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from labelaudit.errors import InputError, listing
from labelaudit.io.paths import check_readable, check_suffix
from labelaudit.io.tables import TABLE_SUFFIXES, read_table, table_columns

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class IssuesFile:
    """The flagged rows of a ``find-issues`` output, as reused by ``clean --issues``."""

    path: Path
    rows: np.ndarray
    given_labels: pd.Series | None
    predicted_labels: pd.Series | None


def read_issues(path: Path, n_rows: int, *, need_predicted: bool) -> IssuesFile:
    """Read a find-issues output: the flagged ``row`` positions (and labels), checked against DATA.

    An ``--all-rows`` output is accepted: only rows with ``is_label_issue`` true are used.
    """
    import numpy as np
    import pandas as pd

    check_readable(path)
    check_suffix(path, TABLE_SUFFIXES, "issues")
    columns = table_columns(path)
    if "row" not in columns:
        raise InputError(
            f"{path}: no 'row' column, so it is not a find-issues output; columns are "
            f"{listing(columns)}."
        )
    if need_predicted and "predicted_label" not in columns:
        raise InputError(f"{path}: no 'predicted_label' column, which --action relabel needs.")
    frame = read_table(path)
    if "is_label_issue" in frame.columns:
        flags = frame["is_label_issue"]
        if not pd.api.types.is_bool_dtype(flags):
            raise InputError(f"{path}: column 'is_label_issue' must hold true/false values.")
        frame = frame[flags.to_numpy(dtype=bool)]
    rows = frame["row"]
    if not pd.api.types.is_integer_dtype(rows):
        raise InputError(f"{path}: column 'row' must hold integer row positions, not {rows.dtype}.")
    positions = rows.to_numpy(dtype=np.int64)
    outside = (positions < 0) | (positions >= n_rows)
    if outside.any():
        bad = int(positions[np.argmax(outside)])
        raise InputError(
            f"{path}: row {bad} is outside the data's rows 0..{n_rows - 1}; was it made for "
            "other data?"
        )
    if len(np.unique(positions)) != len(positions):
        raise InputError(f"{path}: column 'row' lists some rows twice.")
    predicted = None
    if need_predicted:
        predicted = frame["predicted_label"].reset_index(drop=True)
        if predicted.isna().any():
            raise InputError(f"{path}: column 'predicted_label' has missing values.")
    given = frame["given_label"].reset_index(drop=True) if "given_label" in frame.columns else None
    return IssuesFile(path=path, rows=positions, given_labels=given, predicted_labels=predicted)
