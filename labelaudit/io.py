"""File formats, validation, class mapping and atomic writes.

Every subcommand reads its inputs through this module so that bad input is rejected the same way
everywhere: an :class:`~labelaudit.errors.InputError` naming the file, column or row and the fix.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError

if TYPE_CHECKING:
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
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write *frame* atomically as Parquet or CSV (chosen by *path*'s extension)."""
    suffix = suffix_of(path)
    if suffix not in TABLE_SUFFIXES:
        raise InputError(f"{path}: unsupported output type '{path.suffix}'; use .parquet or .csv.")
    with atomic_path(path) as tmp:
        if suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, index=False)


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
