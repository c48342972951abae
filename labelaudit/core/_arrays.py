"""Shared array plumbing for the core: row chunking, threads, exact top-k selection.

Why the chunking and the selections are exact: docs/exactness.md, sections 2, 4 and 5.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

EPS = 1e-6
"""Float comparisons and clipping (docs/algorithms.md, section 1)."""

TINY = 1e-100
"""Guard for divisions (docs/algorithms.md, section 1)."""

BLOCK_ROWS = 256
"""Chunk sizes are rounded up to a multiple of this many rows."""

DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024
"""About 4 MiB of probabilities per chunk: small enough that the several operations of a pass
find the chunk in cache (the passes are memory-bound), large enough to amortise per-chunk work.
Measured: 10M x 10 and 100k x 1000 are fastest between 4 and 8 MiB."""

T = TypeVar("T")


def compact_int_dtype(n_classes: int) -> np.dtype:
    """Smallest signed integer dtype that holds 0..n_classes-1 (and -1)."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_classes <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def chunk_rows_for(n_classes: int, itemsize: int, chunk_rows: int | None) -> int:
    """Rows per chunk: about DEFAULT_CHUNK_BYTES of probabilities, a multiple of BLOCK_ROWS."""
    if chunk_rows is None:
        chunk_rows = DEFAULT_CHUNK_BYTES // max(1, n_classes * itemsize)
    blocks = max(1, -(-int(chunk_rows) // BLOCK_ROWS))
    return blocks * BLOCK_ROWS


def row_chunks(n_rows: int, chunk_rows: int) -> Iterator[slice]:
    """Consecutive row slices covering 0..n_rows."""
    for start in range(0, n_rows, chunk_rows):
        yield slice(start, min(start + chunk_rows, n_rows))


def probability_chunks(pred_probs: np.ndarray, chunk_rows: int | None = None) -> list[slice]:
    """The row slices a pass over (N, K) *pred_probs* reads: :func:`chunk_rows_for`'s size."""
    n_rows, n_classes = pred_probs.shape
    return list(
        row_chunks(n_rows, chunk_rows_for(n_classes, pred_probs.dtype.itemsize, chunk_rows))
    )


def map_chunks(function: Callable[[slice], T], chunks: list[slice], n_threads: int) -> list[T]:
    """Apply *function* to every chunk, in threads when there are several; results in order.

    numpy releases the GIL in its loops, so two threads use both cores of the target machine.
    """
    if n_threads <= 1 or len(chunks) <= 1:
        return [function(chunk) for chunk in chunks]
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        return list(pool.map(function, chunks))


def threads_for_classes(n_rows: int, n_classes: int, n_threads: int) -> int:
    """Threads for per-class work: one when classes are too small to repay a thread hand-off."""
    return n_threads if n_rows >= 20_000 * n_classes else 1


def default_threads(n_threads: int | None = None) -> int:
    """Worker threads for chunked passes: *n_threads* when given, else at most 2 (memory
    bandwidth is the limit beyond)."""
    import os

    if n_threads is not None:
        return n_threads
    return max(1, min(2, os.cpu_count() or 1))


def map_row_chunks(
    function: Callable[[slice], T],
    chunks: list[slice],
    n_threads: int,
    release_rows: Callable[[slice], None] | None = None,
) -> list[T]:
    """:func:`map_chunks` over row chunks, releasing each chunk's rows once it has been read.

    With *release_rows* (e.g. to drop a memory map's pages), every row is released once more at
    the end: reading a chunk can map a few neighbouring, already released pages back in (the
    kernel maps cached pages around a fault), so per-chunk releases alone leave stragglers.
    """
    if release_rows is None:
        return map_chunks(function, chunks, n_threads)

    def read_then_release(chunk: slice) -> T:
        result = function(chunk)
        release_rows(chunk)
        return result

    results = map_chunks(read_then_release, chunks, n_threads)
    if chunks:
        release_rows(slice(0, chunks[-1].stop))
    return results


# Up to this many classes, each class's rows are found by a scan of the labels (inside
# threaded per-class work), which avoids an N-sized sort and its index array.
SCAN_MAX_CLASSES = 32


class RowsByClass:
    """Row indices of each class, in row order: a scan per class, or one stable sort."""

    def __init__(self, labels: np.ndarray, n_classes: int) -> None:
        self._labels = labels
        self._n_classes = n_classes
        self._order: np.ndarray | None = None
        self._starts: np.ndarray | None = None
        if n_classes > SCAN_MAX_CLASSES:
            self.sorted_order()

    def sorted_order(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows sorted by class (stable), and where each class starts: K + 1 offsets."""
        if self._order is None or self._starts is None:
            self._order = np.argsort(self._labels, kind="stable")
            class_sizes = np.bincount(self._labels, minlength=self._n_classes)
            self._starts = np.concatenate(([0], np.cumsum(class_sizes)))
        return self._order, self._starts

    def __getitem__(self, k: int) -> np.ndarray:
        if self._order is not None and self._starts is not None:
            return self._order[self._starts[k] : self._starts[k + 1]]
        return np.flatnonzero(self._labels == k)


def select_largest_per_row(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Mask of the ``counts[i]`` largest values of each row i: the set ``argsort(-row)[:count]``.

    One ``np.partition`` of all rows keeps each row's ``max(counts) + 1`` largest values; a
    second one of that tail gives every row's cut (its count-th largest value) and the value
    just below it. Where the two differ, the row's selection is ``row >= cut``. Where they are
    equal, a tie straddles the cut and the row takes the full default argsort, so exact ties
    are broken as the reference breaks them.
    """
    n_rows, n_values = values.shape
    counts = np.asarray(counts, dtype=np.int64)
    selected = np.zeros((n_rows, n_values), dtype=bool)
    selected[counts >= n_values] = True
    partial = np.flatnonzero((counts > 0) & (counts < n_values))
    if partial.size == 0:
        return selected
    rows = values[partial] if partial.size < n_rows else values
    row_counts = counts[partial]
    kept = int(row_counts.max()) + 1  # <= n_values, as every count here is < n_values
    tail = np.partition(rows, n_values - kept, axis=1)[:, n_values - kept :]
    # In the tail, the count-th largest sits at kept - count once those places are sorted.
    cut_places = kept - row_counts
    tail = np.partition(tail, np.unique(np.concatenate((cut_places - 1, cut_places))), axis=1)
    positions = np.arange(partial.size)
    cuts = tail[positions, cut_places]
    tied = tail[positions, cut_places - 1] == cuts
    chosen = rows >= cuts[:, None]
    for row in np.flatnonzero(tied):
        chosen[row] = False
        chosen[row, np.argsort(-rows[row])[: row_counts[row]]] = True
    selected[partial] = chosen
    return selected


def select_smallest(values: np.ndarray, count: int) -> np.ndarray:
    """Positions of the *count* smallest values: the set ``argsort(values)[:count]``."""
    n_values = values.shape[0]
    if count <= 0:
        return np.empty(0, dtype=np.intp)
    if count >= n_values:
        return np.arange(n_values, dtype=np.intp)
    partitioned = np.partition(values, count - 1)
    cut = partitioned[count - 1]
    if partitioned[count:].min() > cut:
        return np.flatnonzero(values <= cut)
    return np.sort(np.argsort(values)[:count])


def gather_rows(array: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``array[rows]`` for a 2-D array, several times faster for C-contiguous input.

    Each row is viewed as one opaque item, so numpy copies whole rows instead of iterating
    over their elements.
    """
    array = np.asarray(array)
    if not array.flags.c_contiguous or array.shape[1] == 0:
        return array[rows]
    row_type = np.dtype((np.void, array.shape[1] * array.dtype.itemsize))
    gathered = array.view(row_type).reshape(-1)[rows]
    return gathered.view(array.dtype).reshape(rows.shape[0], array.shape[1])


# glibc's malloc options (malloc.h): when freed memory at the top of the heap is handed back to
# the system, and the size from which blocks get their own memory mapping.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_malloc_tuned = False


def keep_freed_memory() -> None:
    """Let glibc's malloc reuse freed memory for the passes' per-chunk temporaries.

    By default, blocks over its adaptive threshold get their own mapping and freed heap tops are
    trimmed, so each chunk's few-MiB temporaries arrive as fresh pages: 1,700 page faults a
    chunk. Measured, pass 2 at 100M x 10 float32: 846k page faults and 7.1 s of CPU, against 1.8k
    and 4.3 s with blocks up to 32 MiB kept in the heap and up to 16 MiB of free heap kept (per
    arena: more would be kept as resident memory after each pass).
    Process-wide and idempotent; a no-op without glibc.
    """
    global _malloc_tuned
    if _malloc_tuned:
        return
    _malloc_tuned = True
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return
    mallopt(_M_MMAP_THRESHOLD, 32 << 20)
    mallopt(_M_TRIM_THRESHOLD, 16 << 20)
