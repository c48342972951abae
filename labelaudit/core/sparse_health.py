"""Health's selections on sparse K x K matrices: the largest cells, then the zero ones in order.

The dense path lists cells by decreasing value, ties (the many zeros above all) by their index
in the matrix. Here the non-zero cells are sorted the same way, and the zero cells that follow
are enumerated in index order, only as many as are asked for (docs/algorithms.md, section 15).
"""

from __future__ import annotations

import numpy as np

from labelaudit.core.sparse import SparseMatrix

__all__ = ["largest_sparse_cells", "symmetric_pairs"]


def symmetric_pairs(joint: SparseMatrix) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``a < b`` with a non-zero cell, as ``a * K + b``, and ``Q[a, b] + Q[b, a]``."""
    n = joint.n_classes
    off = joint.rows != joint.cols
    rows, cols, values = joint.rows[off], joint.cols[off], joint.values[off]
    low, high = np.minimum(rows, cols), np.maximum(rows, cols)
    pairs, inverse = np.unique(low * n + high, return_inverse=True)
    upper = np.zeros(pairs.size)
    lower = np.zeros(pairs.size)
    is_upper = rows < cols
    upper[inverse[is_upper]] = values[is_upper]
    lower[inverse[~is_upper]] = values[~is_upper]
    return pairs, upper + lower  # the dense path's (Q + Q.T)[a, b], added in that order


def largest_sparse_cells(
    cells: np.ndarray,
    values: np.ndarray,
    n_classes: int,
    top: int | None,
    *,
    upper_only: bool,
    skip_zeros: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """The *top* largest cells (all when ``None``), largest first, ties by cell index.

    *cells* (flat ``i * K + j``) and *values* are the non-zero candidates; every other
    candidate cell (``i < j`` when *upper_only*, else ``i != j``) is 0. Negative values are
    never chosen, as in the dense selection; with *skip_zeros* no zero cell is either.

    Returns
    -------
    (cells, values) : the chosen flat cells and their values.
    """
    positive = values > 0
    order = np.lexsort((cells[positive], -values[positive]))
    chosen, chosen_values = cells[positive][order], values[positive][order]
    if top is not None:
        chosen, chosen_values = chosen[:top], chosen_values[:top]
    wanted = None if top is None else top - chosen.size
    if skip_zeros or (wanted is not None and wanted <= 0):
        return chosen, chosen_values
    zeros = _zero_cells(np.sort(cells[values != 0]), n_classes, wanted, upper_only)
    return np.concatenate([chosen, zeros]), np.concatenate([chosen_values, np.zeros(zeros.size)])


def _zero_cells(
    taken: np.ndarray, n_classes: int, wanted: int | None, upper_only: bool
) -> np.ndarray:
    """The first *wanted* candidate cells not in *taken* (sorted), in index order, row by row."""
    found: list[np.ndarray] = []
    count = 0
    for i in range(n_classes):
        if wanted is not None and count >= wanted:
            break
        start = i + 1 if upper_only else 0
        lo, hi = np.searchsorted(taken, [i * n_classes + start, (i + 1) * n_classes])
        columns = np.arange(start, n_classes)
        columns = columns[~np.isin(columns, taken[lo:hi] - i * n_classes)]
        if not upper_only:
            columns = columns[columns != i]
        if wanted is not None:
            columns = columns[: wanted - count]
        found.append(columns + i * n_classes)
        count += columns.size
    return np.concatenate(found).astype(np.int64) if found else np.empty(0, dtype=np.int64)
