""".npy files: read without pickles (memory-mapped for probabilities), pages released as read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, first_line

if TYPE_CHECKING:
    import numpy as np

_NPY_MAGIC = b"\x93NUMPY"


def load_npy(path: Path, *, mmap: bool) -> np.ndarray:
    """Read a ``.npy`` file without pickles (memory-mapped when *mmap*), or raise InputError.

    The header is checked against the file's size first: a truncated file, or a header that
    declares more data than the file holds (say 745 GiB), is refused before anything is
    allocated or mapped (a short memory map would end the process with SIGBUS).
    """
    import numpy as np

    _check_npy_header(path)
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise InputError(_PICKLE_MESSAGE.format(path=path)) from exc
        raise InputError(f"{path}: not a readable .npy file ({first_line(exc)}).") from exc
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: not a readable .npy file ({first_line(exc)}).") from exc
    except MemoryError as exc:
        raise InputError(f"{path}: too large to load into memory ({first_line(exc)}).") from exc


_PICKLE_MESSAGE = (
    "{path}: holds Python objects (saved with pickle), which labelaudit does not load; save "
    "integers, strings or floats."
)


def _check_npy_header(path: Path) -> None:
    """Refuse a file that is not ``.npy``, holds pickles, or is shorter than its header says."""
    import math

    import numpy as np

    with path.open("rb") as file:
        if file.read(len(_NPY_MAGIC)) != _NPY_MAGIC:  # np.load would take it for a pickle
            raise InputError(
                f"{path}: not a .npy file (it does not start with the .npy header); save arrays "
                "with numpy.save, or use .parquet / .csv."
            )
        file.seek(0)
        try:
            version = np.lib.format.read_magic(file)
            read_header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0  # 3.0 differs only in text encoding
            )
            shape, _, dtype = read_header(file)
        except (ValueError, EOFError, SyntaxError) as exc:
            raise InputError(f"{path}: not a readable .npy file ({first_line(exc)}).") from exc
        data_start = file.tell()
    if dtype.hasobject:
        raise InputError(_PICKLE_MESSAGE.format(path=path))
    declared = math.prod(shape) * dtype.itemsize
    available = path.stat().st_size - data_start
    if declared > available:
        raise InputError(
            f"{path}: truncated or corrupt: its header declares {math.prod(shape):,} {dtype} "
            f"values of shape {shape} ({_size(declared)}), but the file holds "
            f"{_size(available)} of data."
        )


def _size(n_bytes: int) -> str:
    """A byte count for a message: ``64 bytes``, ``7.8 KiB``, ``745 GiB``."""
    size = float(n_bytes)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if size < 1024 or unit == "PiB":
            return f"{n_bytes:,} bytes" if unit == "bytes" else f"{size:.3g} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


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
