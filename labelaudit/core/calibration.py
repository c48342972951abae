"""Calibration of the confident joint, the joint, and the noise matrices (docs/algorithms.md,
sections 4-5): K x K arithmetic on the counts of :mod:`labelaudit.core.counting`'s two passes.

The float sums here decide rounding near-ties, so the memory layouts below are part of the
result (docs/exactness.md).
"""

from __future__ import annotations

import numpy as np

from labelaudit.core._arrays import EPS, TINY

__all__ = [
    "calibrate_confident_joint",
    "estimate_joint",
    "noise_matrices",
    "round_preserving_row_totals",
]


def round_preserving_row_totals(matrix: np.ndarray) -> np.ndarray:
    """Round every entry to an integer while keeping each row's rounded total.

    Entries are rounded; where a row's sum differs from its rounded float total by d, the d
    entries with the largest residual ``float - rounded`` get +1 (or the |d| with the smallest
    get -1): the set ``argsort(residual)[-d:]`` (or ``[:|d|]``) of each row.
    """
    rounded = np.round(matrix)
    targets = np.round(matrix.sum(axis=1))
    difference = (targets - rounded.sum(axis=1)).astype(np.int64)
    rows = np.flatnonzero(difference)
    if rows.size:
        # The entries are mostly small counts scaled alike, so equal residuals at the cut are
        # the rule, not the exception: rank them with the full argsort of each row, all rows in
        # one call (the same per-row sort as row by row).
        residual = matrix[rows]
        residual -= rounded[rows]
        ranking = np.argsort(residual, axis=1)
        del residual
        rank = np.arange(matrix.shape[1])[None, :]
        change = difference[rows][:, None]
        moved = np.where(change > 0, rank >= matrix.shape[1] - change, rank < -change)
        row, position = np.nonzero(moved)
        rounded[rows[row], ranking[row, position]] += np.sign(difference[rows[row]])
    return rounded.astype(np.int64)


def calibrate_confident_joint(confident_joint: np.ndarray, class_counts: np.ndarray) -> np.ndarray:
    """Calibrated confident joint (section 4).

    Each row is scaled to sum to its class count, the matrix to sum to N, then rounded to
    integers preserving the row totals.
    """
    # Column-major on purpose: the float sums below depend on summation order, and rounding
    # near-ties (residuals equal up to the last bit) are decided by it. The reference
    # implementation holds this matrix column-major; matching its layout matches its integers.
    # In place: each K x K temporary is 8 MB of fresh memory at K = 1000 (README, Performance).
    scaled = np.array(confident_joint, dtype=np.float64, order="F")
    class_counts = np.asarray(class_counts, dtype=np.float64)
    scaled /= np.maximum(scaled.sum(axis=1), TINY)[:, None]
    scaled *= class_counts[:, None]
    scaled /= scaled.sum()
    scaled *= class_counts.sum()
    return round_preserving_row_totals(scaled)


def estimate_joint(calibrated_joint: np.ndarray) -> np.ndarray:
    """Joint distribution ``Q[i, j] = P(given=i, true=j)``: the calibrated joint over its sum."""
    calibrated_joint = np.asarray(calibrated_joint, dtype=np.float64)
    return calibrated_joint / calibrated_joint.sum()


def noise_matrices(calibrated_joint: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Noise matrix, inverse noise matrix and prior of the true labels.

    Returns
    -------
    noise_matrix : ndarray (K, K)
        ``P(given=i | true=j)``: columns of the calibrated joint over their sums.
    inverse_noise_matrix : ndarray (K, K)
        ``P(true=j | given=i)``, stored as ``[j, i]`` (rows = true), like the noise matrix's
        transpose convention in the confident-learning paper.
    true_label_prior : ndarray (K,)
        ``P(true=j)`` from the column sums, floored at ``EPS`` and renormalised.
    """
    calibrated_joint = np.asarray(calibrated_joint, dtype=np.float64)
    column_sums = calibrated_joint.sum(axis=0)
    row_sums = calibrated_joint.sum(axis=1)
    noise_matrix = calibrated_joint / np.maximum(column_sums, TINY)[None, :]
    inverse_noise_matrix = (calibrated_joint / np.maximum(row_sums, TINY)[:, None]).T
    # A true class with no mass gets a floor of EPS, then the prior is renormalised.
    true_label_prior = np.clip(column_sums / calibrated_joint.sum(), EPS, 1.0)
    true_label_prior /= true_label_prior.sum()
    return noise_matrix, inverse_noise_matrix, true_label_prior
