"""clean's lossless copy of Parquet and Arrow IPC DATA, record batch by record batch.

The output has DATA's schema (types, nullability, dictionary and timestamp columns, decimal
precision and scale, and the schema's metadata), plus the ``--keep-original`` column when asked.
Removed rows are dropped with ``pyarrow.compute.filter``; relabelled rows get the new class cast
to the label column's type (refused when a class cannot be represented in it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, first_line

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from labelaudit.io.rowcopy import RowEdits, TableFormat


def cast_classes(values: Sequence[Any], column_type: pa.DataType, where: str) -> pa.Array:
    """The classes *values* as an array of *column_type* (a dictionary's value type).

    Raises
    ------
    InputError
        When a class cannot be represented in the column's type (e.g. ``'cat'`` in an int64
        column, ``300`` in int8, ``1.5`` in an integer column).
    """
    import pyarrow as pa

    target = column_type.value_type if pa.types.is_dictionary(column_type) else column_type
    cast = {}
    for value in dict.fromkeys(values):
        try:
            cast[value] = _cast_one(value, target)
        except (pa.ArrowException, ValueError, TypeError, ArithmeticError) as exc:
            raise InputError(
                f"{where}: class {str(value)!r} cannot be stored in the label column's type "
                f"({column_type}); are the labels and DATA of the same dataset? "
                f"({first_line(exc)})"
            ) from exc
    return pa.array([cast[value] for value in values], type=target)


def _cast_one(value: Any, target: pa.DataType) -> Any:
    """*value* as a Python value of *target*: directly, else by Arrow's safe cast."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        result = pa.array([value], type=target)[0].as_py()
    except (pa.ArrowException, ValueError, TypeError):
        result = pc.cast(pa.array([value]), target, safe=True)[0].as_py()
    numbers = (int, float, Decimal)
    if isinstance(value, numbers) and isinstance(result, numbers) and result != value:
        raise ValueError(f"{value!r} would be stored as {result!r}")
    return result


def _relabelled_column(column: pa.Array, mask: np.ndarray, new: pa.Array) -> pa.Array:
    """*column* with the masked positions replaced by *new* (in order), same type."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(column.type):
        return pc.replace_with_mask(column, pa.array(mask), new)
    dictionary = column.dictionary
    positions = pc.index_in(new, value_set=dictionary)
    missing = pc.unique(pc.filter(new, pc.is_null(positions)))
    if len(missing):
        dictionary = pa.concat_arrays([dictionary, missing.cast(dictionary.type)])
        positions = pc.index_in(new, value_set=dictionary)
    index_type = column.type.index_type
    indices = pc.replace_with_mask(column.indices, pa.array(mask), positions.cast(index_type))
    return pa.DictionaryArray.from_arrays(indices, dictionary, ordered=column.type.ordered)


def edit_batch(
    batch: pa.RecordBatch,
    offset: int,
    edits: RowEdits,
    new_values: pa.Array | None,
    schema: pa.Schema,
) -> pa.RecordBatch:
    """One batch (its first row is DATA's row *offset*) with *edits* applied, in *schema*."""
    import numpy as np
    import pyarrow as pa

    n = batch.num_rows
    arrays = list(batch.columns)
    if edits.label_column is not None and edits.label_column in batch.schema.names:
        at = batch.schema.get_field_index(edits.label_column)
        original = arrays[at]
        low, high = np.searchsorted(edits.relabel_rows, [offset, offset + n])
        if high > low and new_values is not None:
            mask = np.zeros(n, dtype=bool)
            mask[edits.relabel_rows[low:high] - offset] = True
            arrays[at] = _relabelled_column(original, mask, new_values.slice(low, high - low))
        if edits.keep_original is not None:
            arrays.append(original)
    edited = pa.RecordBatch.from_arrays(arrays, schema=schema)
    low, high = np.searchsorted(edits.drop, [offset, offset + n])
    if high > low:
        keep = np.ones(n, dtype=bool)
        keep[edits.drop[low:high] - offset] = False
        edited = edited.filter(pa.array(keep))
    return edited


def output_schema(schema: pa.Schema, edits: RowEdits) -> pa.Schema:
    """DATA's schema (metadata included), with the ``--keep-original`` column appended."""
    if edits.keep_original is None or edits.label_column is None:
        return schema
    label = schema.field(edits.label_column)
    return schema.append(label.with_name(edits.keep_original))


def copy_arrow_file(
    data: Path,
    data_format: TableFormat,
    target: Path | None,
    out_format: TableFormat,
    edits: RowEdits,
) -> None:
    """Copy Parquet/Arrow DATA to *target* (standard output as CSV when ``None``) with *edits*."""
    import pyarrow as pa

    from labelaudit.io.rowcopy import _arrow_batches

    schema, batches = _arrow_batches(data, data_format, None)
    new_values = None
    if len(edits.relabel_rows):
        assert edits.label_column is not None
        column_type = schema.field(edits.label_column).type
        new_values = cast_classes(edits.relabel_values, column_type, str(data))
    out_schema = output_schema(schema, edits)
    edited = _edited_batches(batches, edits, new_values, out_schema)
    try:
        _write_batches(edited, out_schema, target, out_format, _parquet_compression(data))
    except pa.ArrowException as exc:
        raise InputError(f"{data}: cannot write the cleaned rows ({first_line(exc)}).") from exc


def _edited_batches(
    batches: Iterator[pa.RecordBatch],
    edits: RowEdits,
    new_values: pa.Array | None,
    schema: pa.Schema,
) -> Iterator[pa.RecordBatch]:
    offset = 0
    for batch in batches:
        yield edit_batch(batch, offset, edits, new_values, schema)
        offset += batch.num_rows


def _parquet_compression(data: Path) -> str | None:
    """DATA's Parquet compression codec (``None`` for other formats or an unknown codec)."""
    if data.suffix.lower() not in (".parquet", ".pq"):
        return None
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(data).metadata
    if metadata.num_row_groups == 0 or metadata.num_columns == 0:
        return None
    codec = str(metadata.row_group(0).column(0).compression).lower()
    return codec if codec in ("snappy", "gzip", "brotli", "zstd", "lz4", "none") else None


def _grouped(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[list[pa.RecordBatch]]:
    """Batches gathered into lists of about *rows* rows."""
    group: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        group.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield group
            group, count = [], 0
    if group:
        yield group


def _write_batches(
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    target: Path | None,
    out_format: TableFormat,
    compression: str | None,
) -> None:
    import pyarrow as pa

    from labelaudit.io.rowcopy import ARROW_ROWS_PER_GROUP

    if out_format.kind == "csv":
        _write_csv(batches, schema, target, out_format)
    elif out_format.kind == "parquet":
        import pyarrow.parquet as pq

        assert target is not None
        with pq.ParquetWriter(str(target), schema, compression=compression or "snappy") as writer:
            for group in _grouped(batches, ARROW_ROWS_PER_GROUP):
                writer.write_table(pa.Table.from_batches(group, schema=schema))
    else:
        assert target is not None
        with pa.OSFile(str(target), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
            for batch in batches:
                writer.write_batch(batch)


def _write_csv(
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    target: Path | None,
    out_format: TableFormat,
) -> None:
    """Arrow rows as CSV (pyarrow's writer: a conversion, not a byte copy of DATA)."""
    import sys

    import pyarrow as pa
    import pyarrow.csv as pacsv

    options = pacsv.WriteOptions(delimiter=out_format.delimiter)
    if target is None:
        sink: Any = pa.PythonFile(sys.stdout.buffer, mode="w")
    elif out_format.compression is not None:
        sink = pa.CompressedOutputStream(str(target), out_format.compression)
    else:
        sink = pa.OSFile(str(target), "wb")
    with pacsv.CSVWriter(sink, schema, write_options=options) as writer:
        for batch in batches:
            writer.write_batch(batch)
    if target is not None:
        sink.close()
