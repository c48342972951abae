"""Checks of the extra outputs (the HTML report, JUnit XML, Markdown), before any work is done.

:func:`~labelaudit.io.paths.check_output_path` checks the type and the folder, and
:func:`~labelaudit.io.paths.refuse_overwrite` that the output is not an input;
:func:`probe_writable` adds what permission bits cannot tell (root ignores them, a read-only
file system does not show in them) by creating a file where the atomic write will.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from labelaudit.errors import InputError
from labelaudit.io.paths import check_output_path, refuse_overwrite


def probe_writable(path: Path, option: str = "-o/--output") -> None:
    """Create and remove a temporary file beside *path*: an unwritable folder fails now.

    Raises
    ------
    InputError
        Naming the option, the path and the reason.
    """
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"{option} {path}: cannot write in {folder} ({reason}).") from exc
    os.close(fd)
    os.unlink(name)
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{option} {path}: the file cannot be overwritten (permission denied).")


def check_writable_output(
    path: Path, allowed: Sequence[str] | None, inputs: Sequence[Path], option: str
) -> Path:
    """Every check of an output path, each message naming *option*: type (unless *allowed* is
    None), folder, not an input, writable."""
    if allowed is not None:
        check_output_path(path, allowed, option)
    else:
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise InputError(f"{option} {path}: the folder {folder} does not exist.")
        if path.is_dir():
            raise InputError(f"{option} {path}: is a folder; give a file name.")
    try:
        refuse_overwrite(path, inputs)
    except InputError as exc:
        raise InputError(f"{option} {exc}") from exc
    probe_writable(path, option)
    return path
