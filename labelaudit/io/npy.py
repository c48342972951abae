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
        raise InputError(f"{path}: not a readable .npy file ({first_line(exc)}).") from exc
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: not a readable .npy file ({first_line(exc)}).") from exc


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
