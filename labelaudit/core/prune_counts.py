"""How many rows to prune per (true, given) cell: the prune count matrix ``M``
(docs/algorithms.md, sections 7 and 9), K x K arithmetic on the calibrated joint.

Its truncations are sensitive to the last bit of float sums, so the memory layout below is part
of the result (docs/exactness.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from labelaudit.core._arrays import TINY
from labelaudit.core.calibration import round_preserving_row_totals
from labelaudit.core.sparse import SparseMatrix, prune_counts_sparse

__all__ = ["prune_count_matrix"]


def prune_count_matrix(
    calibrated_joint: np.ndarray,
    class_counts: np.ndarray,
    *,
    frac_noise: float = 1.0,
    min_examples_per_class: int = 1,
    num_to_remove_per_class: Sequence[int] | None = None,
) -> np.ndarray:
    """How many rows to prune per (true j, given k) cell: ``M`` with rows true, columns given.

    Starts from the transposed calibrated joint, keeps at least ``min_examples_per_class`` on
    the diagonal (taking the increase evenly from the column's other non-zero entries), scales
    the off-diagonal by ``frac_noise`` (the rest goes back to the diagonal) and truncates.
    """
    # Column-major on purpose: each column (one given class) is contiguous, so its float sums
    # use numpy's pairwise summation; the truncation below is sensitive to the last bit and
    # this layout matches the reference's integers.
    if isinstance(calibrated_joint, SparseMatrix) and num_to_remove_per_class is None:
        return prune_counts_sparse(calibrated_joint, frac_noise, min_examples_per_class)
    matrix = np.asfortranarray(np.asarray(calibrated_joint, dtype=np.float64).T)
    n_classes = matrix.shape[0]
    diagonal = np.diag_indices(n_classes)
    if num_to_remove_per_class is not None:
        matrix = _rescale_to_removal_counts(matrix, class_counts, num_to_remove_per_class)

    old_diagonal = matrix[diagonal].copy()
    new_diagonal = np.maximum(old_diagonal, min_examples_per_class)
    increase = new_diagonal - old_diagonal
    nonzero_per_column = np.count_nonzero(matrix, axis=0)
    matrix -= increase[None, :] / np.maximum(nonzero_per_column - 1, 1)[None, :]
    np.maximum(matrix, 0, out=matrix)

    # In place from here (K x K temporaries are costly with thousands of classes): ``matrix``
    # becomes the off-diagonal, then the part of it that frac_noise removes.
    matrix[diagonal] = 0
    kept = matrix * frac_noise
    matrix -= kept
    removed_per_column = matrix.sum(axis=0)
    kept[diagonal] = new_diagonal + removed_per_column
    return np.trunc(kept, out=kept).astype(np.int64)


def _rescale_to_removal_counts(
    matrix: np.ndarray, class_counts: np.ndarray, num_to_remove_per_class: Sequence[int]
) -> np.ndarray:
    """Replace the prune counts with ``num_to_remove_per_class`` spread over each row.

    Row k of ``M`` (true class k) gets ``num_to_remove_per_class[k]`` off-diagonal rows and
    ``n_k - num_to_remove_per_class[k]`` on the diagonal; each row is rounded preserving its
    total. The split over the other classes j is in proportion to ``M[k, j] / sum(M[j, :])``:
    each cell is weighted by the reciprocal of class j's own row total, which is how the
    reference spreads the counts (found by parity testing; a plain ``M[k, j]`` split differs).
    """
    n_classes = matrix.shape[0]
    to_remove = np.asarray(num_to_remove_per_class, dtype=np.float64)
    if to_remove.shape != (n_classes,):
        raise ValueError(f"num_to_remove_per_class must have {n_classes} entries")
    weights = matrix / np.maximum(matrix.sum(axis=1), TINY)[None, :]
    np.fill_diagonal(weights, 0)
    row_weight = weights.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(row_weight[:, None] > 0, weights / row_weight[:, None], 0.0)
    rescaled = share * to_remove[:, None]
    np.fill_diagonal(rescaled, np.asarray(class_counts, dtype=np.float64) - to_remove)
    return round_preserving_row_totals(rescaled).astype(np.float64)
