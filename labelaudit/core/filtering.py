"""find_label_issues and its seven filters (docs/algorithms.md, sections 7-9).

Why the pruning kernels give exactly the reference's rows: docs/exactness.md, section 5.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from labelaudit.core._arrays import (
    RowsByClass,
    default_threads,
    gather_rows,
    map_chunks,
    select_largest_per_row,
    select_smallest,
)
from labelaudit.core.counting import LabelStats, RowRelease, compute_label_stats
from labelaudit.core.prune_counts import prune_count_matrix  # re-exported: callers use this path
from labelaudit.core.prune_stream import prune_streamed
from labelaudit.core.ranking import label_quality_scores
from labelaudit.core.validation import check_choice, check_inputs

__all__ = ["FILTERS", "find_label_issues", "prune_count_matrix"]

FILTERS = (
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
)
"""The filters of :func:`find_label_issues`. ``prune_by_noise_rate`` (the default) flags, per
given class k and other class j, the ``M[j, k]`` rows with the largest margin ``p[j] - p[k]``;
``prune_by_class`` the ``n_k - M[k, k]`` rows of class k least confident in k; ``both`` their
intersection; ``confident_learning`` the off-diagonal rows of the confident joint;
``predicted_neq_given`` rows whose argmax is not the given label; ``low_self_confidence`` /
``low_normalized_margin`` the ``num_label_issues`` lowest-scoring rows."""

_PRUNING_FILTERS = ("prune_by_noise_rate", "prune_by_class", "both")

# Classes of at most this many rows are pruned all together (_prune_small_classes); larger ones
# class by class, which measured four times faster for classes of 10k rows.
_SMALL_CLASS_ROWS = 2048

# Margins (rows x other classes) of a large class held at once: about 1 MiB, so a group stays in
# cache; measured, 1M-element groups were 20% slower at 1M x 100 and no faster at 10M x 10.
_LARGE_CLASS_GROUP_ELEMENTS = 262_144


def check_filter_options(filter_by: str, frac_noise: float) -> None:
    """Check find_label_issues' options: filter_by one of :data:`FILTERS`, frac_noise in (0, 1]."""
    check_choice("filter_by", filter_by, FILTERS)
    if not 0 < frac_noise <= 1:
        raise ValueError(f"frac_noise must be in (0, 1], got {frac_noise}")


def _warn_small_classes(
    class_counts: np.ndarray, min_examples_per_class: int, stacklevel: int = 3
) -> None:
    """Warn of the non-empty classes with at most *min_examples_per_class* rows.

    The default *stacklevel* names the caller of the function that calls this one.
    """
    small = np.flatnonzero((class_counts > 0) & (class_counts <= min_examples_per_class))
    if small.size:
        warnings.warn(
            f"{small.size} class(es) have at most min_examples_per_class="
            f"{min_examples_per_class} rows (class indices {small[:10].tolist()}); "
            "no label issues are flagged in them.",
            stacklevel=stacklevel,
        )


def prune_counts_of_stats(
    stats: LabelStats,
    frac_noise: float,
    min_examples_per_class: int,
    num_to_remove_per_class: Sequence[int] | None = None,
) -> np.ndarray:
    """:func:`prune_count_matrix` of *stats* (its calibrated joint and class counts), after a
    warning that names the classes too small to prune (from the caller's caller's line).

    *stats* may be any object with those two attributes, e.g. the Dask engine's merged ones.
    """
    _warn_small_classes(stats.class_counts, min_examples_per_class, stacklevel=4)
    return prune_count_matrix(
        stats.calibrated_joint,
        stats.class_counts,
        frac_noise=frac_noise,
        min_examples_per_class=min_examples_per_class,
        num_to_remove_per_class=num_to_remove_per_class,
    )


def _prune_by_noise_rate(
    pred_probs: np.ndarray,
    stats: LabelStats,
    prune_counts: np.ndarray,
    rows_of_class: RowsByClass,
    min_examples_per_class: int,
    n_threads: int,
    release_rows: RowRelease | None = None,
    chunk_rows: int | None = None,
) -> np.ndarray:
    """In each class k, flag the ``M[j, k]`` rows with the largest margin ``p[j] - p[k]``.

    Classes of at most ``_SMALL_CLASS_ROWS`` rows are done together, without a loop over
    classes (:func:`_prune_small_classes`); each larger class gets one partition per other class.
    *release_rows* is called with every row once a large class's rows are gathered (a memory
    map's pages then leave resident memory; the result does not change).
    """
    mask = np.zeros(stats.n_examples, dtype=bool)
    class_counts = stats.class_counts
    prunable = class_counts > min_examples_per_class
    small = np.flatnonzero(prunable & (class_counts <= _SMALL_CLASS_ROWS))
    large = np.flatnonzero(prunable & (class_counts > _SMALL_CLASS_ROWS))
    if small.size:
        small_flagged = _flag_small_classes(
            pred_probs, stats, prune_counts, rows_of_class, small, n_threads
        )
        for flagged in small_flagged:
            mask[flagged] = True

    per_class = large.tolist()
    if large.size and _streams(stats):
        streamed = prune_streamed(
            pred_probs,
            stats.labels,
            stats.self_confidence,
            prune_counts,
            large,
            class_counts,
            n_threads,
            release_rows,
            chunk_rows,
        )
        if streamed is not None:
            mask[streamed[0]] = True
            per_class = streamed[1]

    def one_class(k: int) -> np.ndarray | None:
        return _flag_large_class(pred_probs, k, rows_of_class, prune_counts, release_rows)

    # Every large class is milliseconds of numpy work, which repays a thread hand-off.
    for flagged in map_chunks(one_class, per_class, n_threads):
        if flagged is not None:
            mask[flagged] = True
    return mask


def _flag_small_classes(
    pred_probs: np.ndarray,
    stats: LabelStats,
    prune_counts: np.ndarray,
    rows_of_class: RowsByClass,
    small: np.ndarray,
    n_threads: int,
) -> list[np.ndarray]:
    """Rows flagged in the *small* classes, batch by batch (:func:`_prune_small_classes`)."""
    order, starts = rows_of_class.sorted_order()
    flat_probs = np.ascontiguousarray(pred_probs).reshape(-1)  # no copy of a C-order input
    batches = [  # a few classes' K columns of the prune counts at a time (many classes)
        batch
        for group in np.array_split(small, -(-small.size * stats.n_classes // (1 << 22)))
        for batch in _batches_of_classes(group, stats.class_counts, prune_counts)
    ]

    def one_batch(classes: np.ndarray) -> np.ndarray:
        return _prune_small_classes(flat_probs, classes, prune_counts, order, starts)

    return map_chunks(one_batch, batches, n_threads)


def _flag_large_class(
    pred_probs: np.ndarray,
    k: int,
    rows_of_class: RowsByClass,
    prune_counts: np.ndarray,
    release_rows: RowRelease | None,
) -> np.ndarray | None:
    """Rows of class k flagged against each other class j with ``M[j, k] > 0``: the
    ``M[j, k]`` largest margins ``p[j] - p[k]``; None if no j has any (then k's rows, a scan of
    all labels with few classes, are not looked up)."""
    counts = prune_counts[:, k].copy()
    counts[k] = 0
    other_classes = np.flatnonzero(counts > 0)
    if other_classes.size == 0:
        return None
    rows = rows_of_class[k]
    probs = _gather_releasing(pred_probs, rows, release_rows)
    given = probs[:, [k]]
    flagged = np.zeros(rows.shape[0], dtype=bool)
    # Margins of a group of other classes at a time, one row per class, bounded in size.
    group = max(1, _LARGE_CLASS_GROUP_ELEMENTS // rows.shape[0])
    for start in range(0, other_classes.size, group):
        others = other_classes[start : start + group]
        margins = np.ascontiguousarray((probs[:, others] - given).T)
        flagged |= select_largest_per_row(margins, counts[others]).any(axis=0)
    return rows[flagged]


# The streamed pass (core/prune_stream.py) replaces the per-class gathers from this many rows,
# for up to this many classes (measured, 100M x 10 float32 on a loaded machine: 23 s -> 13 s).
STREAM_MIN_ROWS = 1_000_000
STREAM_MAX_CLASSES = 32


def _streams(stats: LabelStats) -> bool:
    """Whether the large classes are pruned in one streamed pass (many rows, few classes)."""
    return stats.n_examples >= STREAM_MIN_ROWS and stats.n_classes <= STREAM_MAX_CLASSES


_GATHER_SPAN_ROWS = 1 << 20
"""Input rows spanned by one gather when pages are released: the pages touched at once."""


def _gather_releasing(
    pred_probs: np.ndarray, rows: np.ndarray, release_rows: RowRelease | None
) -> np.ndarray:
    """``pred_probs[rows]`` for ascending *rows*; with *release_rows*, a span at a time.

    Each span of input rows is released once gathered, so a memory map's pages do not all
    become resident (the rows of a class are spread over the whole file). Same values either way.
    """
    if release_rows is None or rows.size == 0:
        return gather_rows(pred_probs, rows)
    out = np.empty((rows.shape[0], pred_probs.shape[1]), dtype=pred_probs.dtype)
    bounds = np.arange(0, int(rows[-1]) + _GATHER_SPAN_ROWS + 1, _GATHER_SPAN_ROWS)
    cuts = np.searchsorted(rows, bounds)
    for start, stop, first_row in zip(cuts[:-1], cuts[1:], bounds[:-1], strict=True):
        if stop > start:
            out[start:stop] = gather_rows(pred_probs, rows[start:stop])
            release_rows(
                slice(int(first_row), int(min(first_row + _GATHER_SPAN_ROWS, len(pred_probs))))
            )
    return out


# Rows x cells handled at once by _prune_small_classes. Its temporaries (about 60 bytes per
# element) then stay in cache and are reused from batch to batch; measured at 100k x 1000,
# batches of 4M elements made the step three times slower, mostly in first touches of memory.
_SMALL_CLASS_BATCH_ELEMENTS = 131_072


def _batches_of_classes(
    classes: np.ndarray, class_counts: np.ndarray, prune_counts: np.ndarray
) -> list[np.ndarray]:
    """Split *classes* into consecutive groups of at most about _SMALL_CLASS_BATCH_ELEMENTS."""
    off_diagonal = prune_counts[:, classes] > 0
    off_diagonal[classes, np.arange(classes.size)] = False
    elements = class_counts[classes] * off_diagonal.sum(axis=0)
    batch_of_class = np.cumsum(elements) // _SMALL_CLASS_BATCH_ELEMENTS
    boundaries = np.flatnonzero(np.diff(batch_of_class)) + 1
    return np.split(classes, boundaries)


def _prune_small_classes(
    flat_probs: np.ndarray,
    classes: np.ndarray,
    prune_counts: np.ndarray,
    order: np.ndarray,
    starts: np.ndarray,
) -> np.ndarray:
    """Rows flagged by prune-by-noise-rate in *classes*, all (class k, other j) cells at once.

    Each cell with ``c = M[j, k] > 0`` has one element per row of class k, keyed by its margin
    ``p[j] - p[k]`` plus an offset of 4 per cell, so one sort orders every cell's margins in
    its own segment; a cell's top ``c`` are then the elements at or above its cut. When the
    key just below the cut equals the cut (a tie, or margins that the offset rounds together),
    that cell takes ``argsort(-margin)[:c]`` instead, the reference's rule for ties.
    *flat_probs* is the (N, K) probabilities flattened in C order.
    """
    n_classes = prune_counts.shape[0]
    cell_counts = prune_counts[:, classes].T.copy()  # [class position, other class]
    cell_counts[np.arange(classes.size), classes] = 0
    class_position, cell_other = np.nonzero(cell_counts)
    cell_count = cell_counts[class_position, cell_other]
    cell_class = classes[class_position]
    cell_size = starts[cell_class + 1] - starts[cell_class]
    if cell_size.size == 0:
        return np.empty(0, dtype=np.intp)
    cell_end = np.cumsum(cell_size)
    cell_start = cell_end - cell_size

    # Element e of cell i is row order[starts[k_i] + e - cell_start[i]] of class k_i.
    n_elements = int(cell_end[-1])
    positions = np.repeat(starts[cell_class] - cell_start, cell_size)
    positions += np.arange(n_elements)
    rows = order[positions]
    row_offsets = rows.astype(np.int64) * n_classes
    margins = flat_probs[row_offsets + np.repeat(cell_other, cell_size)]
    margins -= flat_probs[row_offsets + np.repeat(cell_class, cell_size)]

    keys = margins.astype(np.float64)
    keys += np.repeat(4.0 * np.arange(cell_size.size), cell_size)
    sorted_keys = np.sort(keys)
    takes_all = cell_count >= cell_size
    cut = np.where(takes_all, cell_start, cell_end - cell_count)
    cut_keys = sorted_keys[cut]
    flagged = keys >= np.repeat(cut_keys, cell_size)
    tied = np.flatnonzero(~takes_all & (sorted_keys[np.maximum(cut - 1, 0)] == cut_keys))
    for cell in tied:
        segment = slice(int(cell_start[cell]), int(cell_end[cell]))
        chosen = np.argsort(-margins[segment])[: int(cell_count[cell])]
        flagged[segment] = False
        flagged[segment.start + chosen] = True
    return rows[flagged]


def _prune_by_class(
    stats: LabelStats,
    prune_counts: np.ndarray,
    rows_of_class: RowsByClass,
    min_examples_per_class: int,
) -> np.ndarray:
    """In each class k, flag the ``n_k - M[k, k]`` rows with the smallest ``p[k]``."""
    mask = np.zeros(stats.n_examples, dtype=bool)
    for k in range(stats.n_classes):
        n_rows = int(stats.class_counts[k])
        count = n_rows - int(prune_counts[k, k])
        if n_rows <= min_examples_per_class or count < 1:
            continue
        rows = rows_of_class[k]
        mask[rows[select_smallest(stats.self_confidence[rows], count)]] = True
    return mask


def find_label_issues(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    min_examples_per_class: int = 1,
    num_to_remove_per_class: Sequence[int] | None = None,
    stats: LabelStats | None = None,
    chunk_rows: int | None = None,
    n_threads: int | None = None,
    assume_valid: bool = False,
    release_rows: RowRelease | None = None,
) -> np.ndarray:
    """Boolean mask of the rows whose given label is probably wrong (confident learning).

    *labels*, *pred_probs*, *chunk_rows*, *n_threads*, *assume_valid* and *release_rows* (called
    with the rows pruning has read) are as for :func:`.counting.compute_label_stats`, which
    runs unless *stats*, its result for these inputs (then already validated), is given.

    Parameters
    ----------
    filter_by : str
        One of :data:`FILTERS` (each is described there).
    frac_noise : float in (0, 1]
        Fraction of the estimated issues to flag (pruning filters).
    min_examples_per_class : int
        Keep at least this many rows per class; classes this small flag nothing.
    num_to_remove_per_class : sequence of K ints, optional
        Replaces the estimated counts: entry k is spread over row k of ``M`` (true class k).
        With ``prune_by_class`` it is the number of rows flagged in given class k (before the
        reduce step); with ``prune_by_noise_rate`` / ``both`` it counts rows suggested to be
        class k, taken from the other given classes (docs/algorithms.md, section 9).

    Returns
    -------
    ndarray of shape (N,), bool
    """
    check_filter_options(filter_by, frac_noise)
    labels, _ = check_inputs(labels, pred_probs, assume_valid=assume_valid or stats is not None)
    if stats is None:
        stats = compute_label_stats(
            labels, pred_probs, chunk_rows=chunk_rows, n_threads=n_threads, assume_valid=True
        )
    if filter_by not in _PRUNING_FILTERS:
        return _unpruned_mask(labels, pred_probs, stats, filter_by, chunk_rows)
    prune_counts = prune_counts_of_stats(
        stats, frac_noise, min_examples_per_class, num_to_remove_per_class
    )
    pruned = _pruning_mask(
        pred_probs,
        stats,
        filter_by,
        prune_counts,
        min_examples_per_class,
        default_threads(n_threads),
        release_rows,
        chunk_rows,
    )
    return stats.reduce(pruned)


def _unpruned_mask(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    stats: LabelStats,
    filter_by: str,
    chunk_rows: int | None,
) -> np.ndarray:
    """The filters that need no prune counts: ``low_*`` (the ``num_label_issues`` rows of lowest
    score, no reduce step), ``confident_learning`` and ``predicted_neq_given``."""
    if filter_by == "confident_learning":
        return stats.reduce(stats.off_diagonal)
    if filter_by == "predicted_neq_given":
        return stats.reduce(stats.predicted_labels != stats.labels)
    scores = label_quality_scores(
        labels, pred_probs, method=filter_by[len("low_") :], stats=stats, chunk_rows=chunk_rows
    )
    mask = np.zeros(stats.n_examples, dtype=bool)
    mask[select_smallest(scores, stats.num_label_issues)] = True
    return mask


def _pruning_mask(
    pred_probs: np.ndarray,
    stats: LabelStats,
    filter_by: str,
    prune_counts: np.ndarray,
    min_examples_per_class: int,
    n_threads: int,
    release_rows: RowRelease | None,
    chunk_rows: int | None,
) -> np.ndarray:
    """The pruning filters before the reduce step: ``prune_by_noise_rate``'s mask,
    ``prune_by_class``'s, or for ``both`` their intersection."""
    rows_of_class = RowsByClass(stats.labels, stats.n_classes)
    mask = None
    if filter_by in ("prune_by_noise_rate", "both"):
        mask = _prune_by_noise_rate(
            pred_probs,
            stats,
            prune_counts,
            rows_of_class,
            min_examples_per_class,
            n_threads,
            release_rows,
            chunk_rows,
        )
    if filter_by in ("prune_by_class", "both"):
        by_class = _prune_by_class(stats, prune_counts, rows_of_class, min_examples_per_class)
        mask = by_class if mask is None else mask & by_class
    return mask
