"""Probabilities: reading ``--probs`` files (``.npy`` memory-mapped, tables column by column)
and validating them through :mod:`labelaudit.core.validation`, with the file name in every message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.core._arrays import keep_freed_memory
from labelaudit.errors import InputError, first_line, listing
from labelaudit.io.labels import ClassMatcher
from labelaudit.io.npy import load_npy, page_releaser
from labelaudit.io.paths import check_readable, check_suffix
from labelaudit.io.sources import Source
from labelaudit.io.tables import prefetched, read_table, table_columns

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

PROBS_SUFFIXES = (".parquet", ".csv", ".npy")


@dataclass(frozen=True)
class ProbsFile:
    """One validated ``(N, K)`` probability array and the class names of its columns."""

    path: Path
    array: np.ndarray
    class_names: list[str] | None
    ids: pd.Series | None


def _probs_from_table(path: Path, id_column: str | None) -> tuple[np.ndarray, list[str], Any]:
    """Read a class-per-column probability table into a C-contiguous ``(N, K)`` array."""
    import numpy as np
    import pandas as pd

    columns = table_columns(path)
    if id_column is not None and id_column not in columns:
        id_column = None  # the ids may come from another input; checked by the caller
    class_names = [name for name in columns if name != id_column]
    if not class_names:
        raise InputError(f"{path}: has no probability columns (one numeric column per class).")
    frame = read_table(path)
    frame.columns = [str(name) for name in frame.columns]
    ids = frame[id_column] if id_column is not None else None
    for name in class_names:
        series = frame[name]
        if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
            hint = f" If it is an id column, pass --id-column {name}." if id_column is None else ""
            raise InputError(
                f"{path}: column {name!r} is not numeric ({series.dtype}); every column except "
                f"the id column must hold one class's probabilities.{hint}"
            )
    all_float32 = all(frame[name].dtype == np.float32 for name in class_names)
    dtype = np.float32 if all_float32 else np.float64
    array = np.empty((len(frame), len(class_names)), dtype=dtype)
    for index, name in enumerate(class_names):
        array[:, index] = frame[name].to_numpy(dtype=dtype, na_value=np.nan)
    return array, class_names, ids


def read_probs(path: Path, *, id_column: str | None = None) -> ProbsFile:
    """Read one ``--probs`` file; ``.npy`` is memory-mapped, tables are read column-wise.

    The values are not validated here; see :func:`validate_probs`.
    """
    import numpy as np

    check_readable(path)
    suffix = check_suffix(path, PROBS_SUFFIXES, "probs")
    keep_freed_memory()  # the passes over the probabilities then reuse memory (fewer faults)
    if suffix == ".npy":
        array = load_npy(path, mmap=True)
        if array.ndim != 2:
            hint = (
                " For two classes save both columns, e.g. np.column_stack([1 - p, p])."
                if array.ndim == 1
                else ""
            )
            raise InputError(
                f"{path}: probabilities must be a 2-D (rows, classes) array, got shape "
                f"{array.shape}.{hint}"
            )
        if array.dtype.kind not in "biuf":
            raise InputError(f"{path}: unsupported dtype {array.dtype}; save float probabilities.")
        if array.dtype not in (np.float32, np.float64) or not array.dtype.isnative:
            array = np.ascontiguousarray(array, dtype=np.float64)
        return ProbsFile(path=path, array=array, class_names=None, ids=None)
    array, class_names, ids = _probs_from_table(path, id_column)
    return ProbsFile(path=path, array=array, class_names=class_names, ids=ids)


def _probs_message(where: Any, names: Sequence[str] | None, exc: Any, start: int = 0) -> str:
    """The ``Error:`` text for a validation failure: file, row, column, and the fix.

    *names* are the checked array's column names (``None``: their positions are shown); rows
    are counted from the table's start, *start* rows before the checked array.
    """
    row = None if exc.row is None else exc.row + start
    if exc.reason == "shape":
        return f"{where}: {exc.detail}."
    if exc.reason == "value":
        column = repr(names[exc.column]) if names is not None else str(exc.column)
        return (
            f"{where}: row {row}, column {column}: {exc.detail}; probabilities must be finite "
            "numbers in [0, 1]."
        )
    if exc.reason == "zero":
        return f"{where}: row {row}: all probabilities are 0; cannot normalise it."
    return (
        f"{where}: row {row}: {exc.detail}.\nPass --normalize to rescale every row to sum to 1 "
        "(or --multi-label if these are per-class probabilities of label sets)."
    )


def validate_probs(
    probs: ProbsFile,
    *,
    normalize: bool = False,
    chunk_rows: int | None = None,
    release_pages: bool = False,
) -> np.ndarray:
    """Check every value and row sum (the core's check); return the array to use.

    The first bad row is reported with the file and the class column. With *normalize*, rows
    whose sums are off are rescaled (in a new array of the same dtype); otherwise the input
    array, possibly a memory map, is returned. With *release_pages*, a memory map's pages are
    dropped as they are checked (see :func:`~labelaudit.io.npy.page_releaser`).
    """
    from labelaudit.core.validation import InvalidProbabilitiesError, check_pred_probs

    release = page_releaser(probs.array) if release_pages else None
    try:
        return check_pred_probs(
            probs.array, normalize=normalize, chunk_rows=chunk_rows, release_rows=release
        )
    except InvalidProbabilitiesError as exc:
        raise InputError(_probs_message(probs.path, probs.class_names, exc)) from exc


# --- probability tables from any source, streamed ----------------------------------------------


@dataclass(frozen=True)
class ProbsColumns:
    """Which columns of a table hold which class's probabilities.

    Attributes
    ----------
    columns
        The table's probability columns, in column order.
    class_names
        The class of each column, as text (the column name, or what ``*`` of
        ``--prob-columns`` matched).
    """

    columns: list[str]
    class_names: list[str]


def probability_columns(
    source: Source,
    schema: Any,
    *,
    exclude: Sequence[str],
    pattern: str | None,
    strict: bool,
) -> ProbsColumns:
    """The probability columns of a table: those *pattern* matches, else every numeric column.

    *exclude* are the label and id columns. With *strict* (a table of probabilities only), a
    non-numeric column is an error, as it is for every column *pattern* matches.
    """
    names = [n for n in schema.names if n not in exclude and n != "__index_level_0__"]
    if pattern is not None:
        matched = [(n, _glob_class(pattern, n)) for n in names]
        chosen = [(n, c) for n, c in matched if c is not None]
        if not chosen:
            raise InputError(
                f"{source}: --prob-columns {pattern!r} matches no column; columns are "
                f"{listing(names)}."
            )
        for name, _ in chosen:
            _require_numeric(source, schema.field(name), None)
        return ProbsColumns([n for n, _ in chosen], [str(c) for _, c in chosen])
    if strict:
        for name in names:
            _require_numeric(source, schema.field(name), exclude)
    columns = [n for n in names if _is_numeric(schema.field(n).type)]
    if not columns:
        raise InputError(f"{source}: has no probability columns (one numeric column per class).")
    return ProbsColumns(columns, [str(n) for n in columns])


def _glob_class(pattern: str, name: str) -> str | None:
    """The class a column stands for when it matches *pattern* (what ``*`` matched), or None."""
    import fnmatch
    import re

    if not fnmatch.fnmatchcase(name, pattern):
        return None
    if pattern.count("*") != 1:
        return name
    head, tail = pattern.split("*")
    regex = fnmatch.translate(head).removesuffix(r"\Z") + "(.*)" + fnmatch.translate(tail)
    match = re.match(regex.replace("(?s:", "(?:"), name, flags=re.S)
    return match.group(1) if match else name


def _is_numeric(kind: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind))


def _require_numeric(source: Source, field: Any, exclude: Sequence[str] | None) -> None:
    if _is_numeric(field.type):
        return
    hint = ""
    if exclude is not None and len(exclude) == 0:
        hint = f" If it is an id column, pass --id-column {field.name}."
    raise InputError(
        f"{source}: column {field.name!r} is not numeric ({field.type}); every probability "
        f"column must hold one class's probabilities.{hint}"
    )


@dataclass
class StreamedTable:
    """What one pass over a table gave: probabilities, label codes and ids (each optional)."""

    n_rows: int
    probs: np.ndarray | None
    codes: np.ndarray | None
    ids: Any


def stream_table(
    source: Source,
    *,
    probs: ProbsColumns | None = None,
    dtype: Any = None,
    label: tuple[str, ClassMatcher] | None = None,
    id_column: str | None = None,
    normalize: bool = False,
) -> StreamedTable:
    """Read a table once, batch by batch: label codes, validated probabilities and ids.

    Probability columns are copied into one ``(N, K)`` array of *dtype* (preallocated when the
    source knows its row count) and each batch is validated by the core's check, its rows
    reported from the table's start. Labels are encoded to class indices with Arrow compute;
    ids stay an Arrow array.
    """
    import pyarrow as pa

    from labelaudit.core._arrays import compact_int_dtype

    keep_freed_memory()  # the passes over the probabilities then reuse memory (fewer faults)
    columns = [] if probs is None else list(probs.columns)
    text = [name for name in (label[0] if label else None, id_column) if name]
    wanted = list(dict.fromkeys([*text, *columns]))
    code_dtype = compact_int_dtype(len(label[1].class_names)) if label is not None else None
    sink = _sink_for(source, len(columns), dtype, code_dtype)
    id_chunks: list[Any] = []
    labels = [label[0]] if label is not None else []
    batches = source.batches(wanted, text=text, numeric=columns, dictionary=labels)
    for batch in prefetched(batches):
        start, stop = sink.rows(batch.num_rows)
        if label is not None:
            sink.codes_out(start, stop)[:] = label[1].encode(batch.column(label[0]), start)
        if columns:
            _copy_probs(source, probs, batch, sink.probs_out(start, stop), start, normalize)
            sink.filled(start, stop)
        if id_column is not None:
            id_chunks.append(batch.column(id_column))
    ids = None
    if id_column is not None:
        ids = pa.chunked_array(id_chunks, type=id_chunks[0].type if id_chunks else pa.string())
    out_probs, out_codes = sink.finish()
    pa.default_memory_pool().release_unused()  # the batches' buffers, kept by the allocator
    return StreamedTable(sink.n_rows, out_probs, out_codes, ids)


def _copy_probs(
    source: Source,
    probs: ProbsColumns | None,
    batch: Any,
    out: np.ndarray,
    start: int,
    normalize: bool,
) -> None:
    """Copy one batch's probability columns into *out* and validate those rows."""
    import numpy as np

    from labelaudit.core.validation import InvalidProbabilitiesError, check_pred_probs
    from labelaudit.io.arrownp import to_numpy

    assert probs is not None
    columns = [to_numpy(batch.column(name), fill=np.nan) for name in probs.columns]
    if columns and out.shape[0]:
        _interleave(columns, out)
    if out.shape[0] == 0:
        return
    try:
        checked = check_pred_probs(out, normalize=normalize)
    except InvalidProbabilitiesError as exc:
        raise InputError(_probs_message(source, probs.columns, exc, start)) from exc
    if checked is not out:
        out[:] = checked


COPY_BLOCK_ROWS = 1 << 15
"""Rows of a batch interleaved at a time (a block of K columns stays in cache)."""


def _interleave(columns: Sequence[np.ndarray], out: np.ndarray) -> None:
    """Copy one array per class into the ``(n, K)`` rows of *out*, a block of rows at a time.

    Each block is stacked by class, then transposed in one copy: twice as fast as writing each
    column into the rows with a stride. Blocks of 32k rows in two threads, against one stack
    of the whole batch: no batch-sized temporary (40 MB at 1M x 10 float32), and the copies
    find their block in cache (measured, 1M x 10 float32: 33 ms -> 24 ms in one thread).
    """
    import numpy as np

    from labelaudit.core._arrays import default_threads, map_chunks, row_chunks

    def one_block(rows: slice) -> None:
        out[rows] = np.vstack([column[rows] for column in columns]).T

    map_chunks(one_block, list(row_chunks(out.shape[0], COPY_BLOCK_ROWS)), default_threads())


SPILL_BYTES = 1 << 30
"""Probability arrays larger than this (known size) are written to a temporary memory-mapped
file whose pages are released as they are filled, so resident memory stays bounded at any N."""


class _Sink:
    """Output arrays filled batch by batch: preallocated when N is known, else grown in chunks."""

    def __init__(
        self, n_rows: int | None, n_columns: int, dtype: Any, code_dtype: Any | None
    ) -> None:
        import numpy as np

        self.known, self.n_rows, self.name = n_rows, 0, "the table"
        self.n_columns, self.dtype, self.code_dtype = n_columns, dtype, code_dtype
        self.probs_chunks: list[np.ndarray] = []
        self.code_chunks: list[np.ndarray] = []
        self.probs: np.ndarray | None = None
        self.codes: np.ndarray | None = None
        self.release: Any = None
        if n_rows is not None:
            if n_columns:
                self.probs = _allocate(n_rows, n_columns, np.dtype(dtype))
                self.release = page_releaser(self.probs)
            if code_dtype is not None:
                self.codes = np.empty(n_rows, dtype=code_dtype)

    def rows(self, count: int) -> tuple[int, int]:
        """Room for the next *count* rows: their ``(start, stop)`` in the table."""
        import numpy as np

        start, self.n_rows = self.n_rows, self.n_rows + count
        if self.known is not None:
            if self.n_rows > self.known:
                raise InputError(f"{self.name}: has more rows than its metadata says.")
        else:
            if self.n_columns:
                self.probs_chunks.append(np.empty((count, self.n_columns), dtype=self.dtype))
            if self.code_dtype is not None:
                self.code_chunks.append(np.empty(count, dtype=self.code_dtype))
        return start, self.n_rows

    def probs_out(self, start: int, stop: int) -> np.ndarray:
        return self.probs[start:stop] if self.probs is not None else self.probs_chunks[-1]

    def filled(self, start: int, stop: int) -> None:
        """Rows written: a spilled array's pages can leave resident memory."""
        if self.release is not None:
            self.release(slice(start, stop))

    def codes_out(self, start: int, stop: int) -> np.ndarray:
        return self.codes[start:stop] if self.codes is not None else self.code_chunks[-1]

    def finish(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The probabilities and codes of every row read."""
        import numpy as np

        if self.known is not None:
            if self.n_rows != self.known:
                raise InputError(f"{self.name}: has fewer rows than its metadata says.")
            return self.probs, self.codes
        probs = codes = None
        if self.n_columns:
            empty = np.empty((0, self.n_columns), dtype=self.dtype)
            probs = np.concatenate(self.probs_chunks) if self.probs_chunks else empty
        if self.code_dtype is not None:
            empty_codes = np.empty(0, dtype=self.code_dtype)
            codes = np.concatenate(self.code_chunks) if self.code_chunks else empty_codes
        return probs, codes


def _sink_for(source: Source, n_columns: int, dtype: Any, code_dtype: Any) -> _Sink:
    """The arrays for *source*'s rows, named in the error when they cannot be allocated.

    A corrupt Parquet footer can declare 2**50 rows: the failure names the file and the count.
    """
    n_rows = source.count_rows()
    try:
        sink = _Sink(n_rows, n_columns, dtype, code_dtype)
    except (MemoryError, OSError) as exc:
        raise InputError(
            f"{source}: too large to read into memory: it declares {n_rows:,} rows "
            f"({first_line(exc)}); is the file corrupt?"
        ) from exc
    sink.name = str(source)
    return sink


def _allocate(n_rows: int, n_columns: int, dtype: Any) -> np.ndarray:
    """An ``(n_rows, n_columns)`` array: in memory, or spilled to an unlinked temporary file."""
    import os
    import tempfile

    import numpy as np

    if n_rows * n_columns * dtype.itemsize <= SPILL_BYTES:
        return np.empty((n_rows, n_columns), dtype=dtype)
    fd, name = tempfile.mkstemp(prefix="labelaudit-probs-", suffix=".npy")
    os.close(fd)
    try:
        return np.lib.format.open_memmap(name, mode="w+", dtype=dtype, shape=(n_rows, n_columns))
    finally:
        os.unlink(name)  # the mapping keeps the data; nothing is left behind on exit


def probs_dtype(schema: Any, columns: Sequence[str]) -> Any:
    """float32 when every probability column is float32 (kept as it is), else float64."""
    import numpy as np
    import pyarrow as pa

    if all(schema.field(name).type == pa.float32() for name in columns):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def write_probs_table(columns: dict[str, Any], path: Path, described: dict[str, Any]) -> None:
    """Write predicted probabilities atomically as Parquet or Arrow IPC (by extension).

    Parquet and Arrow keep *described* (id column, label column, typed classes) as JSON in the
    schema metadata, so later commands need neither ``--id-column`` nor ``--classes``.
    """
    import json

    import pyarrow as pa

    from labelaudit.io.paths import atomic_path, suffix_of
    from labelaudit.io.sources import METADATA_KEY

    suffix = suffix_of(path)
    table = pa.table({name: pa.array(values) for name, values in columns.items()})
    table = table.replace_schema_metadata({METADATA_KEY: json.dumps(described).encode()})
    with atomic_path(path) as tmp:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, tmp)
        else:
            import pyarrow.feather as feather

            feather.write_feather(table, tmp)
