"""File formats, validation, class mapping and atomic writes.

Every subcommand reads its inputs through this module so that bad input is rejected the same way
everywhere: an :class:`~labelaudit.errors.InputError` naming the file, column or row and the fix.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

TABLE_SUFFIXES = (".parquet", ".csv")


def suffix_of(path: Path) -> str:
    """Lower-case file extension, with ``.pq`` treated as ``.parquet``."""
    suffix = path.suffix.lower()
    return ".parquet" if suffix == ".pq" else suffix


def check_readable(path: Path) -> Path:
    """Raise a clear error when *path* is missing, a folder, or unreadable."""
    if not path.exists():
        raise InputError(f"{path}: no such file. Check the path.")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file.")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: cannot be read (permission denied).")
    return path


def read_table(path: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a ``.parquet`` or ``.csv`` file into a DataFrame, or raise :class:`InputError`."""
    import pandas as pd

    check_readable(path)
    suffix = suffix_of(path)
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path, columns=list(columns) if columns else None)
        if suffix == ".csv":
            return pd.read_csv(path, usecols=list(columns) if columns else None)
    except (OSError, ValueError) as exc:  # pyarrow and pandas raise subclasses of these
        kind = "Parquet" if suffix == ".parquet" else "CSV"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: not a readable {kind} file ({first_line}).") from exc
    raise InputError(f"{path}: unsupported file type '{path.suffix}'; use .parquet or .csv.")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path in *path*'s folder; rename it onto *path* only on success.

    A failed write leaves neither a partial output nor the temporary file behind.
    """
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{path}: the folder {folder} does not exist.")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates the file 0600; give the output the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


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
    suffix = suffix_of(path)
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"{path}: unsupported output type '{path.suffix}'; use .parquet or .csv.")
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


def page_releaser(array: Any) -> Callable[[slice], None] | None:
    """For a memory-mapped ``.npy`` array, a callback that drops the pages of rows already read.

    The pages stay in the operating system's file cache, so a later pass re-reads them cheaply,
    but they no longer count toward this process's resident memory. ``None`` for other arrays.
    """
    import mmap

    import numpy as np

    mapping = getattr(array, "_mmap", None)
    if not isinstance(array, np.memmap) or mapping is None or not hasattr(mapping, "madvise"):
        return None
    row_bytes = array.shape[1] * array.dtype.itemsize
    # np.memmap maps from the offset rounded down to the allocation granularity.
    data_start = array.offset % mmap.ALLOCATIONGRANULARITY
    page = mmap.PAGESIZE

    def release(rows: slice) -> None:
        begin = data_start + rows.start * row_bytes
        end = data_start + rows.stop * row_bytes
        first_page = -(-begin // page) * page  # whole pages inside the rows only
        last_page = end // page * page
        if last_page > first_page:
            mapping.madvise(mmap.MADV_DONTNEED, first_page, last_page - first_page)

    return release


def _arrow_column(values: Any) -> Any:
    """A pyarrow array for one numpy column.

    Numeric and boolean columns are wrapped from their buffers: ``pa.array`` on a numpy array
    imports pandas (a quarter of a second), which small runs in shell pipelines notice.
    """
    import numpy as np
    import pyarrow as pa

    values = np.asarray(values)
    if values.dtype.kind in "iuf" and values.dtype.isnative:
        values = np.ascontiguousarray(values)
        dtype = pa.from_numpy_dtype(values.dtype)
        return pa.Array.from_buffers(dtype, len(values), [None, pa.py_buffer(values)])
    if values.dtype.kind == "b":
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [None, pa.py_buffer(bits)])
    return pa.array(values)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
    suffix = suffix_of(path)
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"{path}: unsupported output type '{path.suffix}'; use .parquet or .csv.")
    with atomic_path(path) as tmp:
        if suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        else:
            table.to_csv(tmp, index=False)


def write_text(text: str, path: Path) -> None:
    """Write *text* atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_npy(array: Any, path: Path) -> None:
    """Write a numpy array atomically as ``.npy``."""
    import numpy as np

    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.save(handle, array)


def refuse_overwrite(output: Path, inputs: Sequence[Path]) -> None:
    """Raise when *output* is one of *inputs* (the same file, whatever the spelling)."""
    out = output.resolve()
    for source in inputs:
        if source.exists() and output.exists() and os.path.samefile(source, output):
            raise InputError(f"{output}: is also an input; choose another output path.")
        if source.resolve() == out:
            raise InputError(f"{output}: is also an input; choose another output path.")


# ---------------------------------------------------------------------------------------------
# Reading and validating the audit inputs (labels + predicted probabilities)
# ---------------------------------------------------------------------------------------------

LABEL_SUFFIXES = (".parquet", ".csv", ".npy")
PROBS_SUFFIXES = (".parquet", ".csv", ".npy")
#: Rows summing to 1 within this tolerance are accepted without ``--normalize``.
ROW_SUM_TOLERANCE = 1e-4
#: Rows per chunk when combining probability arrays (validation chunks by bytes).
CHUNK_ROWS = 1_000_000
_MAX_LISTED = 12


@dataclass(frozen=True)
class LabelsFile:
    """The raw labels of one file, before they are mapped to class indices."""

    path: Path
    values: pd.Series | np.ndarray
    column: str | None
    ids: pd.Series | None


@dataclass(frozen=True)
class ProbsFile:
    """One validated ``(N, K)`` probability array and the class names of its columns."""

    path: Path
    array: np.ndarray
    class_names: list[str] | None
    ids: pd.Series | None


@dataclass(frozen=True)
class AuditInputs:
    """Everything the audit commands need, validated and mapped to class indices.

    Attributes
    ----------
    labels
        ``(N,)`` class indices ``0..K-1`` in the smallest integer dtype.
    pred_probs
        ``(N, K)`` float32/float64 probabilities: the single ``--probs`` array (possibly a
        memory map) or the row-wise mean of several.
    pred_probs_list
        One ``(N, K)`` array per ``--probs`` file, columns in class order.
    classes
        The class of each column, as shown and written: ints when the labels are integers and
        every class name is an integer, else strings.
    ids, id_column
        The ``--id-column`` values and name, or ``None``.
    label_column
        The name of the label column of a table, ``None`` for ``.npy`` labels.
    """

    labels: np.ndarray
    pred_probs: np.ndarray
    pred_probs_list: list[np.ndarray]
    classes: list[Any]
    ids: pd.Series | None
    id_column: str | None
    label_column: str | None
    labels_path: Path
    probs_paths: list[Path]

    @property
    def n_examples(self) -> int:
        """Number of rows."""
        return int(self.labels.shape[0])

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)


def _listing(names: Sequence[Any]) -> str:
    shown = ", ".join(repr(str(name)) for name in list(names)[:_MAX_LISTED])
    more = len(names) - _MAX_LISTED
    return f"{shown}, … ({more} more)" if more > 0 else shown


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_suffix(path: Path, allowed: Sequence[str], what: str) -> str:
    """Return *path*'s suffix or raise when it is not one of *allowed* (``what`` names the use)."""
    suffix = suffix_of(path)
    if suffix not in allowed:
        raise InputError(
            f"{path}: unsupported {what} file type '{path.suffix or '(none)'}'; "
            f"use {', '.join(allowed)}."
        )
    return suffix


def check_output_path(path: Path, allowed: Sequence[str], option: str = "-o/--output") -> Path:
    """Check an output path's extension and folder before any work is done."""
    suffix = suffix_of(path)
    if suffix not in allowed:
        raise InputError(
            f"{option} {path}: unsupported output type '{path.suffix or '(none)'}'; "
            f"use {' or '.join(allowed)}."
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{option} {path}: the folder {folder} does not exist.")
    if path.is_dir():
        raise InputError(f"{option} {path}: is a folder; give a file name.")
    return path


def parse_classes(text: str | None) -> list[str] | None:
    """Parse ``--classes a,b,c`` into a list of unique, non-empty names."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",")]
    if any(not name for name in names):
        raise InputError(f"--classes {text!r}: empty class name; give names like 'cat,dog,bird'.")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InputError(f"--classes: duplicate class name(s) {_listing(duplicates)}.")
    if len(names) < 2:
        raise InputError("--classes: at least two classes are needed.")
    return names


def _table_columns(path: Path) -> list[str]:
    """Column names of a Parquet or CSV file without reading its data."""
    import pandas as pd

    suffix = suffix_of(path)
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return [str(name) for name in pq.read_schema(path).names if name != "__index_level_0__"]
        return [str(name) for name in pd.read_csv(path, nrows=0).columns]
    except (OSError, ValueError) as exc:
        kind = "Parquet" if suffix == ".parquet" else "CSV"
        raise InputError(f"{path}: not a readable {kind} file ({_first_line(exc)}).") from exc


_NPY_MAGIC = b"\x93NUMPY"


def _load_npy(path: Path, *, mmap: bool) -> np.ndarray:
    import numpy as np

    with path.open("rb") as file:
        magic = file.read(len(_NPY_MAGIC))
    if magic != _NPY_MAGIC:  # np.load would take any other file for a pickle
        raise InputError(
            f"{path}: not a .npy file (it does not start with the .npy header); save arrays "
            "with numpy.save, or use .parquet / .csv."
        )
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise InputError(
                f"{path}: holds Python objects (saved with pickle), which labelaudit does not "
                "load; save integers, strings or floats.",
            ) from exc
        raise InputError(f"{path}: not a readable .npy file ({_first_line(exc)}).") from exc
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: not a readable .npy file ({_first_line(exc)}).") from exc


def resolve_label_column(
    path: Path, columns: Sequence[str], label_column: str | None, id_column: str | None
) -> str:
    """Pick the label column of a table as the contract says, or raise listing the columns."""
    if label_column is not None:
        if label_column not in columns:
            raise InputError(
                f"{path}: no column {label_column!r} (--label-column); "
                f"columns are {_listing(columns)}."
            )
        return label_column
    if "label" in columns:
        return "label"
    candidates = [name for name in columns if name != id_column]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise InputError(f"{path}: has no columns to read labels from.")
    raise InputError(
        f"{path}: no column 'label' and {len(candidates)} columns to choose from "
        f"({_listing(candidates)}); pass --label-column NAME."
    )


def read_labels(
    path: Path, *, label_column: str | None = None, id_column: str | None = None
) -> LabelsFile:
    """Read the given labels from ``.parquet``, ``.csv`` or ``.npy`` (no mapping yet).

    ``.npy`` labels stay a numpy array, so that integer labels are mapped without pandas.
    """
    check_readable(path)
    suffix = check_suffix(path, LABEL_SUFFIXES, "labels")
    if suffix == ".npy":
        if label_column is not None:
            raise InputError(
                f"--label-column {label_column!r}: {path} is a .npy array, not a table."
            )
        array = _load_npy(path, mmap=False)
        if array.ndim == 2 and array.shape[1] == 1:
            array = array[:, 0]
        if array.ndim != 1:
            raise InputError(
                f"{path}: labels must be a 1-D array (one label per row), got shape {array.shape}."
            )
        if array.dtype.kind not in "biufUS":
            raise InputError(
                f"{path}: unsupported label dtype {array.dtype}; use integers or strings."
            )
        if array.dtype.kind == "S":
            array = array.astype(str)
        return LabelsFile(path=path, values=array, column=None, ids=None)

    columns = _table_columns(path)
    column = resolve_label_column(path, columns, label_column, id_column)
    wanted = [column]
    if id_column is not None and id_column in columns and id_column != column:
        wanted.append(id_column)
    frame = read_table(path, columns=wanted)
    ids = frame[id_column] if id_column is not None and id_column in frame.columns else None
    return LabelsFile(path=path, values=frame[column], column=column, ids=ids)


def _probs_from_table(path: Path, id_column: str | None) -> tuple[np.ndarray, list[str], Any]:
    """Read a class-per-column probability table into a C-contiguous ``(N, K)`` array."""
    import numpy as np
    import pandas as pd

    columns = _table_columns(path)
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
    if suffix == ".npy":
        array = _load_npy(path, mmap=True)
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


def _describe_bad_value(value: float) -> str:
    import math

    if math.isnan(value):
        return "is NaN"
    if math.isinf(value):
        return f"is {'+' if value > 0 else '-'}infinite"
    return f"is {value:.6g}, outside [0, 1]"


def _chunk_is_valid(chunk: np.ndarray) -> bool:
    """Fast check that every value is in [0, 1] and every row sums to 1 within tolerance.

    Whole-chunk min/max (NaN fails both comparisons) and a matrix-vector product for the row
    sums are an order of magnitude faster than per-row reductions over a few columns. Sums are
    only trusted well inside the tolerance; anything near or past it goes to the exact per-row
    check, which also finds the first bad row.
    """
    import numpy as np

    chunk = np.ascontiguousarray(chunk)
    if chunk.dtype not in (np.float32, np.float64) or chunk.size == 0:
        return False
    if not (chunk.min() >= 0 and chunk.max() <= 1):
        return False
    sums = chunk @ np.ones(chunk.shape[1], dtype=chunk.dtype)
    return bool(np.abs(sums - 1.0).max() <= ROW_SUM_TOLERANCE / 2)


def validate_probs(
    probs: ProbsFile,
    *,
    normalize: bool = False,
    chunk_rows: int | None = None,
    release_pages: bool = False,
) -> np.ndarray:
    """Check finiteness, range and row sums chunk by chunk; return the array to use.

    The first bad row is reported. With *normalize*, rows whose sums are off are rescaled (in a
    new array of the same dtype); otherwise the input array, possibly a memory map, is returned.
    Chunks are a few MiB (default), so each chunk's checks find it in cache. (One thread:
    measured, two threads calling BLAS for the row sums were slower, not faster.)
    """
    import numpy as np

    from labelaudit.core._arrays import chunk_rows_for, row_chunks

    array, path = probs.array, probs.path
    n_rows, n_classes = array.shape
    if n_rows == 0:
        raise InputError(f"{path}: has no rows; at least one row is needed.")
    if n_classes < 2:
        raise InputError(f"{path}: has {n_classes} class column; at least two classes are needed.")
    if chunk_rows is None:
        chunk_rows = chunk_rows_for(n_classes, array.dtype.itemsize, None)
    chunks = list(row_chunks(n_rows, chunk_rows))
    release = page_releaser(array) if release_pages else None
    any_sum_off = False
    for rows in chunks:
        chunk = array[rows]
        if not normalize and _chunk_is_valid(chunk):
            if release is not None:
                release(rows)
            continue
        value_ok = ((chunk >= 0) & (chunk <= 1)).all(axis=1)  # NaN fails both comparisons
        sums = chunk.sum(axis=1, dtype=np.float64)
        sum_ok = np.abs(sums - 1.0) <= ROW_SUM_TOLERANCE
        row_ok = value_ok if normalize else value_ok & sum_ok
        if not row_ok.all():
            local = int(np.argmin(row_ok))
            row = rows.start + local
            if not value_ok[local]:
                values = np.asarray(chunk[local], dtype=np.float64)
                column = int(np.argmin((values >= 0) & (values <= 1)))
                names = probs.class_names
                label = repr(names[column]) if names is not None else str(column)
                raise InputError(
                    f"{path}: row {row}, column {label}: probability "
                    f"{_describe_bad_value(float(values[column]))}; probabilities must be finite "
                    "numbers in [0, 1]."
                )
            raise InputError(
                f"{path}: row {row}: probabilities sum to {sums[local]:.6g}, not 1 "
                f"(tolerance {ROW_SUM_TOLERANCE:g}).\n"
                "Pass --normalize to rescale every row to sum to 1.",
            )
        if normalize:
            if (sums <= 0).any():
                row = rows.start + int(np.argmax(sums <= 0))
                raise InputError(
                    f"{path}: row {row}: all probabilities are 0; cannot normalise it."
                )
            any_sum_off = any_sum_off or not sum_ok.all()
    if not normalize or not any_sum_off:
        return array
    normalized = np.empty(array.shape, dtype=array.dtype)
    for rows in chunks:
        chunk = np.asarray(array[rows], dtype=np.float64)
        normalized[rows] = chunk / chunk.sum(axis=1, keepdims=True)
    return normalized


def _integer_names(names: Sequence[str]) -> list[int] | None:
    """The class names as ints when every one is written as an integer (and they stay unique)."""
    values: list[int] = []
    for name in names:
        try:
            value = int(name)
        except ValueError:
            return None
        if str(value) != name.strip():
            return None
        values.append(value)
    return values if len(set(values)) == len(values) else None


def map_labels(
    labels: LabelsFile, class_names: Sequence[str], probs_path: Path
) -> tuple[np.ndarray, list[Any]]:
    """Map raw labels to class indices by name (labels compared as strings).

    Returns the ``(N,)`` indices (smallest integer dtype) and the classes as shown and
    written: ints when the labels are integers and every class name is an integer, else the
    names.
    """
    import numpy as np

    from labelaudit.core._arrays import compact_int_dtype

    values = labels.values
    n_classes = len(class_names)
    if (
        isinstance(values, np.ndarray)
        and values.dtype.kind in "iu"
        and _integer_names(class_names) == list(range(n_classes))
        and values.size
        and values.min() >= 0
        and values.max() < n_classes
    ):
        # Integer labels 0..K-1 from .npy: they are their own codes (no pandas, no hash lookup).
        return values.astype(compact_int_dtype(n_classes)), list(range(n_classes))

    import pandas as pd

    values = pd.Series(values) if isinstance(values, np.ndarray) else values
    where = f"column {labels.column!r}" if labels.column is not None else "labels"
    missing = values.isna().to_numpy()
    if missing.any():
        row = int(np.argmax(missing))
        raise InputError(
            f"{labels.path}: {where}: row {row} has no label ({int(missing.sum())} rows missing); "
            "every row needs a label."
        )
    if pd.api.types.is_float_dtype(values):
        floats = values.to_numpy(dtype=np.float64)
        if np.all(np.isfinite(floats)) and np.all(floats == np.round(floats)):
            values = pd.Series(floats.astype(np.int64))
    integer_names = _integer_names(class_names)
    is_integer = pd.api.types.is_integer_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if is_integer and integer_names == list(range(len(class_names))):
        # Classes 0..K-1: the labels are their own codes; a range check replaces a hash lookup
        # (tens of millions of rows), and the codes take the smallest integer dtype.
        raw = values.to_numpy()
        code_dtype = compact_int_dtype(len(class_names))
        unknown_rows = (raw < 0) | (raw >= len(class_names))
        if not unknown_rows.any():
            return raw.astype(code_dtype), integer_names
        codes = np.where(unknown_rows, -1, raw)
        classes: list[Any] = integer_names
    elif is_integer and integer_names is not None:
        classes: list[Any] = integer_names
        codes = pd.Index(integer_names).get_indexer(values.to_numpy())
    else:
        classes = list(class_names)
        as_text = values if pd.api.types.is_string_dtype(values) else values.astype(str)
        codes = pd.Index(list(class_names)).get_indexer(as_text.to_numpy())
    unknown = codes < 0
    if unknown.any():
        row = int(np.argmax(unknown))
        n_unknown = int(unknown.sum())
        others = f" ({n_unknown} rows have labels that are not classes)" if n_unknown > 1 else ""
        raise InputError(
            f"{labels.path}: label {str(values.iloc[row])!r} in row {row} is not a class of "
            f"{probs_path}{others}; the classes are {_listing(class_names)}.\n"
            "Check that the labels and probs belong together (for .npy probs with string labels, "
            "pass --classes in column order)."
        )
    return codes.astype(compact_int_dtype(len(class_names))), classes


def _mean_probs(arrays: Sequence[np.ndarray], chunk_rows: int = CHUNK_ROWS) -> np.ndarray:
    """Row-wise mean of several ``(N, K)`` arrays, computed chunk by chunk."""
    import numpy as np

    if len(arrays) == 1:
        return arrays[0]
    dtype = np.float32 if all(a.dtype == np.float32 for a in arrays) else np.float64
    mean = np.empty(arrays[0].shape, dtype=dtype)
    for start in range(0, arrays[0].shape[0], chunk_rows):
        stop = start + chunk_rows
        total = np.zeros(mean[start:stop].shape, dtype=np.float64)
        for array in arrays:
            total += array[start:stop]
        mean[start:stop] = total / len(arrays)
    return mean


def _check_same_ids(
    first: tuple[Path, pd.Series], other: tuple[Path, pd.Series], name: str
) -> None:
    import numpy as np

    (path_a, ids_a), (path_b, ids_b) = first, other
    text_a = ids_a.astype(str).to_numpy()
    text_b = ids_b.astype(str).to_numpy()
    differ = text_a != text_b
    if differ.any():
        row = int(np.argmax(differ))
        raise InputError(
            f"{path_b}: --id-column {name!r} differs from {path_a} at row {row} "
            f"({text_b[row]!r} vs {text_a[row]!r}); the inputs must list the same rows in the "
            "same order."
        )


def load_audit_inputs(
    labels_path: Path,
    probs_paths: Sequence[Path],
    *,
    label_column: str | None = None,
    id_column: str | None = None,
    classes: str | None = None,
    normalize: bool = False,
    release_pages: bool = True,
) -> AuditInputs:
    """Read, validate and class-map the labels and every ``--probs`` file (all commands use this).

    With *release_pages*, validation drops the pages of a memory-mapped ``.npy`` as it goes
    (see :func:`page_releaser`); a command that re-reads every row right away passes False.

    Raises
    ------
    InputError
        Naming the file, column or first bad row and the fix, for any input that cannot be used.
    """
    if not probs_paths:
        raise InputError("--probs: at least one probabilities file is needed.")
    for path in [labels_path, *probs_paths]:
        check_readable(path)
    check_suffix(labels_path, LABEL_SUFFIXES, "labels")
    for path in probs_paths:
        check_suffix(path, PROBS_SUFFIXES, "probs")
    class_option = parse_classes(classes)
    if class_option is not None and all(suffix_of(p) != ".npy" for p in probs_paths):
        raise InputError(
            "--classes: only used with .npy probs; the columns of a probs table name the classes."
        )

    labels = read_labels(labels_path, label_column=label_column, id_column=id_column)
    n_rows = len(labels.values)
    if n_rows == 0:
        raise InputError(f"{labels_path}: has no rows; at least one row is needed.")

    probs_files = [read_probs(path, id_column=id_column) for path in probs_paths]
    reference: list[str] | None = None
    reference_path = probs_files[0].path
    arrays: list[np.ndarray] = []
    for probs in probs_files:
        n_probs_rows, n_columns = probs.array.shape
        if n_probs_rows != n_rows:
            raise InputError(
                f"{probs.path}: has {n_probs_rows} rows but {labels_path} has {n_rows}; both "
                "must list the same rows in the same order."
            )
        names = probs.class_names
        if names is None:  # .npy: classes come from --classes, else 0..K-1
            if class_option is not None and len(class_option) != n_columns:
                raise InputError(
                    f"--classes lists {len(class_option)} classes but {probs.path} has "
                    f"{n_columns} columns."
                )
            names = class_option or [str(index) for index in range(n_columns)]
        if reference is None:
            reference = names
        elif sorted(names) != sorted(reference):
            raise InputError(
                f"{probs.path}: classes {_listing(names)} differ from those of {reference_path} "
                f"({_listing(reference)}); every --probs file must cover the same classes."
            )
        array = validate_probs(probs, normalize=normalize, release_pages=release_pages)
        if names != reference:  # same classes, other column order: reorder to the reference
            import numpy as np

            order = [names.index(name) for name in reference]
            array = np.ascontiguousarray(array[:, order])
        arrays.append(array)
    assert reference is not None

    ids = None
    if id_column is not None:
        sources = [(p.path, p.ids) for p in probs_files if p.ids is not None]
        if labels.ids is not None:
            sources.append((labels.path, labels.ids))
        if not sources:
            raise InputError(
                f"--id-column {id_column!r}: no such column in {', '.join(map(str, probs_paths))} "
                f"or {labels_path}."
            )
        for other in sources[1:]:
            _check_same_ids(sources[0], other, id_column)
        ids = sources[0][1].reset_index(drop=True)

    codes, class_values = map_labels(labels, reference, reference_path)
    return AuditInputs(
        labels=codes,
        pred_probs=_mean_probs(arrays),
        pred_probs_list=arrays,
        classes=class_values,
        ids=ids,
        id_column=id_column,
        label_column=labels.column,
        labels_path=labels_path,
        probs_paths=list(probs_paths),
    )


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
    columns = _table_columns(path)
    if "row" not in columns:
        raise InputError(
            f"{path}: no 'row' column, so it is not a find-issues output; columns are "
            f"{_listing(columns)}."
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
    import pandas as pd

    column = label_column if label_column is not None else "label"
    has_labels = column in frame.columns
    if action == "relabel" and not has_labels:
        raise InputError(
            f"{data_path}: no label column {column!r} to relabel; pass --label-column NAME "
            f"(columns are {_listing([str(c) for c in frame.columns])})."
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
    return CleanedTable(table=table, changed=changed, given=given)
