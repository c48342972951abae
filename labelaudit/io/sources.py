"""Sources: where a table comes from (a file, a folder or glob of Parquet files, or stdin).

One :class:`Source` per ``--labels`` / ``--probs`` / FEATURES argument (DESIGN.md section 3.1):

- a file: ``.parquet``, ``.csv``, ``.tsv`` (and either compressed: ``.gz``, ``.bz2``, ``.zst``,
  ``.lz4``, ``.br``), ``.arrow`` / ``.feather`` (Arrow IPC) or ``.npy``;
- a folder or a quoted glob of Parquet files: one table, files in sorted-path order, ``k=v``
  folders (hive partitions) adding columns;
- ``-``: standard input, CSV (gzip-compressed too) or an Arrow IPC stream (sniffed), read once
  and shared by every source that names it.

A source gives its schema and metadata without reading data, its row count when the format
stores it, and its rows as a stream of Arrow record batches. CSV columns named as *text* (label
and id columns) are read as strings: ``01``, ``NA``, ``TRUE`` stay as written, only an empty
cell is missing.
"""

from __future__ import annotations

import glob
import json
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, listing
from labelaudit.io.tables import reading

if TYPE_CHECKING:
    import pyarrow as pa

STDIN = "-"
METADATA_KEY = b"labelaudit"
"""Schema metadata key of the JSON written by predict: id column, label column, classes."""
BATCH_ROWS = 1 << 20
"""Rows per record batch read (a 10-class float32 batch is 40 MB)."""
COMPRESSIONS = (".gz", ".bz2", ".zst", ".lz4", ".br")
PARQUET = (".parquet", ".pq")
IPC = (".arrow", ".feather", ".ipc")
SOURCE_TYPES = ".parquet, .csv, .tsv (optionally compressed), .arrow/.feather, .npy"

_stdin_buffer: Any = None


@dataclass(frozen=True)
class Source:
    """One table input, resolved: what it is and which files it reads.

    Attributes
    ----------
    name
        As given (shown in messages).
    kind
        ``"npy"``, ``"parquet"`` (one file or a dataset), ``"csv"``, ``"ipc"`` or ``"stdin"``.
    paths
        The files read, in order (empty for stdin).
    base
        The folder that hive partition folders are relative to, for a dataset.
    """

    name: str
    kind: str
    paths: tuple[Path, ...] = ()
    base: Path | None = None
    delimiter: str = ","

    def __str__(self) -> str:
        return self.name

    @property
    def path(self) -> Path:
        """The single file of a one-file source (the first file of a dataset)."""
        return self.paths[0] if self.paths else Path(self.name)

    def same_as(self, other: Source) -> bool:
        """Whether both name the same table (stdin is one table, read once)."""
        if self.kind == "stdin" or other.kind == "stdin":
            return self.kind == other.kind
        return [p.resolve() for p in self.paths] == [p.resolve() for p in other.paths]

    def schema(self) -> pa.Schema:
        """Column names and types, reading no rows (CSV: types inferred from the first block)."""
        import pyarrow as pa

        if self.kind == "npy":
            raise InputError(f"{self.name}: a .npy array has no columns.")
        if self.kind == "parquet":
            return _parquet_schema(self)
        with reading(self.path, self._kind_name()):
            if self.kind == "ipc":
                return _open_ipc(pa.memory_map(str(self.path))).schema
            if self.kind == "csv":
                return _csv_reader(self).schema
            return _stdin_schema(self)

    def metadata(self) -> dict[str, Any]:
        """The JSON that predict stored in the schema metadata (empty when there is none)."""
        if self.kind in ("npy", "csv", "stdin"):
            return {}
        raw = (self.schema().metadata or {}).get(METADATA_KEY)
        if raw is None:
            return {}
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise InputError(f"{self.name}: unreadable labelaudit metadata ({exc}).") from exc
        return document if isinstance(document, dict) else {}

    def count_rows(self) -> int | None:
        """Row count from file metadata, or ``None`` when only reading finds it (CSV, stdin)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.kind == "parquet":
            with reading(self.path, "Parquet"):
                return sum(pq.ParquetFile(path).metadata.num_rows for path in self.paths)
        if self.kind == "ipc":
            with reading(self.path, "Arrow"):
                reader = _open_ipc(pa.memory_map(str(self.path)))
                if isinstance(reader, pa.ipc.RecordBatchFileReader):
                    return sum(
                        reader.get_batch(i).num_rows for i in range(reader.num_record_batches)
                    )
        return None

    def batches(
        self,
        columns: Sequence[str],
        *,
        text: Sequence[str] = (),
        numeric: Sequence[str] = (),
        dictionary: Sequence[str] = (),
    ) -> Iterator[pa.RecordBatch]:
        """The *columns* of every row, in order, as record batches.

        *text* columns are read as strings from CSV, *numeric* CSV columns as float64;
        *dictionary* columns (few distinct values: labels) as dictionaries from Parquet.
        """
        if self.kind == "parquet":
            yield from _parquet_batches(self, columns, dictionary)
            return
        with reading(self.path if self.paths else Path(self.name), self._kind_name()):
            if self.kind == "ipc":
                yield from _ipc_batches(self, columns)
            elif self.kind == "csv":
                yield from _csv_batches(self, columns, text, numeric)
            else:
                yield from _stdin_batches(self, columns, text, numeric)

    def _kind_name(self) -> str:
        return {"ipc": "Arrow IPC", "csv": "CSV", "stdin": "standard input"}.get(self.kind, "")


def resolve_source(spec: str | Path, what: str) -> Source:
    """The :class:`Source` that *spec* names, or :class:`InputError` saying why there is none.

    *what* names the use (``"labels"``, ``"probs"``, ``"features"``) in messages.
    """
    text = str(spec)
    if text == STDIN:
        return Source(STDIN, "stdin")
    if any(char in text for char in "*?["):
        return _glob_source(text)
    path = Path(text)
    if path.is_dir():
        return _folder_source(path)
    if not path.exists():
        raise InputError(f"{path}: no such file. Check the path.")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: cannot be read (permission denied).")
    kind, delimiter = _file_kind(path)
    if kind is None:
        raise InputError(
            f"{path}: unsupported {what} file type '{path.suffix or '(none)'}'; use "
            f"{SOURCE_TYPES}, a folder of Parquet files or '-' for stdin."
        )
    return Source(str(path), kind, (path,), None, delimiter)


def _file_kind(path: Path) -> tuple[str | None, str]:
    """``(kind, delimiter)`` from a file's suffixes."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes = suffixes[:-1]
        compressed = True
    else:
        compressed = False
    last = suffixes[-1] if suffixes else ""
    if last in (".csv", ".tsv"):
        return "csv", "\t" if last == ".tsv" else ","
    if compressed:
        return None, ","
    if last in PARQUET:
        return "parquet", ","
    if last in IPC:
        return "ipc", ","
    if last == ".npy":
        return "npy", ","
    return None, ","


def _parquet_files(paths: Sequence[Path]) -> list[Path]:
    """Parquet data files only: hidden and ``_``-prefixed files (``_SUCCESS``...) are skipped."""
    return sorted(
        p
        for p in paths
        if p.is_file() and not p.name.startswith((".", "_")) and p.suffix.lower() in PARQUET
    )


def _folder_source(folder: Path) -> Source:
    files = _parquet_files(list(folder.rglob("*")))
    if not files:
        raise InputError(
            f"{folder}: is a folder with no .parquet file; give a Parquet dataset folder or a file."
        )
    return Source(str(folder), "parquet", tuple(files), folder)


def _glob_source(pattern: str) -> Source:
    matched = [Path(p) for p in glob.glob(pattern, recursive=True)]
    if not matched:
        raise InputError(f"{pattern}: no file matches this pattern. Check the path.")
    files = _parquet_files(matched)
    if len(files) != len([p for p in matched if p.is_file()]) or not files:
        others = [str(p) for p in matched if p not in files]
        raise InputError(
            f"{pattern}: matches files that are not Parquet ({listing(others)}); a pattern must "
            "match .parquet files only."
        )
    static = Path(pattern.split("*")[0].split("?")[0].split("[")[0])
    base = static if str(pattern).endswith("/") or static.is_dir() else static.parent
    return Source(pattern, "parquet", tuple(files), base)


# --- Parquet ------------------------------------------------------------------------------------


def _partition_values(source: Source, path: Path) -> dict[str, str]:
    """``k=v`` folder names between the dataset's base folder and *path* (hive partitions)."""
    if source.base is None:
        return {}
    try:
        parts = path.parent.relative_to(source.base).parts
    except ValueError:
        return {}
    return dict(part.split("=", 1) for part in parts if "=" in part)


def _parquet_schema(source: Source) -> pa.Schema:
    """The dataset's schema (every file's must match the first's), partition columns added."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = None
    for path in source.paths:
        with reading(path, "Parquet"):
            file_schema = pq.read_schema(path)
        if schema is None:
            schema = file_schema
        elif not file_schema.remove_metadata().equals(schema.remove_metadata()):
            raise InputError(_schema_difference(source, path, schema, file_schema))
    assert schema is not None
    for key in _partition_values(source, source.paths[0]):
        if key not in schema.names:
            schema = schema.append(pa.field(key, pa.string()))
    return schema


def _schema_difference(source: Source, path: Path, first: pa.Schema, other: pa.Schema) -> str:
    """The ``Error:`` text for a dataset file whose columns differ from the first file's."""
    for field in first:
        if field.name not in other.names:
            detail = f"has no column {field.name!r}"
            break
        if other.field(field.name).type != field.type:
            detail = f"column {field.name!r} is {other.field(field.name).type}, not {field.type}"
            break
    else:
        extra = [name for name in other.names if name not in first.names]
        detail = (
            f"has other columns ({listing(extra)})" if extra else "has columns in another order"
        )
    return (
        f"{path}: {detail} as in {source.paths[0]}; every file of {source.name} must have the "
        "same columns and types."
    )


def _parquet_batches(
    source: Source, columns: Sequence[str], text: Sequence[str]
) -> Iterator[pa.RecordBatch]:
    """Every file's *columns* in order; partition columns filled from the folder names."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for path in source.paths:
        partitions = _partition_values(source, path)
        stored = [c for c in columns if c not in partitions]
        with reading(path, "Parquet"):
            handle = pq.ParquetFile(path, read_dictionary=[c for c in text if c in stored])
            if not stored:
                stored = handle.schema_arrow.names[:1]
            # One row group at a time: iter_batches reads ahead (measured: 540 MB of buffers
            # for a 400 MB float32 table, against 136 MB this way).
            groups = (
                handle.read_row_group(index, columns=stored)
                for index in range(handle.metadata.num_row_groups)
            )
            batches = (b for group in groups for b in group.to_batches(max_chunksize=BATCH_ROWS))
            for batch in batches:
                arrays = {
                    name: batch.column(name)
                    if name not in partitions
                    else pa.array([partitions[name]] * batch.num_rows, pa.string())
                    for name in columns
                }
                yield pa.RecordBatch.from_arrays(list(arrays.values()), names=list(arrays))


# --- Arrow IPC ----------------------------------------------------------------------------------


def _open_ipc(stream: Any) -> Any:
    """An IPC file reader, or a stream reader when the data is an IPC stream."""
    import pyarrow as pa

    head = stream.read(6)
    stream.seek(0)
    if head == b"ARROW1":
        return pa.ipc.open_file(stream)
    return pa.ipc.open_stream(stream)


def _ipc_batches(source: Source, columns: Sequence[str]) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    reader = _open_ipc(pa.memory_map(str(source.path)))
    if isinstance(reader, pa.ipc.RecordBatchFileReader):
        batches: Iterator[pa.RecordBatch] = (
            reader.get_batch(i) for i in range(reader.num_record_batches)
        )
    else:
        batches = iter(reader)
    for batch in batches:
        yield batch.select(list(columns))


# --- CSV ----------------------------------------------------------------------------------------


def _csv_convert(text: Sequence[str], numeric: Sequence[str], columns: Sequence[str] | None) -> Any:
    import pyarrow as pa
    import pyarrow.csv

    types = {name: pa.string() for name in text}
    types.update({name: pa.float64() for name in numeric if name not in types})
    return pyarrow.csv.ConvertOptions(
        column_types=types,
        include_columns=list(columns) if columns is not None else None,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )


def _csv_reader(source: Source, options: Any = None, data: Any = None) -> Any:
    """A streaming CSV reader of the file, or of the stdin buffer *data*."""
    import pyarrow as pa
    import pyarrow.csv

    parse = pyarrow.csv.ParseOptions(delimiter=source.delimiter, newlines_in_values=True)
    target = pa.BufferReader(data) if data is not None else str(source.path)
    return pyarrow.csv.open_csv(
        target,
        read_options=pyarrow.csv.ReadOptions(block_size=1 << 24),
        parse_options=parse,
        convert_options=options or _csv_convert((), (), None),
    )


def _csv_batches(
    source: Source, columns: Sequence[str], text: Sequence[str], numeric: Sequence[str]
) -> Iterator[pa.RecordBatch]:
    for batch in _csv_reader(source, _csv_convert(text, numeric, columns)):
        yield batch.select(list(columns))


# --- standard input -----------------------------------------------------------------------------


def stdin_buffer() -> Any:
    """Standard input, read whole once (it cannot be re-read) and kept for every reader.

    The copy is kept for the current ``sys.stdin`` object only, so a caller that replaces
    standard input (a test runner) gets its new contents.
    """
    global _stdin_buffer
    import pyarrow as pa

    stream = sys.stdin
    if _stdin_buffer is None or _stdin_buffer[0] is not stream:
        if stream is None or stream.isatty():
            raise InputError("-: standard input is a terminal; pipe a CSV or Arrow stream into it.")
        raw = stream.buffer.read()
        if raw[:2] == b"\x1f\x8b":  # gzip: a compressed CSV piped in
            import gzip

            raw = gzip.decompress(raw)
        _stdin_buffer = (stream, pa.py_buffer(raw))
    data = _stdin_buffer[1]
    if data.size == 0:
        raise InputError("-: standard input is empty; pipe a CSV or Arrow stream into it.")
    return data


def _stdin_is_arrow(data: Any) -> bool:
    """An Arrow IPC stream starts with the continuation marker, an IPC file with ``ARROW1``."""
    head = data.slice(0, 8).to_pybytes()
    return head.startswith((b"\xff\xff\xff\xff", b"ARROW1"))


def _stdin_schema(source: Source) -> pa.Schema:
    import pyarrow as pa

    data = stdin_buffer()
    if _stdin_is_arrow(data):
        return _open_ipc(pa.BufferReader(data)).schema
    return _csv_reader(source, None, data).schema


def _stdin_batches(
    source: Source, columns: Sequence[str], text: Sequence[str], numeric: Sequence[str]
) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    data = stdin_buffer()
    if _stdin_is_arrow(data):
        reader = _open_ipc(pa.BufferReader(data))
        if isinstance(reader, pa.ipc.RecordBatchFileReader):
            reader = (reader.get_batch(i) for i in range(reader.num_record_batches))
        for batch in reader:
            yield batch.select(list(columns))
        return
    for batch in _csv_reader(source, _csv_convert(text, numeric, columns), data):
        yield batch.select(list(columns))


def read_table(source: Source, columns: Sequence[str] | None = None) -> pa.Table:
    """The whole table (or *columns*) as one Arrow table (FEATURES of predict: not streamed)."""
    import pyarrow as pa

    schema = source.schema()
    names = list(columns) if columns is not None else list(schema.names)
    batches = list(source.batches(names))
    if not batches:
        return pa.table({name: pa.array([], schema.field(name).type) for name in names})
    return pa.Table.from_batches(batches)


def read_frame(spec: str | Path, what: str = "features") -> Any:
    """A whole table source as a pandas DataFrame (predict's FEATURES, which need one).

    CSV keeps pandas' own type inference (numbers, text), as predict has always read it;
    every other source is read with pyarrow and converted once.
    """
    import io as _io

    import pandas as pd

    source = resolve_source(spec, what)
    if source.kind == "npy":
        raise InputError(f"{source}: a .npy array has no columns; {what} must be a table.")
    if source.kind == "csv":
        with reading(source.path, "CSV"):
            return pd.read_csv(source.path, sep=source.delimiter, compression="infer")
    if source.kind == "stdin" and not _stdin_is_arrow(stdin_buffer()):
        with reading(Path(STDIN), "CSV"):
            return pd.read_csv(_io.BytesIO(stdin_buffer().to_pybytes()))
    return read_table(source).to_pandas()
