"""Multi-label outputs: label sets as list columns (Parquet) or joined text (CSV), and clean.

Result tables are built as Arrow arrays from the ``(N, K)`` indicator matrices without a Python
loop over rows, and written atomically with pyarrow. ``clean`` copies DATA's other columns as
they are (same schema and metadata in Parquet; text in CSV is read and written as text).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError
from labelaudit.io.multilabel import check_separator, read_arrow_table, table_column_names
from labelaudit.io.paths import atomic_path, output_suffix, suffix_of

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

OUTPUT_SUFFIXES = (".parquet", ".csv")
ROWS_PER_BLOCK = 1 << 17
"""Result rows built and written at a time (one Parquet row group each)."""


def arrow_array(values: np.ndarray) -> pa.Array:
    """A numeric or boolean numpy vector as an Arrow array, wrapped from its buffer.

    ``pa.array`` imports pandas (tens of MiB and a quarter of a second) to look for pandas
    types; result columns are built without it.
    """
    import numpy as np
    import pyarrow as pa

    values = np.asarray(values)
    if values.dtype.kind == "b":
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])
    values = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("="))
    kind = pa.from_numpy_dtype(values.dtype)
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(values)])


def class_array(classes: Sequence[Any]) -> pa.Array:
    """The classes as an Arrow array: int64 when they are ints, else strings (no pandas)."""
    import numpy as np
    import pyarrow as pa

    if all(isinstance(c, int) for c in classes):
        return arrow_array(np.asarray(classes, dtype=np.int64))
    encoded = [str(c).encode("utf-8") for c in classes]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(encoded), buffers)


def label_set_array(indicator: np.ndarray, classes: Sequence[Any] | pa.Array) -> pa.ListArray:
    """One list of classes per row of an ``(n, K)`` 0/1 (or bool) matrix, in class order."""
    import numpy as np
    import pyarrow as pa

    values = classes if isinstance(classes, pa.Array) else class_array(classes)
    rows, columns = np.nonzero(indicator)  # row-major: grouped by row, classes in order
    counts = np.bincount(rows, minlength=indicator.shape[0])
    offsets = np.zeros(indicator.shape[0] + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    return pa.ListArray.from_arrays(arrow_array(offsets), values.take(arrow_array(columns)))


def joined(lists: pa.Array, separator: str) -> pa.Array:
    """A list column as text joined by *separator* (``[]`` becomes ``""``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_string(lists.type.value_type):
        lists = lists.cast(pa.list_(pa.string()))
    return pc.binary_join(lists, separator)


def _for_csv(table: pa.Table, separator: str) -> pa.Table:
    import pyarrow as pa

    for index, field in enumerate(table.schema):
        if pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
            column = table.column(index).combine_chunks()
            table = table.set_column(index, field.name, joined(column, separator))
    return table


def write_arrow(table: pa.Table, path: Path, separator: str) -> None:
    """Write *table* atomically as Parquet, or as CSV with list columns joined by *separator*."""
    import pyarrow.parquet as pq

    with atomic_path(path) as tmp:
        if output_suffix(path) == ".parquet":
            pq.write_table(table, tmp)
        else:  # pandas' writer: quotes only where needed, as the single-label outputs do
            _for_csv(table, separator).to_pandas().to_csv(tmp, index=False)


def _block_table(columns: Mapping[str, Any]) -> pa.Table:
    import pyarrow as pa

    arrays = [
        v if isinstance(v, pa.Array | pa.ChunkedArray) else arrow_array(v) for v in columns.values()
    ]
    return pa.Table.from_arrays(arrays, names=list(columns))


def write_result_rows(
    path: Path,
    rows: np.ndarray,
    columns_for: Callable[[np.ndarray], Mapping[str, Any]],
    classes: Sequence[Any],
    separator: str,
) -> None:
    """Write the result rows *rows* block by block (:data:`ROWS_PER_BLOCK`), atomically.

    ``columns_for(block)`` builds the named columns (numpy or Arrow arrays) of a block of row
    positions; only one block is in memory at a time. Parquet keeps list columns; CSV joins them
    with *separator*, and is refused when a class name contains it.
    """
    import pyarrow.parquet as pq

    is_csv = output_suffix(path) == ".csv"
    if is_csv:
        check_separator(classes, separator)
    starts = range(0, max(len(rows), 1), ROWS_PER_BLOCK)
    with atomic_path(path) as tmp:
        writer = None
        try:
            for index, start in enumerate(starts):
                table = _block_table(columns_for(rows[start : start + ROWS_PER_BLOCK]))
                if is_csv:
                    frame = _for_csv(table, separator).to_pandas()
                    frame.to_csv(tmp, index=False, mode="a" if index else "w", header=not index)
                    continue
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()


# --- clean --------------------------------------------------------------------------------------


def read_data(path: Path) -> pa.Table:
    """DATA for ``clean``: Parquet/Arrow as stored; CSV with every column read as text."""
    if suffix_of(path) == ".csv":
        names = table_column_names(path)
        return read_arrow_table(path, names, text_columns=names)
    return read_arrow_table(path)


def label_sets_like(
    indicator: np.ndarray, classes: Sequence[Any], like: pa.DataType, separator: str
) -> pa.Array:
    """Label sets in the type of DATA's label column: a list type, or text joined by *separator*."""
    import pyarrow as pa

    lists = label_set_array(indicator, classes)
    if pa.types.is_string(like) or pa.types.is_large_string(like):
        check_separator(classes, separator)
        return joined(lists, separator).cast(like)
    try:
        return lists.cast(like)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(
            f"the suggested label sets cannot be stored as {like}; are the labels and DATA of "
            "the same dataset?"
        ) from exc


def cleaned_table(
    data: pa.Table,
    *,
    keep: np.ndarray | None = None,
    label_column: str | None = None,
    rows: np.ndarray | None = None,
    new_labels: pa.Array | None = None,
) -> pa.Table:
    """DATA without the rows where *keep* is False, or with *label_column* replaced at *rows*.

    The schema (types, metadata) is DATA's; only the label column's values at *rows* change.
    """
    import numpy as np
    import pyarrow as pa

    if keep is not None:
        return data.filter(pa.array(np.asarray(keep, dtype=bool)))
    assert label_column is not None and rows is not None and new_labels is not None
    index = data.schema.get_field_index(label_column)
    column = data.column(index).combine_chunks()
    positions = np.arange(data.num_rows, dtype=np.int64)
    source = np.zeros(data.num_rows, dtype=np.int64)  # which array each output row comes from
    source[rows] = 1
    positions[rows] = np.arange(len(rows), dtype=np.int64)
    merged = pa.concat_arrays([column, new_labels.cast(column.type)])
    taken = merged.take(pa.array(positions + source * len(column)))
    return data.set_column(index, data.schema.field(index), taken)
