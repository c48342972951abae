"""clean's lossless row copy: DATA's kept rows written exactly, flagged rows removed or relabelled.

- CSV/TSV (also compressed: ``.csv.gz``, ``.csv.bz2``, ``.csv.zst``): every kept record is copied
  byte for byte (:mod:`labelaudit.io.csvcopy`); relabel replaces only the label cell's bytes.
- Parquet and Arrow IPC (``.feather``/``.arrow``): written with DATA's schema, types and schema
  metadata; rows are removed with ``pyarrow.compute.filter`` and the label column of relabelled
  rows gets the new class cast to the column's type, batch by batch.

Both are streamed (blocks of a few MB, or record batches), so memory does not grow with DATA.
Before the copy, :func:`read_label_column` reads DATA's label column alone (text for CSV), so
that every check is made before anything is written.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, first_line, listing
from labelaudit.io.paths import STDOUT, atomic_path

if TYPE_CHECKING:
    import numpy as np

STDIO = STDOUT
"""``-``: DATA read from standard input, or (``-o -``) the cleaned rows written to standard
output, as CSV (:data:`labelaudit.io.paths.STDOUT`)."""

_COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".lz4": "lz4"}
ARROW_ROWS_PER_GROUP = 1 << 19
"""Rows gathered before a Parquet row group (or IPC batch) is written."""
ARROW_BATCH_ROWS = 1 << 16


@dataclass(frozen=True)
class TableFormat:
    """How a table file is stored: ``kind`` is ``csv``, ``parquet`` or ``ipc``."""

    kind: str
    delimiter: str = ","
    compression: str | None = None


def table_format(path: Path, what: str = "data") -> TableFormat:
    """The format of *path* by its name (``-`` is CSV), or raise :class:`InputError`."""
    if path == STDIO:
        return TableFormat("csv")
    suffixes = [s.lower() for s in path.suffixes]
    compression = _COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression is not None:
        suffixes = suffixes[:-1]
    name = suffixes[-1] if suffixes else ""
    if name in (".csv", ".tsv"):
        return TableFormat("csv", "\t" if name == ".tsv" else ",", compression)
    if compression is None and name in (".parquet", ".pq"):
        return TableFormat("parquet")
    if compression is None and name in (".feather", ".arrow", ".ipc"):
        return TableFormat("ipc")
    raise InputError(
        f"{path}: unsupported {what} file type '{''.join(path.suffixes) or '(none)'}'; use "
        ".parquet, .feather/.arrow, .csv or .tsv (optionally .gz, .bz2, .zst)."
    )


def check_formats(data: TableFormat, output: TableFormat, output_path: Path) -> None:
    """Refuse an output format clean cannot write losslessly from DATA's."""
    if data.kind == "csv" and output.kind != "csv":
        raise InputError(
            f"-o/--output {output_path}: clean writes CSV DATA as CSV (its rows are copied byte "
            "for byte); convert the cleaned CSV separately."
        )
    if data.kind == "csv" and output.delimiter != data.delimiter:
        raise InputError(
            f"-o/--output {output_path}: DATA is {'TSV' if data.delimiter == chr(9) else 'CSV'}; "
            "write the same (rows are copied byte for byte)."
        )


@dataclass(frozen=True)
class LabelColumn:
    """DATA's row count, columns and label column, read before the copy.

    Attributes
    ----------
    codes
        ``(N,)`` int16 (int32 past 32,767 distinct labels): the index of each row's label in
        *values*, ``-1`` for a missing value;
        ``None`` when DATA has no column *name*.
    values
        The distinct labels (text for CSV, Python values of the column's type otherwise).
    """

    n_rows: int
    columns: list[str]
    name: str
    codes: np.ndarray | None
    values: list[Any] = field(default_factory=list)
    arrow_type: Any = None

    def text(self, rows: np.ndarray) -> list[str | None]:
        """The labels of *rows* as text (``None`` when missing)."""
        assert self.codes is not None
        texts = [value_text(v) for v in self.values]
        return [texts[c] if c >= 0 else None for c in self.codes[rows].tolist()]


def value_text(value: Any) -> str:
    """A label as text: integral floats as integers (``1.0`` is ``1``), the rest with ``str``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[None]:
    import pyarrow as pa

    try:
        yield
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise InputError(f"{path}: cannot be read ({first_line(exc)}).") from exc


def read_label_column(path: Path, fmt: TableFormat, name: str) -> LabelColumn:
    """Read DATA's column *name* alone (every row, as text for CSV) and count the rows."""
    with _reading(path):
        if fmt.kind == "csv":
            columns, batches = _csv_label_batches(path, fmt, name)
        else:
            schema, batch_iter = _arrow_batches(path, fmt, [name])
            columns = list(schema.names)
            batches = batch_iter if name in columns else None
            if batches is None:
                return LabelColumn(_arrow_rows(path, fmt), columns, name, None)
        if batches is None:
            return LabelColumn(_count_csv_rows(path, fmt), columns, name, None)
        return _encode_labels(batches, columns, name)


def _encode_labels(batches: Iterator[Any], columns: list[str], name: str) -> LabelColumn:
    """Dictionary-encode the label batches into one code per row and the distinct values."""
    import numpy as np
    import pyarrow.compute as pc

    lookup: dict[Any, int] = {}
    values: list[Any] = []
    parts: list[np.ndarray] = []
    arrow_type = None
    for batch in batches:
        column = batch.column(0)
        arrow_type = column.type
        if hasattr(column, "dictionary"):
            column = column.dictionary_decode()
        encoded = pc.dictionary_encode(column)
        remap = np.empty(len(encoded.dictionary) + 1, dtype=np.int32)
        for at, value in enumerate(encoded.dictionary.to_pylist()):
            key = (type(value).__name__, value)
            if key not in lookup:
                lookup[key] = len(values)
                values.append(value)
            remap[at] = lookup[key]
        remap[-1] = -1
        indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        narrow = np.int16 if len(values) < 2**15 else np.int32  # 2 bytes a row for few labels
        parts.append(remap.astype(narrow)[indices.astype(np.int64)])
    codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
    return LabelColumn(len(codes), columns, name, codes, values, arrow_type)


def _csv_options(fmt: TableFormat, include: Sequence[str] | None, text: Sequence[str]) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    return (
        pacsv.ReadOptions(block_size=1 << 18, use_threads=False),
        pacsv.ParseOptions(delimiter=fmt.delimiter, newlines_in_values=True),
        pacsv.ConvertOptions(
            include_columns=list(include) if include is not None else None,
            column_types={name: pa.string() for name in text},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _csv_label_batches(path: Path, fmt: TableFormat, name: str) -> tuple[list[str], Any]:
    """The CSV's column names, and a reader of column *name* as text (``None`` if absent)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read, parse, _ = _csv_options(fmt, None, [])
    first = read.__class__(block_size=1 << 16)
    with pa.input_stream(str(path), compression=fmt.compression) as stream:
        columns = list(pacsv.open_csv(stream, read_options=first, parse_options=parse).schema.names)
    if name not in columns:
        return columns, None
    read, parse, convert = _csv_options(fmt, [name], [name])
    stream = pa.input_stream(str(path), compression=fmt.compression)
    return columns, pacsv.open_csv(
        stream, read_options=read, parse_options=parse, convert_options=convert
    )


def _count_csv_rows(path: Path, fmt: TableFormat) -> int:
    """Rows of a CSV, counted by pyarrow's parser on its first column read as text."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with pa.input_stream(str(path), compression=fmt.compression) as stream:
        read, parse, _ = _csv_options(fmt, None, [])
        first = pacsv.open_csv(stream, read_options=read, parse_options=parse).schema.names[0]
    _, batches = _csv_label_batches(path, fmt, first)
    return sum(batch.num_rows for batch in batches)


def _arrow_batches(path: Path, fmt: TableFormat, columns: Sequence[str] | None) -> Any:
    """DATA's Arrow schema and an iterator of its record batches (only *columns* if given)."""
    import pyarrow as pa

    if fmt.kind == "parquet":
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
        wanted = None if columns is None else [c for c in columns if c in schema.names]
        if wanted == []:
            return schema, iter(())
        return schema, parquet.iter_batches(batch_size=ARROW_BATCH_ROWS, columns=wanted)
    source = pa.memory_map(str(path))
    try:
        reader = pa.ipc.open_file(source)
        batches: Iterator[Any] = (reader.get_batch(i) for i in range(reader.num_record_batches))
    except pa.ArrowInvalid:
        source.seek(0)
        reader = pa.ipc.open_stream(source)
        batches = iter(reader)
    schema = reader.schema
    if columns is not None:
        wanted = [c for c in columns if c in schema.names]
        batches = (batch.select(wanted) for batch in batches)
    return schema, batches


def _arrow_rows(path: Path, fmt: TableFormat) -> int:
    """Rows of a Parquet or Arrow IPC file."""
    if fmt.kind == "parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    _, batches = _arrow_batches(path, fmt, None)
    return sum(batch.num_rows for batch in batches)


@dataclass(frozen=True)
class RowEdits:
    """The changes clean makes to DATA: rows dropped, label cells replaced, a column added.

    Attributes
    ----------
    drop
        Sorted 0-based rows to remove.
    relabel_rows, relabel_values
        Sorted rows to relabel and the class each gets (same order).
    label_column
        DATA's label column (needed to relabel or keep the original).
    keep_original
        Name of a new column holding the label before relabelling, or ``None``.
    relabel_old
        The current label of each relabelled row as text (CSV: checked against the cell that
        is replaced), or empty.
    """

    drop: np.ndarray
    relabel_rows: np.ndarray
    relabel_values: Sequence[Any]
    label_column: str | None
    keep_original: str | None = None
    relabel_old: Sequence[str | None] = ()


def copy_rows(
    data: Path, data_format: TableFormat, output: Path, edits: RowEdits, label: LabelColumn
) -> None:
    """Write DATA with *edits* to *output* (``-`` for standard output, as CSV), atomically.

    *label* is what :func:`read_label_column` read of DATA; a CSV whose records the byte scan
    counts differently from pyarrow's parser is refused (nothing is written to a file).
    """
    out_format = table_format(output, "output")
    with _output(output) as target:
        if data_format.kind == "csv":
            from labelaudit.io.csvcopy import copy_csv_file

            copy_csv_file(data, data_format, target, out_format, edits, label)
        else:
            from labelaudit.io.arrowcopy import copy_arrow_file

            copy_arrow_file(data, data_format, target, out_format, edits)


@contextlib.contextmanager
def _output(output: Path) -> Iterator[Path | None]:
    """A temporary path renamed onto *output* on success, or ``None`` for standard output."""
    if output == STDIO:
        yield None
        sys.stdout.flush()
        return
    with atomic_path(output) as tmp:
        yield tmp


@contextlib.contextmanager
def spooled_stdin() -> Iterator[Path]:
    """Standard input (CSV) saved to a temporary file, removed afterwards.

    clean reads DATA twice (its label column for the checks, then its rows), which a pipe
    cannot do; the copy is made in the system's temporary folder, in blocks.
    """
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="labelaudit-stdin-") as folder:
        path = Path(folder) / "stdin.csv"
        with open(path, "wb") as handle:
            shutil.copyfileobj(sys.stdin.buffer, handle, 1 << 20)
        yield path


def describe_classes(classes: Sequence[Any]) -> str:
    """A short listing of class names for an error message."""
    return listing([value_text(c) for c in classes])
