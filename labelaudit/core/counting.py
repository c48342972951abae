"""Confident-learning counts: thresholds, the confident joint and the number of label issues
(docs/algorithms.md, sections 2-3 and 6; section numbers below are that file's). Calibration,
the joint and the noise matrices (sections 4-5) are in :mod:`labelaudit.core.calibration`, and
are re-exported here.

All statistics that need the (N, K) probabilities are gathered in two chunked passes over the
rows, in the input's own dtype, so a memory-mapped float32 file is never copied to float64.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from labelaudit.core._arrays import (
    EPS,
    SCAN_MAX_CLASSES,
    RowsByClass,
    compact_int_dtype,
    default_threads,
    map_chunks,
    map_row_chunks,
    probability_chunks,
    threads_for_classes,
)
from labelaudit.core.calibration import (  # re-exported: callers import them from here
    calibrate_confident_joint,
    estimate_joint,
    noise_matrices,
    round_preserving_row_totals,
)
from labelaudit.core.sparse import (
    SparseMatrix,
    calibrate_sparse,
    raise_diagonal,
    sparse_counts,
    use_sparse,
)
from labelaudit.core.validation import check_inputs

__all__ = [
    "LabelStats",
    "calibrate_confident_joint",
    "compute_label_stats",
    "estimate_joint",
    "noise_matrices",
    "per_class_thresholds",
    "predicted_labels",
    "round_preserving_row_totals",
]


RowRelease = Callable[[slice], None]
"""Callback told which rows a pass has finished reading."""


@dataclass(frozen=True)
class LabelStats:
    """Everything the filters, scores and health report share, from two passes over the rows.

    Attributes
    ----------
    n_examples, n_classes : int
        N and K.
    labels : ndarray of shape (N,)
        The given labels in the smallest integer dtype.
    class_counts : ndarray of shape (K,)
        ``n_k``, rows labelled k.
    thresholds : ndarray of shape (K,)
        Per-class thresholds ``t`` (section 2).
    confident_joint : ndarray of shape (K, K), or SparseMatrix with many classes
        Uncalibrated confident joint ``C`` with its diagonal raised to at least 1 (section 3).
    calibrated_joint : ndarray of shape (K, K), or SparseMatrix with many classes
        Calibrated confident joint, integer, rows summing to the class counts (section 4).
        Sparse (core/sparse.py) when ``use_sparse(N, K)``; ``np.asarray`` densifies it.
    off_diagonal : ndarray of shape (N,), bool
        Rows counted in ``C`` whose guessed true label differs from the given one.
    given_label_is_top : ndarray of shape (N,), bool
        Rows whose given label, with ``EPS`` added to its probability, is the row's argmax; the
        reduce step removes these rows from any set of issues.
    predicted_labels : ndarray of shape (N,)
        ``argmax_k p[n, k]`` (first index on ties).
    self_confidence : ndarray of shape (N,)
        ``p[n, y[n]]`` in the input dtype.
    num_label_issues : int
        Off-diagonal rows that survive the reduce step (section 6).
    """

    n_examples: int
    n_classes: int
    labels: np.ndarray
    class_counts: np.ndarray
    thresholds: np.ndarray
    confident_joint: np.ndarray | SparseMatrix
    calibrated_joint: np.ndarray | SparseMatrix
    off_diagonal: np.ndarray
    given_label_is_top: np.ndarray
    predicted_labels: np.ndarray
    self_confidence: np.ndarray
    num_label_issues: int

    def reduce(self, mask: np.ndarray) -> np.ndarray:
        """Reduce step (section 6): drop rows whose given label is the argmax with ``EPS`` added."""
        return mask & ~self.given_label_is_top


def per_class_thresholds(
    labels: np.ndarray, self_confidence: np.ndarray, n_classes: int, n_threads: int = 1
) -> np.ndarray:
    """Per-class thresholds ``t[k]``: mean self-confidence of the rows labelled k (section 2).

    The mean is numpy's (pairwise summation) in the input dtype, over the class's values in row
    order, as the reference computes it; a float32 mean differs from a float64 one in the last
    bits, which moves rows that sit exactly at a threshold. A class with no rows gets 2, so no
    row is ever confidently that class; then ``t >= 2 EPS``.
    """
    rows_of_class = RowsByClass(labels, n_classes)

    def class_mean(k: int) -> float:
        return class_threshold(self_confidence[rows_of_class[k]])

    threads = threads_for_classes(labels.shape[0], n_classes, n_threads)
    return thresholds_of(map_chunks(class_mean, list(range(n_classes)), threads))


def class_threshold(values: np.ndarray) -> float:
    """One class's mean self-confidence (its values in row order), or 2 for an empty class."""
    return float(values.mean()) if values.size else 2.0


def thresholds_of(means: list[float]) -> np.ndarray:
    """The thresholds from each class's :func:`class_threshold`: at least ``2 EPS``."""
    return np.maximum(np.asarray(means, dtype=np.float64), 2 * EPS)


def _confident_cutoffs(thresholds: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Cut-offs ``t - EPS`` rounded to the input dtype; ``p >= cutoff`` marks a confident class.

    Comparing in the input dtype avoids a float64 copy of each chunk. Rounding to the nearest
    representable value (not up) matters for rows that sit exactly at a cut-off: it is what the
    reference does with float32 input, and one such row in 10M changes a count.
    """
    return (thresholds - EPS).astype(dtype)


def _flat_positions(columns: np.ndarray, n_classes: int) -> np.ndarray:
    """Positions of ``(row, columns[row])`` in a C-contiguous (rows, n_classes) chunk, flattened.

    A flat ``take`` is about twice as fast as 2-D fancy indexing with two index arrays.
    """
    positions = np.arange(columns.shape[0], dtype=np.int64) * n_classes
    positions += columns
    return positions


def _self_confidence_pass(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    chunks: list[slice],
    n_threads: int,
    release_rows: RowRelease | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Pass 1: ``p[n, y[n]]`` for every row, in the input dtype, and the per-class thresholds.

    With few classes, each chunk's values are also sorted by class (a radix sort of its
    labels), so that every class's values in row order are slices of those pieces: thresholds
    then need no scan of all N labels per class (measured at 100M x 10: 2.0 s of CPU for ten
    scans, gathers and means, against about 0.7 s).
    """
    n_rows, n_classes = pred_probs.shape
    self_confidence = np.empty(n_rows, dtype=pred_probs.dtype)
    by_class = n_classes <= SCAN_MAX_CLASSES

    def one_chunk(chunk: slice) -> tuple[np.ndarray, np.ndarray] | None:
        probs = np.ascontiguousarray(pred_probs[chunk])
        chunk_labels = labels[chunk]
        values = probs.reshape(-1)[_flat_positions(chunk_labels, n_classes)]
        self_confidence[chunk] = values
        if not by_class:
            return None
        order = np.argsort(chunk_labels, kind="stable")
        starts = np.searchsorted(chunk_labels[order], np.arange(n_classes + 1))
        return values[order], starts

    pieces = map_row_chunks(one_chunk, chunks, n_threads, release_rows)
    if not by_class:
        return self_confidence, per_class_thresholds(labels, self_confidence, n_classes, n_threads)

    def class_mean(k: int) -> float:
        values = np.concatenate([v[s[k] : s[k + 1]] for v, s in pieces])  # type: ignore[misc]
        return class_threshold(values)

    threads = threads_for_classes(n_rows, n_classes, n_threads)
    return self_confidence, thresholds_of(map_chunks(class_mean, list(range(n_classes)), threads))


COLUMN_MAX_CLASSES = 32
"""Up to this many classes, pass 2 works on each chunk transposed (one row per class)."""


def _guesses_by_row(
    probs: np.ndarray, cutoffs: np.ndarray, count_dtype: type
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row of an (n, K) chunk: confident classes, argmax, row maximum, guessed true class.

    One confident class: that class; several: the argmax over all classes. With one confident
    class the argmax usually is it, so the confident mask's own argmax is only needed for the
    other rows.
    """
    n_classes = probs.shape[1]
    confident = probs >= cutoffs
    n_confident = confident.sum(axis=1, dtype=count_dtype)
    argmax = probs.argmax(axis=1)
    argmax_positions = _flat_positions(argmax, n_classes)
    guess = argmax
    single = np.flatnonzero((n_confident == 1) & ~confident.reshape(-1)[argmax_positions])
    if single.size:
        guess = argmax.copy()
        guess[single] = confident[single].argmax(axis=1)
    return n_confident, argmax, probs.reshape(-1)[argmax_positions], guess


def _guesses_by_column(
    probs: np.ndarray, cutoffs: np.ndarray, count_dtype: type
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_guesses_by_row` on the transposed chunk, the same values for few classes.

    Reductions over a handful of classes per row are slow in numpy (argmax 31 ns a row, a
    boolean sum 20 ns at K = 10); over rows of the transposed chunk they are contiguous (a
    transpose 6 ns, max 2.5 ns, sum 1.5 ns, the argmax below 1.8 ns; measured, 100k x 10
    float32).
    """
    n_rows, n_classes = probs.shape
    columns = np.ascontiguousarray(probs.T)
    confident = columns >= cutoffs[:, None]
    n_confident = confident.sum(axis=0, dtype=count_dtype)
    row_max = columns.max(axis=0)
    # The first class at the row maximum: K - max over k of (K - k) where p[k] is the maximum.
    at_max = (columns == row_max).view(np.uint8)
    at_max *= np.arange(n_classes, 0, -1, dtype=np.uint8)[:, None]
    argmax = n_classes - at_max.max(axis=0).astype(np.intp)
    positions = argmax * n_rows
    positions += np.arange(n_rows)
    guess = argmax
    single = np.flatnonzero((n_confident == 1) & ~confident.reshape(-1)[positions])
    if single.size:
        guess = argmax.copy()
        guess[single] = confident[:, single].argmax(axis=0)
    return n_confident, argmax, row_max, guess


def _confident_joint_pass(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    self_confidence: np.ndarray,
    thresholds: np.ndarray,
    chunks: list[slice],
    n_threads: int,
    release_rows: RowRelease | None = None,
) -> tuple[np.ndarray | SparseMatrix, np.ndarray, np.ndarray, np.ndarray]:
    """Pass 2: confident joint counts, off-diagonal rows, argmax, and the reduce-step mask."""
    n_rows, n_classes = pred_probs.shape
    cutoffs = _confident_cutoffs(thresholds, pred_probs.dtype)
    bump = pred_probs.dtype.type(EPS)
    count_dtype = np.uint8 if n_classes < 256 else np.int32
    off_diagonal = np.empty(n_rows, dtype=bool)
    given_label_is_top = np.empty(n_rows, dtype=bool)
    predicted_labels = np.empty(n_rows, dtype=compact_int_dtype(n_classes))

    guesses = _guesses_by_column if n_classes <= COLUMN_MAX_CLASSES else _guesses_by_row

    def one_chunk(chunk: slice) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        probs = np.ascontiguousarray(pred_probs[chunk])
        chunk_labels = labels[chunk]
        n_confident, argmax, row_max, guess = guesses(probs, cutoffs, count_dtype)
        counted = n_confident > 0
        cells = chunk_labels[counted].astype(np.int64) * n_classes + guess[counted]
        if n_classes * n_classes <= cells.size:
            counts = np.bincount(cells, minlength=n_classes * n_classes)
        else:  # many classes: count only the cells that occur, not all K * K of them
            counts = np.unique(cells, return_counts=True)
        off_diagonal[chunk] = counted & (guess != chunk_labels)
        predicted_labels[chunk] = argmax

        # Reduce step: is the given label the argmax once EPS is added to its probability?
        # Strictly above the row maximum it is; equal to it, an earlier column may win the tie.
        bumped = self_confidence[chunk] + bump
        is_top = bumped > row_max
        tied = np.flatnonzero(bumped == row_max)
        if tied.size:
            tied_probs = probs[tied].copy()
            tied_probs[np.arange(tied.size), chunk_labels[tied]] = bumped[tied]
            is_top[tied] = tied_probs.argmax(axis=1) == chunk_labels[tied]
        given_label_is_top[chunk] = is_top
        return counts

    counts = map_row_chunks(one_chunk, chunks, n_threads, release_rows)
    if use_sparse(n_rows, n_classes):  # many classes: no K x K array (core/sparse.py)
        sparse = sparse_counts(counts, n_classes)
        return sparse, off_diagonal, given_label_is_top, predicted_labels
    joint_counts = np.zeros(n_classes * n_classes, dtype=np.int64)
    for chunk_counts in counts:
        if isinstance(chunk_counts, tuple):
            cells, cell_counts = chunk_counts
            joint_counts[cells] += cell_counts  # cells are unique within a chunk
        else:
            joint_counts += chunk_counts
    joint_counts = joint_counts.reshape(n_classes, n_classes)
    return joint_counts, off_diagonal, given_label_is_top, predicted_labels


def compute_label_stats(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    chunk_rows: int | None = None,
    n_threads: int | None = None,
    release_rows: RowRelease | None = None,
    assume_valid: bool = False,
) -> LabelStats:
    """Thresholds, confident joint (raw and calibrated) and per-row facts, in two passes.

    Parameters
    ----------
    labels : array-like of shape (N,)
        Given labels, integers in ``0..K-1``.
    pred_probs : ndarray of shape (N, K), float32 or float64
        Out-of-sample predicted probabilities; may be a read-only ``np.memmap``.
    chunk_rows : int, optional
        Rows per chunk, rounded up to a multiple of ``BLOCK_ROWS`` (256); default about
        ``DEFAULT_CHUNK_BYTES`` (4 MiB) of probabilities (see ``chunk_rows_for``).
        Results do not depend on it.
    n_threads : int, optional
        Threads for the chunked passes (default: up to 2).
    release_rows : callable, optional
        Called with each row slice once a pass has read it, e.g. to let the operating system
        drop a memory map's pages (peak memory then stays near one chunk of the input).
    assume_valid : bool
        Skip the pass that checks every probability (finite, in [0, 1], rows summing to 1);
        for callers that already ran :func:`~labelaudit.core.validation.check_pred_probs`.

    Returns
    -------
    LabelStats

    Raises
    ------
    ValueError
        Wrong shapes or dtypes, labels outside ``0..K-1``, or (unless *assume_valid*) a
        probability that is NaN, outside [0, 1], or a row that does not sum to 1.
    """
    labels, n_classes = check_inputs(labels, pred_probs, assume_valid=assume_valid)
    chunks = probability_chunks(pred_probs, chunk_rows)
    return _stats_of_checked(
        labels, n_classes, pred_probs, chunks, default_threads(n_threads), release_rows
    )


def _stats_of_checked(
    labels: np.ndarray,
    n_classes: int,
    pred_probs: np.ndarray,
    chunks: list[slice],
    n_threads: int,
    release_rows: RowRelease | None,
) -> LabelStats:
    """:func:`compute_label_stats` on checked inputs: the two passes, then the joints."""
    self_confidence, thresholds = _self_confidence_pass(
        labels, pred_probs, chunks, n_threads, release_rows
    )
    joint_counts, off_diagonal, given_label_is_top, predicted_labels = _confident_joint_pass(
        labels, pred_probs, self_confidence, thresholds, chunks, n_threads, release_rows
    )
    class_counts = np.bincount(labels, minlength=n_classes).astype(np.int64)
    confident_joint, calibrated_joint = _raised_and_calibrated(joint_counts, class_counts)
    return LabelStats(
        n_examples=labels.shape[0],
        n_classes=n_classes,
        labels=labels,
        class_counts=class_counts,
        thresholds=thresholds,
        confident_joint=confident_joint,
        calibrated_joint=calibrated_joint,
        off_diagonal=off_diagonal,
        given_label_is_top=given_label_is_top,
        predicted_labels=predicted_labels,
        self_confidence=self_confidence,
        num_label_issues=int(np.count_nonzero(off_diagonal & ~given_label_is_top)),
    )


def _raised_and_calibrated(
    joint_counts: np.ndarray | SparseMatrix, class_counts: np.ndarray
) -> tuple[np.ndarray | SparseMatrix, np.ndarray | SparseMatrix]:
    """The confident joint (section 3: its diagonal raised to at least 1, in place) and its
    calibration (section 4); sparse in, sparse out."""
    if isinstance(joint_counts, SparseMatrix):
        confident_joint = raise_diagonal(joint_counts)
        return confident_joint, calibrate_sparse(confident_joint, class_counts)
    diagonal = np.diag_indices(joint_counts.shape[0])
    joint_counts[diagonal] = np.maximum(joint_counts[diagonal], 1)
    return joint_counts, calibrate_confident_joint(joint_counts, class_counts)


def predicted_labels(
    pred_probs: np.ndarray,
    *,
    chunk_rows: int | None = None,
    n_threads: int | None = None,
    release_rows: RowRelease | None = None,
) -> np.ndarray:
    """``argmax_k p[n, k]`` of every row (first index on ties), chunked, smallest int dtype.

    For callers that need the predicted class but not the confident joint.
    """
    n_rows, n_classes = pred_probs.shape
    predicted = np.empty(n_rows, dtype=compact_int_dtype(n_classes))

    def one_chunk(chunk: slice) -> None:
        predicted[chunk] = np.asarray(pred_probs[chunk]).argmax(axis=1)

    chunks = probability_chunks(pred_probs, chunk_rows)
    map_row_chunks(one_chunk, chunks, default_threads(n_threads), release_rows)
    return predicted
