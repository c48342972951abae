"""Prune by noise rate in one streamed pass over the rows, for many rows and few classes.

The per-class path (:func:`labelaudit.core.filtering._prune_by_noise_rate`) gathers each large
class's rows and partitions all of its margins, once per other class. With rows spread over a
memory-mapped file, each class then reads the whole file again: at 100M x 10 float32 that was 23
of the 54 seconds of find-issues (10 reads of 4 GB, and 90 partitions of 10M margins).

Here, every cell (given class k, other class j) with ``c = M[j, k] > 0`` first gets a lower
bound on its c-th largest margin ``p[j] - p[k]`` from an evenly spread sample of the rows (a
little below the sample's own cut, so that the bound is almost surely low enough). One pass
over the rows then keeps the margins at or above their cell's bound (about 1.3 c per cell), and
each cell's top c are selected among those. The result is exact whatever the sample was: a cell
that kept fewer than c margins (its bound was too high), or whose c-th and (c+1)-th largest
margins are equal (a tie, which the reference breaks with a full argsort), is left to the
per-class path, which returns the reference's rows for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from labelaudit.core._arrays import gather_rows, map_chunks, map_row_chunks, probability_chunks

#: Rows of the sample the bounds come from (evenly spread chunks of rows). Its copies are the
#: peak memory of find-issues on tables: 1M rows of 10 float32 classes added 135 MB at 10M rows.
SAMPLE_ROWS = 1 << 18

#: Kept margins, beyond the cells' counts, before the streamed pass gives up (memory bound):
#: the per-class path then does every class.
SPARE_FACTOR = 2.0
SPARE_ELEMENTS = 1 << 22


class _TooMany(Exception):
    """More margins passed their bounds than :data:`SPARE_FACTOR` allows."""


def _cell_counts(
    prune_counts: np.ndarray, classes: np.ndarray, class_counts: np.ndarray
) -> np.ndarray:
    """``C[k, j]``: rows to flag in given class k for other class j (0 off *classes*)."""
    n_classes = prune_counts.shape[0]
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    counts[classes] = prune_counts[:, classes].T
    counts[np.arange(n_classes), np.arange(n_classes)] = 0
    # Taking every row of a class needs no bound: c >= n_k takes all n_k.
    return np.minimum(counts, class_counts[:, None])


def _sample_bounds(
    pred_probs: np.ndarray,
    labels: np.ndarray,
    self_confidence: np.ndarray,
    counts: np.ndarray,
    class_counts: np.ndarray,
    chunks: list[slice],
) -> np.ndarray:
    """``B[k, j]``: a bound that about ``1.2 c + 4 sqrt(c)`` margins of cell (k, j) reach.

    ``+inf`` for cells with nothing to flag, ``-inf`` where the sample is too small to say.
    """
    n_classes = counts.shape[0]
    step = max(1, len(chunks) * (chunks[0].stop - chunks[0].start) // SAMPLE_ROWS)
    picked = chunks[::step]
    sample_rows = sum(c.stop - c.start for c in picked)
    probs = np.concatenate([np.asarray(pred_probs[c]) for c in picked])
    sample_labels = np.concatenate([labels[c] for c in picked])
    probs -= np.concatenate([self_confidence[c] for c in picked])[:, None]
    # Sorted by class and transposed, each cell's sample margins are one contiguous slice
    # (a boolean selection of each class's rows took 0.25 s at 1M x 10).
    order = np.argsort(sample_labels, kind="stable")
    margins = np.ascontiguousarray(gather_rows(probs, order).T)
    starts = np.concatenate(([0], np.cumsum(np.bincount(sample_labels, minlength=n_classes))))
    bounds = np.full((n_classes, n_classes), np.inf, dtype=pred_probs.dtype)
    fraction = sample_rows / max(1, labels.shape[0])
    for k in np.flatnonzero(counts.any(axis=1)):
        of_class = margins[:, starts[k] : starts[k + 1]]
        for j in np.flatnonzero(counts[k]):
            c = int(counts[k, j])
            if c >= class_counts[k]:
                bounds[k, j] = -np.inf
                continue
            expected = c * fraction
            rank = int(1.2 * expected + 4 * np.sqrt(expected) + 16)
            if rank >= of_class.shape[1]:
                bounds[k, j] = -np.inf
                continue
            column = of_class[j]
            bounds[k, j] = np.partition(column, column.shape[0] - rank)[column.shape[0] - rank]
    return bounds


def _keep_above_bounds(
    pred_probs: np.ndarray,
    labels: np.ndarray,
    self_confidence: np.ndarray,
    bounds: np.ndarray,
    chunks: list[slice],
    n_threads: int,
    limit: int,
    release_rows: Callable[[slice], None] | None,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per chunk: the kept margins, their rows and their cells, sorted by cell (stable)."""
    n_classes = bounds.shape[0]
    row_dtype = np.int32 if labels.shape[0] < np.iinfo(np.int32).max else np.int64
    kept = [0]
    lock = threading.Lock()

    def one_chunk(chunk: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        probs = np.ascontiguousarray(pred_probs[chunk])
        chunk_labels = labels[chunk]
        margins = probs - self_confidence[chunk][:, None]
        # take and flatnonzero: 2.5 and 1.4 ns a row, against 12 and 24 for bounds[labels]
        # and a 2-D nonzero (measured, 100k x 10 float32).
        passed = np.flatnonzero(margins >= bounds.take(chunk_labels, axis=0))
        rows, others = np.divmod(passed, n_classes)
        with lock:
            kept[0] += rows.shape[0]
            if kept[0] > limit:
                raise _TooMany
        cells = chunk_labels[rows].astype(np.int16) * n_classes + others.astype(np.int16)
        values = margins.reshape(-1)[passed]
        order = np.argsort(cells, kind="stable")
        rows = (rows + chunk.start).astype(row_dtype)
        return values[order], rows[order], cells[order]

    return map_row_chunks(one_chunk, chunks, n_threads, release_rows)


def prune_streamed(
    pred_probs: np.ndarray,
    labels: np.ndarray,
    self_confidence: np.ndarray,
    prune_counts: np.ndarray,
    classes: np.ndarray,
    class_counts: np.ndarray,
    n_threads: int,
    release_rows: Callable[[slice], None] | None = None,
    chunk_rows: int | None = None,
) -> tuple[np.ndarray, list[int]] | None:
    """Rows flagged in *classes* by prune-by-noise-rate, and the classes left to the per-class
    path (a cell of theirs was tied at its cut or kept too few margins).

    ``None`` when too many margins passed their bounds (the per-class path then does all).
    """
    n_classes = prune_counts.shape[0]
    counts = _cell_counts(prune_counts, classes, class_counts)
    if not counts.any():
        return np.empty(0, dtype=np.intp), []
    chunks = probability_chunks(pred_probs, chunk_rows)
    bounds = _sample_bounds(pred_probs, labels, self_confidence, counts, class_counts, chunks)
    limit = int(SPARE_FACTOR * counts.sum()) + SPARE_ELEMENTS
    try:
        parts = _keep_above_bounds(
            pred_probs, labels, self_confidence, bounds, chunks, n_threads, limit, release_rows
        )
    except _TooMany:
        return None
    cells = np.flatnonzero(counts.reshape(-1))
    # Where each cell's kept margins sit in every chunk's (cell-sorted) arrays.
    offsets = [np.searchsorted(part[2], np.arange(n_classes * n_classes + 1)) for part in parts]

    def one_cell(cell: int) -> tuple[int, np.ndarray | None]:
        pieces = [(p, o[cell], o[cell + 1]) for p, o in zip(parts, offsets, strict=True)]
        values = np.concatenate([p[0][start:stop] for p, start, stop in pieces])
        rows = np.concatenate([p[1][start:stop] for p, start, stop in pieces])
        count = int(counts.reshape(-1)[cell])
        if values.shape[0] < count:
            return cell, None  # the bound was too high
        if values.shape[0] == count:
            return cell, rows
        top = np.partition(values, (values.shape[0] - count - 1, values.shape[0] - count))
        cut = top[values.shape[0] - count]
        if top[values.shape[0] - count - 1] == cut:
            return cell, None  # a tie straddles the cut
        return cell, rows[values >= cut]

    flagged = []
    redo: set[int] = set()
    for cell, rows in map_chunks(one_cell, cells.tolist(), n_threads):
        if rows is None:
            redo.add(cell // n_classes)
        else:
            flagged.append(rows)
    flagged_rows = np.concatenate(flagged) if flagged else np.empty(0, dtype=np.intp)
    return flagged_rows, sorted(redo)
