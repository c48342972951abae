"""Tables: reading Parquet and CSV, and writing result tables block by block.

Parquet is read and written with pyarrow; pandas is imported only where a DataFrame is needed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, first_line
from labelaudit.io.paths import atomic_path, check_readable, suffix_of

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

TABLE_SUFFIXES = (".parquet", ".csv")

_KIND = {".parquet": "Parquet", ".csv": "CSV"}


@contextlib.contextmanager
def reading(path: Path, kind: str | None = None) -> Iterator[None]:
    """Turn a reader's failure (pyarrow's and pandas' errors subclass these) into one ``Error:``.

    *kind* names the format in the message (default: from the suffix).
    """
    try:
        yield
    except (OSError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        kind = kind or _KIND.get(suffix_of(path), "input")
        raise InputError(f"{path}: not a readable {kind} file ({first_line(exc)}).") from exc


def read_table(path: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a ``.parquet`` or ``.csv`` file into a DataFrame, or raise :class:`InputError`."""
    import pandas as pd

    check_readable(path)
    suffix = suffix_of(path)
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"{path}: unsupported file type '{path.suffix}'; use .parquet or .csv.")
    with reading(path):
        if suffix == ".parquet":
            return pd.read_parquet(path, columns=list(columns) if columns else None)
        return pd.read_csv(path, usecols=list(columns) if columns else None)


def table_columns(path: Path) -> list[str]:
    """Column names of a Parquet or CSV file without reading its data."""
    with reading(path):
        if suffix_of(path) == ".parquet":
            import pyarrow.parquet as pq

            return [str(name) for name in pq.read_schema(path).names if name != "__index_level_0__"]
        import pandas as pd

        return [str(name) for name in pd.read_csv(path, nrows=0).columns]


def check_table_suffix(path: Path) -> str:
    """The suffix of a result table path, or raise when it is not ``.parquet`` / ``.csv``."""
    suffix = suffix_of(path)
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"{path}: unsupported output type '{path.suffix}'; use .parquet or .csv.")
    return suffix


ROWS_PER_WRITE = 1_000_000
"""Output rows built and written at a time (one Parquet row group each)."""


def write_rows(
    path: Path,
    rows: np.ndarray | int,
    columns_for: Callable[[np.ndarray | slice], Mapping[str, Any]],
    *,
    dictionary_columns: Sequence[str] = (),
) -> None:
    """Write a large result table block by block, atomically, as Parquet or CSV.

    Parameters
    ----------
    rows
        The input rows to write, in order, or ``N`` for every row (blocks are then slices, so
        no index array is built).
    columns_for
        Builds the named numpy columns of one block of rows.
    dictionary_columns
        Parquet columns to dictionary-encode (few distinct values, e.g. class labels).

    Only one block of output columns is in memory at a time.
    """
    suffix = check_table_suffix(path)
    n_rows = rows if isinstance(rows, int) else len(rows)
    blocks = [
        slice(start, min(start + ROWS_PER_WRITE, n_rows))
        if isinstance(rows, int)
        else rows[start : start + ROWS_PER_WRITE]
        for start in range(0, max(n_rows, 1), ROWS_PER_WRITE)
    ]
    with atomic_path(path) as tmp:
        if suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            writer = None
            try:
                for block in blocks:
                    columns = columns_for(block)
                    arrays = [_arrow_column(values) for values in columns.values()]
                    table = pa.Table.from_arrays(arrays, names=list(columns))
                    if writer is None:
                        writer = pq.ParquetWriter(
                            tmp, table.schema, use_dictionary=list(dictionary_columns) or False
                        )
                    writer.write_table(table)
            finally:
                if writer is not None:
                    writer.close()
        else:
            import pandas as pd

            for index, block in enumerate(blocks):
                frame = pd.DataFrame(dict(columns_for(block)))
                frame.to_csv(tmp, index=False, mode="w" if index == 0 else "a", header=index == 0)


def _arrow_column(values: Any) -> Any:
    """A pyarrow array for one numpy column.

    Numeric and boolean columns are wrapped from their buffers: ``pa.array`` on a numpy array
    imports pandas (a quarter of a second), which small runs in shell pipelines notice.
    """
    import numpy as np
    import pyarrow as pa

    if isinstance(values, pa.Array | pa.ChunkedArray):  # already Arrow: written as it is
        return values
    values = np.asarray(values)
    if values.dtype.kind in "iuf" and values.dtype.isnative:
        values = np.ascontiguousarray(values)
        dtype = pa.from_numpy_dtype(values.dtype)
        return pa.Array.from_buffers(dtype, len(values), [None, pa.py_buffer(values)])
    if values.dtype.kind == "b":
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])
    return pa.array(values)


def write_table(table: pd.DataFrame | Mapping[str, Any], path: Path) -> None:
    """Write a DataFrame, or named numpy columns, atomically as Parquet or CSV (by extension).

    Named columns go through :func:`write_rows` (pyarrow directly, no DataFrame).
    """
    if isinstance(table, Mapping):
        import numpy as np

        columns = {name: np.asarray(values) for name, values in table.items()}
        n_rows = len(next(iter(columns.values()))) if columns else 0
        write_rows(path, n_rows, lambda rows: {name: v[rows] for name, v in columns.items()})
        return
    suffix = check_table_suffix(path)
    with atomic_path(path) as tmp:
        if suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        else:
            table.to_csv(tmp, index=False)
