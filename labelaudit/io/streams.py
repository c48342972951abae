"""Inputs that are not regular files (a FIFO, ``/dev/stdin``, ``<(...)``): read exactly once.

Readers open a file more than once (its schema, then its rows; a CSV's label column, then its
rows), which a pipe cannot serve: the second open waits for a writer that is gone, and the run
hangs. So such an input is copied once, in blocks, to a regular file in the system's temporary
folder, and every reader reads that copy. The copy keeps the input's name and suffix; an input
without a known suffix (``/dev/fd/63``) gets one from its first bytes (``.npy``, Parquet, Arrow,
gzip-compressed CSV, else CSV). Copies are removed when the process exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
from pathlib import Path

from labelaudit.errors import InputError, os_reason, show_path_as

__all__ = ["is_stream", "read_once"]

#: Suffixes a copy keeps from the input's name (else it is sniffed).
KNOWN_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".arrow", ".feather", ".ipc", ".npy", ".json")
COMPRESSED = (".gz", ".bz2", ".zst", ".lz4", ".br")
#: First bytes of each format and the suffix its copy gets.
MAGIC = (
    (b"\x93NUMPY", ".npy"),
    (b"PAR1", ".parquet"),
    (b"ARROW1", ".arrow"),
    (b"\xff\xff\xff\xff", ".arrow"),
    (b"\x1f\x8b", ".csv.gz"),
)

_copies: dict[str, Path] = {}
_folder: Path | None = None


def is_stream(path: Path | str) -> bool:
    """Whether *path* exists and is neither a regular file nor a folder (FIFO, device, socket)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def read_once(path: Path) -> Path:
    """*path* itself, or for a stream (:func:`is_stream`) the regular file it was copied to.

    The same stream named twice (``--labels p --probs p``) is copied once and gives the same
    copy. Raises :class:`InputError` when the copy cannot be written (full disk...).
    """
    path = Path(path)
    if not is_stream(path):
        return path
    status = os.stat(path)
    key = f"{status.st_dev}:{status.st_ino}"  # /dev/stdin and /proc/self/fd/0 are one pipe
    if key in _copies:
        return _copies[key]
    try:
        with open(path, "rb") as stream:
            head = stream.read(8)
            target = _temporary_folder() / (_stem(path) + _suffix(path, head))
            with open(target, "wb") as copy:
                copy.write(head)
                shutil.copyfileobj(stream, copy, 1 << 20)
    except OSError as exc:
        raise InputError(
            f"{path}: could not copy this stream to a temporary file ({os_reason(exc)})."
        ) from exc
    _copies[key] = target
    show_path_as(target, path)
    return target


def _temporary_folder() -> Path:
    """One folder per process for the copies, removed at exit."""
    global _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="labelaudit-streams-"))
        atexit.register(shutil.rmtree, _folder, ignore_errors=True)
    folder = _folder / str(len(_copies))  # one subfolder per copy: names never collide
    folder.mkdir()
    return folder


def _stem(path: Path) -> str:
    """The input's file name without its known suffixes (``p`` of ``p.csv.gz``, ``63``)."""
    name = path.name or "stream"
    for suffix in reversed(_known_suffixes(path)):
        name = name[: -len(suffix)]
    return name or "stream"


def _known_suffixes(path: Path) -> list[str]:
    """The input's known format suffixes, e.g. ``['.csv', '.gz']``, or ``[]``."""
    suffixes = path.suffixes
    kept: list[str] = []
    if suffixes and suffixes[-1].lower() in COMPRESSED:
        kept.insert(0, suffixes.pop())
    if suffixes and suffixes[-1].lower() in KNOWN_SUFFIXES:
        return [suffixes[-1], *kept]
    return []


def _suffix(path: Path, head: bytes) -> str:
    """The input's own format suffix, else one sniffed from its first bytes (CSV by default)."""
    known = _known_suffixes(path)
    if known or path.suffix:  # an unknown suffix is kept, and refused as for a file
        return "".join(known) or path.suffix
    for magic, suffix in MAGIC:
        if head.startswith(magic):
            return suffix
    return ".csv"
