"""The K x K matrices of many classes, held sparse: the confident joint has at most N + K cells.

With K = 20,000 classes a dense K x K float64 matrix is 3.2 GB, while the confident joint of N
rows has at most N off-diagonal cells (plus the K diagonal ones). Above
:data:`SPARSE_MIN_CLASSES` classes (and when K^2 is large against N), the counts, their
calibration, the joint, the noise matrix, the per-class numbers, the overlapping pairs and the
prune counts are computed from the non-zero cells only (docs/algorithms.md, section 15).

Every number equals the dense path's, bit for bit: the float sums are taken in the order numpy
takes them on the dense column-major matrices (a row sum is sequential over the columns; a
column sum, and the sum of the whole matrix, is numpy's pairwise summation over contiguous
memory, which is reproduced by summing dense blocks of its recursion), and rows whose rounding
needs the full-row ``argsort`` get it on a dense copy of those rows only, a batch at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelaudit.core._arrays import TINY

__all__ = [
    "SPARSE_MIN_CLASSES",
    "SparseMatrix",
    "calibrate_sparse",
    "prune_counts_sparse",
    "raise_diagonal",
    "sparse_counts",
    "sparse_joint",
    "use_sparse",
]

SPARSE_MIN_CLASSES = 1024
"""From this many classes on (when ``K^2 >= 8 N``), the K x K matrices are sparse."""

PAIRWISE_BLOCK = 1 << 20
"""Largest block of numpy's pairwise recursion summed densely (8 MiB of float64)."""

ROW_BATCH_CELLS = 1 << 22
"""Dense cells (rows x K) materialised at once where a row needs its full ``argsort``."""


def use_sparse(n_rows: int, n_classes: int) -> bool:
    """Whether the K x K matrices of *n_rows* rows and *n_classes* classes are held sparse."""
    return n_classes >= SPARSE_MIN_CLASSES and n_classes * n_classes >= 8 * n_rows


@dataclass(frozen=True)
class SparseMatrix:
    """A K x K matrix as its non-zero cells, sorted by (row, column); every other cell is 0.

    ``np.asarray`` gives the dense (column-major) matrix, for callers that need it at small K.
    """

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    n_classes: int

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_classes, self.n_classes)

    @property
    def ndim(self) -> int:
        return 2

    @property
    def dtype(self) -> np.dtype:
        return self.values.dtype

    @classmethod
    def from_cells(
        cls, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n_classes: int
    ) -> SparseMatrix:
        """Cells in any order (each once); zero values are dropped."""
        keep = values != 0
        rows, cols, values = rows[keep], cols[keep], values[keep]
        order = np.lexsort((cols, rows))
        return cls(
            rows[order].astype(np.int64), cols[order].astype(np.int64), values[order], n_classes
        )

    def toarray(self, dtype: Any = None) -> np.ndarray:
        """The dense K x K matrix (K^2 numbers: for small K, or callers that need them)."""
        dense = np.zeros(self.shape, dtype=dtype or self.values.dtype)
        dense[self.rows, self.cols] = self.values
        return dense

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.toarray(dtype)

    def __getitem__(self, key: Any) -> Any:
        """``m[i, j]``, ``m[a:b]`` (rows), ``m[:, k]`` or ``m[:, ks]`` (columns), dense as on
        the dense matrix (bounded: callers take a few rows or columns at a time)."""
        if isinstance(key, slice):
            first, stop, step = key.indices(self.n_classes)
            if step != 1:
                raise IndexError("SparseMatrix rows: only a slice with step 1")
            lo, hi = np.searchsorted(self.rows, [first, max(first, stop)])
            block = np.zeros((max(0, stop - first), self.n_classes), dtype=self.values.dtype)
            block[self.rows[lo:hi] - first, self.cols[lo:hi]] = self.values[lo:hi]
            return block
        if isinstance(key[0], slice) and key[0] == slice(None):
            return self._columns(key[1])
        i, j = (int(k) for k in key)
        flat = self.rows * self.n_classes + self.cols  # sorted: rows, then columns
        at = int(np.searchsorted(flat, i * self.n_classes + j))
        found = at < flat.size and flat[at] == i * self.n_classes + j
        return self.values[at] if found else self.values.dtype.type(0)

    def _columns(self, columns: Any) -> np.ndarray:
        """``m[:, k]`` (a dense column) or ``m[:, [k1, k2...]]`` (dense K x len columns)."""
        wanted = np.atleast_1d(np.asarray(columns, dtype=np.int64))
        unique, inverse = np.unique(wanted, return_inverse=True)
        block = np.zeros((self.n_classes, unique.size), dtype=self.values.dtype)
        if unique.size:
            at = np.minimum(np.searchsorted(unique, self.cols), unique.size - 1)
            inside = unique[at] == self.cols
            block[self.rows[inside], at[inside]] = self.values[inside]
        block = block[:, inverse]
        return block[:, 0] if np.ndim(columns) == 0 else block

    def with_values(self, values: np.ndarray) -> SparseMatrix:
        """The same cells with other values (zeros kept: elementwise results of the dense path)."""
        return SparseMatrix(self.rows, self.cols, values, self.n_classes)

    def diagonal(self) -> np.ndarray:
        on = self.rows == self.cols
        diagonal = np.zeros(self.n_classes, dtype=self.values.dtype)
        diagonal[self.rows[on]] = self.values[on]
        return diagonal

    def exact_sums(self, axis: int) -> np.ndarray:
        """Row (axis 1) or column (axis 0) sums of an integer matrix, as float64 (exact)."""
        index = self.rows if axis == 1 else self.cols
        sums = np.bincount(index, weights=self.values, minlength=self.n_classes)
        return sums.astype(np.float64)

    def row_sums(self) -> np.ndarray:
        """``dense.sum(axis=1)`` of the column-major matrix: sequential over the columns."""
        return _sequential_row_sums(self.rows, self.values.astype(np.float64), self.n_classes)

    def column_sums(self) -> np.ndarray:
        """``dense.sum(axis=0)`` of the column-major matrix: numpy's pairwise sum per column."""
        n = self.n_classes
        sums = np.zeros(n)
        columns = np.unique(self.cols)
        batch = max(1, ROW_BATCH_CELLS // n)
        order = np.lexsort((self.rows, self.cols))
        cols, rows, values = self.cols[order], self.rows[order], self.values[order]
        for start in range(0, columns.size, batch):
            chosen = columns[start : start + batch]
            lo, hi = np.searchsorted(cols, [chosen[0], chosen[-1] + 1])
            block = np.zeros((n, chosen.size), order="F")
            block[rows[lo:hi], np.searchsorted(chosen, cols[lo:hi])] = values[lo:hi]
            sums[chosen] = block.sum(axis=0)
        return sums

    def total(self) -> float:
        """``dense.sum()`` of the column-major matrix: pairwise over its memory order."""
        positions = self.cols * self.n_classes + self.rows
        order = np.argsort(positions, kind="stable")
        values = self.values[order].astype(np.float64)
        return _pairwise_total(positions[order], values, 0, self.n_classes * self.n_classes)


def _sequential_row_sums(rows: np.ndarray, values: np.ndarray, n_classes: int) -> np.ndarray:
    """Per row, ``((v0 + v1) + v2) + ...`` over its cells in column order (*rows* sorted).

    Zero cells add nothing exactly, so the non-zero cells alone give the dense row sum.
    """
    sums = np.zeros(n_classes)
    if rows.size == 0:
        return sums
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    lengths = np.diff(np.r_[starts, rows.size])
    which = rows[starts]
    for step in range(int(lengths.max())):  # one column position of every row at a time
        active = lengths > step
        sums[which[active]] += values[starts[active] + step]
    return sums


def _pairwise_total(positions: np.ndarray, values: np.ndarray, lo: int, n: int) -> float:
    """numpy's pairwise sum of the *n* memory cells from *lo*, given its sorted non-zero cells.

    The recursion splits as numpy's does (``n2 = n // 2`` rounded down to a multiple of 8);
    a block of at most :data:`PAIRWISE_BLOCK` cells is summed densely by numpy itself, and a
    block without a non-zero cell is 0 (adding 0 is exact).
    """
    first, last = np.searchsorted(positions, [lo, lo + n])
    if first == last:
        return 0.0
    if n <= PAIRWISE_BLOCK:
        block = np.zeros(n)
        block[positions[first:last] - lo] = values[first:last]
        return float(np.sum(block))
    half = n // 2
    half -= half % 8
    left = _pairwise_total(positions, values, lo, half)
    return left + _pairwise_total(positions, values, lo + half, n - half)


def sparse_joint(calibrated_joint: SparseMatrix) -> tuple[SparseMatrix, SparseMatrix]:
    """The joint ``Q`` (calibrated joint over its total) and the noise matrix ``P(given | true)``
    (each column over its sum), as :func:`~labelaudit.core.calibration.estimate_joint` and
    :func:`~labelaudit.core.calibration.noise_matrices` compute them (integer sums are exact).
    """
    values = calibrated_joint.values.astype(np.float64)
    joint = calibrated_joint.with_values(values / values.sum())
    column_sums = calibrated_joint.exact_sums(axis=0)
    noise = values / np.maximum(column_sums, TINY)[calibrated_joint.cols]
    return joint, calibrated_joint.with_values(noise)


def prune_counts_sparse(
    calibrated_joint: SparseMatrix, frac_noise: float, min_examples_per_class: int
) -> SparseMatrix:
    """:func:`~labelaudit.core.prune_counts.prune_count_matrix` (without
    ``num_to_remove_per_class``) on the non-zero cells: ``M`` with rows true, columns given.

    A zero cell stays 0 through every step (``max(0 - x, 0)``, then scaled), so only the
    calibrated joint's cells and the diagonal are computed, with the dense path's operations;
    the removed mass of each column is a column sum, pairwise as numpy sums it.
    """
    cal = calibrated_joint
    n = cal.n_classes
    values = cal.values.astype(np.float64)
    old_diagonal = cal.diagonal().astype(np.float64)
    new_diagonal = np.maximum(old_diagonal, min_examples_per_class)
    increase = new_diagonal - old_diagonal
    nonzero_per_column = np.bincount(cal.rows[values != 0], minlength=n)
    shift = increase / np.maximum(nonzero_per_column - 1, 1)
    off = cal.rows != cal.cols
    true, given = cal.cols[off], cal.rows[off]  # M[j, k] = C~[k, j]
    matrix = np.maximum(values[off] - shift[given], 0)
    kept = matrix * frac_noise
    matrix -= kept
    removed = SparseMatrix.from_cells(true, given, matrix, n).column_sums()
    diagonal = np.trunc(new_diagonal + removed)
    classes = np.arange(n, dtype=np.int64)
    return SparseMatrix.from_cells(
        np.concatenate([true, classes]),
        np.concatenate([given, classes]),
        np.concatenate([np.trunc(kept), diagonal]).astype(np.int64),
        n,
    )


def sparse_counts(chunk_counts: Sequence[Any], n_classes: int) -> SparseMatrix:
    """The confident joint's counts from per-chunk ``(cells, counts)`` or dense bincounts.

    A cell is ``given * K + guessed``; the diagonal is not yet raised to 1.
    """
    cells_list, counts_list = [], []
    for chunk in chunk_counts:
        if isinstance(chunk, tuple):
            cells_list.append(np.asarray(chunk[0], dtype=np.int64))
            counts_list.append(np.asarray(chunk[1], dtype=np.int64))
        else:
            occupied = np.flatnonzero(chunk)
            cells_list.append(occupied.astype(np.int64))
            counts_list.append(np.asarray(chunk)[occupied].astype(np.int64))
    cells = np.concatenate(cells_list) if cells_list else np.empty(0, dtype=np.int64)
    counts = np.concatenate(counts_list) if counts_list else np.empty(0, dtype=np.int64)
    unique, inverse = np.unique(cells, return_inverse=True)
    totals = np.bincount(inverse, weights=counts, minlength=unique.size).astype(np.int64)
    rows, cols = np.divmod(unique, n_classes)
    return SparseMatrix.from_cells(rows, cols, totals, n_classes)


def raise_diagonal(matrix: SparseMatrix, minimum: int = 1) -> SparseMatrix:
    """Every diagonal cell raised to at least *minimum* (section 3)."""
    diagonal = np.maximum(matrix.diagonal(), minimum)
    off = matrix.rows != matrix.cols
    classes = np.arange(matrix.n_classes, dtype=np.int64)
    return SparseMatrix.from_cells(
        np.concatenate([matrix.rows[off], classes]),
        np.concatenate([matrix.cols[off], classes]),
        np.concatenate([matrix.values[off], diagonal.astype(matrix.values.dtype)]),
        matrix.n_classes,
    )


def calibrate_sparse(confident_joint: SparseMatrix, class_counts: np.ndarray) -> SparseMatrix:
    """:func:`~labelaudit.core.calibration.calibrate_confident_joint` on the non-zero cells.

    ``C[i, j] / rowsum_i(C) * n_i``, then over the total and times N, then rounded keeping each
    row's rounded total; the same float operations in the same order as the dense path.
    """
    class_counts = np.asarray(class_counts, dtype=np.float64)
    matrix = confident_joint
    scaled = matrix.values.astype(np.float64)
    scaled /= np.maximum(matrix.exact_sums(axis=1), TINY)[matrix.rows]
    scaled *= class_counts[matrix.rows]
    scaled /= matrix.with_values(scaled).total()
    scaled *= class_counts.sum()
    return round_rows_sparse(matrix.with_values(scaled))


def round_rows_sparse(matrix: SparseMatrix) -> SparseMatrix:
    """:func:`~labelaudit.core.calibration.round_preserving_row_totals` on the non-zero cells.

    Rows whose rounded total differs from their rounded float total are fixed on a dense copy
    of those rows (the zero cells take part in the ``argsort`` ties), a batch at a time.
    """
    n = matrix.n_classes
    rounded = np.round(matrix.values)
    targets = np.round(matrix.row_sums())
    rounded_sums = np.bincount(matrix.rows, weights=rounded, minlength=n)
    difference = (targets - rounded_sums).astype(np.int64)
    fixed = np.flatnonzero(difference)
    keep = ~np.isin(matrix.rows, fixed)
    parts = [(matrix.rows[keep], matrix.cols[keep], rounded[keep])]
    batch = max(1, ROW_BATCH_CELLS // n)
    for start in range(0, fixed.size, batch):
        parts.append(_fix_rows(matrix, rounded, fixed[start : start + batch], difference))
    rows, cols, values = (np.concatenate(p) for p in zip(*parts, strict=True))
    return SparseMatrix.from_cells(rows, cols, values.astype(np.int64), n)


def _fix_rows(
    matrix: SparseMatrix, rounded: np.ndarray, rows: np.ndarray, difference: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dense copies of *rows*: ``+-1`` on the cells the full-row argsort of residuals picks."""
    n = matrix.n_classes
    inside = np.isin(matrix.rows, rows)
    place = np.searchsorted(rows, matrix.rows[inside])
    dense = np.zeros((rows.size, n))
    dense[place, matrix.cols[inside]] = matrix.values[inside]
    whole = np.zeros((rows.size, n))
    whole[place, matrix.cols[inside]] = rounded[inside]
    dense -= whole  # the residuals, as the dense path computes them
    ranking = np.argsort(dense, axis=1)
    rank = np.arange(n)[None, :]
    change = difference[rows][:, None]
    moved = np.where(change > 0, rank >= n - change, rank < -change)
    row, position = np.nonzero(moved)
    whole[row, ranking[row, position]] += np.sign(difference[rows[row]])
    row, col = np.nonzero(whole)
    return rows[row], col.astype(np.int64), whole[row, col]
