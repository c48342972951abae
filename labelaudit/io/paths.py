"""Paths: input checks, output checks and atomic writes.

Every output goes through :func:`atomic_path`: written to a temporary file beside the target and
renamed onto it only when complete, so a failed or interrupted run leaves no partial file. An
operating-system failure while writing (full disk, permission, read-only folder) becomes an
:class:`~labelaudit.errors.OutputError` naming the output. ``-o -`` (:data:`STDOUT`) is CSV on
standard output, written there once the whole table is (a failed run writes nothing).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from labelaudit.errors import InputError, OutputError, os_reason

STDOUT = Path("-")
"""``-o -``: the output is CSV on standard output."""


def suffix_of(path: Path) -> str:
    """Lower-case file extension, with ``.pq`` treated as ``.parquet``."""
    suffix = path.suffix.lower()
    return ".parquet" if suffix == ".pq" else suffix


def is_stdout(path: Path | str | None) -> bool:
    """Whether an output path is ``-`` (standard output)."""
    return path is not None and str(path) == str(STDOUT)


def output_suffix(path: Path) -> str:
    """An output's format: :func:`suffix_of`, and ``.csv`` for standard output."""
    return ".csv" if is_stdout(path) else suffix_of(path)


def check_readable(path: Path) -> Path:
    """Raise a clear error when *path* is missing, a folder, or unreadable."""
    if not path.exists():
        raise InputError(f"{path}: no such file. Check the path.")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file.")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: cannot be read (permission denied).")
    return path


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
    if is_stdout(path):
        if ".csv" not in allowed:
            raise InputError(
                f"{option} -: standard output takes CSV; this output is "
                f"{' or '.join(allowed)}: give a file name."
            )
        return path
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
    if not os.access(folder, os.W_OK | os.X_OK):
        reason = "read-only file system" if _read_only(folder) else "permission denied"
        raise InputError(f"{option} {path}: cannot write in the folder {folder} ({reason}).")
    return path


def _read_only(folder: Path) -> bool:
    """Whether *folder* is on a file system mounted read-only."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        return False


def refuse_overwrite(output: Path, inputs: Sequence[Path]) -> None:
    """Raise when *output* is one of *inputs* (the same file, whatever the spelling)."""
    if is_stdout(output):
        return
    out = output.resolve()
    for source in inputs:
        if source.exists() and output.exists() and os.path.samefile(source, output):
            raise InputError(f"{output}: is also an input; choose another output path.")
        if source.resolve() == out:
            raise InputError(f"{output}: is also an input; choose another output path.")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path in *path*'s folder; rename it onto *path* only on success.

    A failed or interrupted write (any exception, including
    :class:`~labelaudit.errors.Interrupted` from a signal) leaves neither a partial output nor
    the temporary file behind.

    Raises
    ------
    OutputError
        For an operating-system failure with an errno (``ENOSPC``, ``EACCES``, ``EROFS``...),
        whether raised by Python, numpy, pandas or pyarrow.
    """
    if is_stdout(path):
        yield from _through_stdout()
        return
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{path}: the folder {folder} does not exist.")
    # The temporary file is created inside the cleanup's try: a signal that arrives between its
    # creation and the next statement (seen in CI with SIGTERM and SIGHUP, which raise
    # Interrupted) must not leave it behind, as it did with tempfile.mkstemp before the try.
    tmp = folder / f".{path.name}.{uuid.uuid4().hex[:12]}.tmp"
    owned = True
    try:
        try:
            _create_new(tmp)
        except OSError:
            owned = False  # not created: the name was never ours to remove
            raise
        yield tmp
        # The file is created 0600; give the output the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        if owned:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if isinstance(exc, OSError) and exc.errno is not None:
            raise _output_error(path, exc) from exc
        raise


def _through_stdout() -> Iterator[Path]:
    """A temporary file, copied to standard output once written, then removed.

    The copy comes after the whole output is written, as a rename would: a failed run puts
    nothing on standard output. A reader that has gone (``| head``) raises ``BrokenPipeError``,
    which the CLI ends quietly.
    """
    tmp = None
    try:
        handle, name = tempfile.mkstemp(prefix="labelaudit-stdout-", suffix=".csv")
        tmp = Path(name)
        os.close(handle)
        yield tmp
        with tmp.open("rb") as source:
            shutil.copyfileobj(source, sys.stdout.buffer, 1 << 20)
        sys.stdout.buffer.flush()
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def _create_new(path: Path) -> None:
    """Create *path* empty, readable by its owner only; raise if it exists (``O_EXCL``)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _output_error(path: Path, exc: OSError) -> OutputError:
    """The plain one-line error for a failed write of *path*: ``out.csv: no space left...``."""
    return OutputError(f"{path}: {os_reason(exc)}; nothing was written.")


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(text: str, path: Path) -> None:
    """Write *text* atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_npy(array: Any, path: Path) -> None:
    """Write a numpy array atomically as ``.npy``."""
    import numpy as np

    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.save(handle, array)


def check_output(
    path: Path, allowed: Sequence[str], inputs: Sequence[Path] = (), option: str = "-o/--output"
) -> Path:
    """Every check of an output path, before any work is done: type, folder, not an input."""
    check_output_path(path, allowed, option)
    refuse_overwrite(path, inputs)
    return path
