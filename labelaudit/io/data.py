"""DATA of the report: the dataset's own columns, joined to the flagged rows by position.

Values are read as the file spells them (CSV cells as text, nothing parsed as NaN), because the
report shows them to a person: ``007`` stays ``007`` and ``NA`` stays ``NA``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, listing
from labelaudit.io.paths import check_readable, check_suffix, suffix_of
from labelaudit.io.tables import TABLE_SUFFIXES, reading, table_columns

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


@dataclass(frozen=True)
class DataColumns:
    """DATA's path and columns, checked before any work: the id and text columns exist."""

    path: Path
    columns: list[str]
    id_column: str | None
    text_column: str | None


def check_data(path: Path, *, id_column: str | None, text_column: str | None) -> DataColumns:
    """Check that DATA is a readable table with the ``--id-column`` and ``--text-column``.

    Raises
    ------
    InputError
        Naming the file and the missing column.
    """
    check_readable(path)
    check_suffix(path, TABLE_SUFFIXES, "--data")
    columns = table_columns(path)
    for option, column in (("--text-column", text_column), ("--id-column", id_column)):
        if column is not None and column not in columns:
            raise InputError(
                f"{option} {column!r}: no such column in {path} (columns: {listing(columns)})."
            )
    return DataColumns(path, columns, id_column, text_column)


def read_data_rows(
    data: DataColumns, rows: Sequence[int], *, n_rows: int, ids: pa.ChunkedArray | None
) -> list[dict[str, Any]]:
    """DATA's columns of *rows* (positions), after checking DATA lists the same rows.

    Parameters
    ----------
    n_rows
        Rows of the labels; DATA must have as many.
    ids
        The ``--id-column`` of the labels/probs; when given, DATA's ids must equal them, row by
        row (compared as text).

    Returns
    -------
    list of dict
        One ``{column: value}`` per row of *rows*, values as text (``None`` for a missing cell).
    """
    frame = _read_text_table(data.path)
    if len(frame) != n_rows:
        raise InputError(
            f"--data {data.path}: has {len(frame):,} rows but the labels have {n_rows:,}; DATA "
            "must list the same rows in the same order."
        )
    if ids is not None and data.id_column is not None:
        _check_ids(data, frame[data.id_column], ids)
    selected = frame.iloc[list(rows)]
    return [
        {str(column): _cell(value) for column, value in record.items()}
        for record in selected.to_dict(orient="records")
    ]


def _read_text_table(path: Path) -> pd.DataFrame:
    """Every column of a CSV as text; a Parquet file with its own types."""
    import pandas as pd

    with reading(path):
        if suffix_of(path) == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False)


def _cell(value: Any) -> Any:
    """A DATA value for the report document: text, a number, or ``None`` when missing."""
    import pandas as pd

    if value is None or (not isinstance(value, list | tuple | dict) and pd.isna(value) is True):
        return None
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _check_ids(data: DataColumns, data_ids: pd.Series, ids: pa.ChunkedArray) -> None:
    """Raise at the first row whose DATA id differs from the labels' id.

    The labels' ids are Arrow; they go through pandas so both sides are spelled as text the
    same way.
    """
    import numpy as np

    given = ids.to_pandas().astype(str).to_numpy()
    found = data_ids.astype(str).to_numpy()
    differ = given != found
    if differ.any():
        row = int(np.argmax(differ))
        raise InputError(
            f"--data {data.path}: --id-column {data.id_column!r} differs from the labels' at row "
            f"{row} ({found[row]!r} vs {given[row]!r}); DATA must list the same rows in the same "
            "order."
        )
