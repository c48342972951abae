"""Input checks and the one-vs-rest binary problems of multi-label data (ALGORITHMS.md s11).

Class k of a multi-label dataset is the binary problem with given labels ``Y[:, k]`` and
probabilities ``[1 - p[:, k], p[:, k]]``; everything in this package runs the single-label core
on these problems, one class at a time.
"""

from __future__ import annotations

import numpy as np

from labelaudit.core._arrays import probability_chunks
from labelaudit.core.counting import LabelStats, compute_label_stats

__all__ = [
    "binary_labels",
    "binary_probs",
    "check_multilabel",
    "multilabel_confident_joint",
    "validate_multilabel",
]


def _check_shapes(labels: np.ndarray, pred_probs: np.ndarray) -> None:
    """Shapes and dtypes: (N, K) labels of integers or booleans, (N, K) float32/float64 probs."""
    if getattr(pred_probs, "ndim", None) != 2:
        raise ValueError(
            f"pred_probs must be a 2-D (N, K) array, got ndim={getattr(pred_probs, 'ndim', None)}"
        )
    if pred_probs.dtype not in (np.float32, np.float64):
        raise ValueError(f"pred_probs must be float32 or float64, got {pred_probs.dtype}")
    if labels.ndim != 2 or labels.shape != pred_probs.shape:
        raise ValueError(
            f"labels must be an (N, K) 0/1 matrix shaped like pred_probs {pred_probs.shape}, "
            f"got shape {labels.shape}"
        )
    n_rows, n_classes = pred_probs.shape
    if n_rows == 0 or n_classes == 0:
        raise ValueError(f"at least one row and one class are needed, got shape {labels.shape}")
    if labels.dtype != np.bool_ and not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be 0/1 integers or booleans, got dtype {labels.dtype}")


def check_multilabel(labels: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
    """Cheap checks every public function makes; returns *labels* as an array.

    Shapes, dtypes and that labels lie in {0, 1} (two reductions, no temporaries). The values
    of *pred_probs* are left to :func:`validate_multilabel` at the boundary, as in the
    single-label core: a full pass over the probabilities is too costly to repeat per call.
    """
    labels = np.asarray(labels)
    _check_shapes(labels, pred_probs)
    if labels.dtype != np.bool_ and (labels.min() < 0 or labels.max() > 1):
        validate_multilabel(labels, pred_probs)  # raises, naming the first bad cell
    return labels


def _first_bad_cell(bad: np.ndarray) -> tuple[int, int]:
    """(row, column) of the first True of a 2-D mask, in row-major order."""
    row = int(np.flatnonzero(bad.any(axis=1))[0])
    return row, int(np.flatnonzero(bad[row])[0])


def validate_multilabel(labels: np.ndarray, pred_probs: np.ndarray) -> None:
    """Check multi-label inputs completely; raise ValueError naming the first problem.

    Checks, in order: *pred_probs* is a 2-D float32/float64 (N, K) array with N, K >= 1;
    *labels* has the same shape and holds only 0 and 1 (integers or booleans); every
    probability is a number in [0, 1]. Errors name the first bad row and column (0-based).
    The probability check runs over row chunks of about 4 MiB.

    Parameters
    ----------
    labels : array-like of shape (N, K)
        ``Y[n, k] = 1`` when class k is in row n's label set; empty rows are allowed.
    pred_probs : ndarray of shape (N, K)
        Per-class probabilities ``p[n, k]`` in [0, 1]; rows need not sum to 1.

    Raises
    ------
    ValueError
    """
    labels = np.asarray(labels)
    _check_shapes(labels, pred_probs)
    if labels.dtype != np.bool_:
        bad_labels = (labels != 0) & (labels != 1)
        if bad_labels.any():
            row, column = _first_bad_cell(bad_labels)
            raise ValueError(
                f"labels must be 0 or 1; row {row}, column {column} holds {labels[row, column]}"
            )
    for chunk in probability_chunks(pred_probs):
        probs = np.asarray(pred_probs[chunk])
        bad = ~((probs >= 0) & (probs <= 1))  # NaN fails both comparisons
        if bad.any():
            row, column = _first_bad_cell(bad)
            value = probs[row, column]
            problem = "is NaN" if np.isnan(value) else f"holds {value}, outside [0, 1]"
            raise ValueError(
                f"pred_probs must lie in [0, 1]; row {chunk.start + row}, column {column} {problem}"
            )


def binary_labels(labels: np.ndarray, k: int) -> np.ndarray:
    """Given labels of class k's binary problem: ``Y[:, k]`` as a contiguous int8 array."""
    return labels[:, k].astype(np.int8)


def binary_probs(pred_probs: np.ndarray, k: int) -> np.ndarray:
    """Probabilities of class k's binary problem: ``[1 - p[:, k], p[:, k]]``, (N, 2).

    ``1 - p`` is computed in the input dtype (float32 stays float32), as the reference does.
    """
    column = np.asarray(pred_probs[:, k])
    probs = np.empty((column.shape[0], 2), dtype=pred_probs.dtype)
    probs[:, 1] = column
    np.subtract(1, column, out=probs[:, 0])
    return probs


def binary_stats(labels: np.ndarray, pred_probs: np.ndarray, k: int) -> LabelStats:
    """Single-label statistics (sections 1-4) of class k's binary problem."""
    return compute_label_stats(binary_labels(labels, k), binary_probs(pred_probs, k))


def multilabel_confident_joint(labels: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
    """One-vs-rest confident joints: the calibrated 2 x 2 confident joint of every class.

    ``C[k, i, j]`` counts the rows whose given membership of class k is i and whose guessed
    true membership is j (0 = absent, 1 = present), from the binary problem
    ``(Y[:, k], [1 - p_k, p_k])`` with sections 1-3 of ALGORITHMS.md: per-class thresholds,
    confident counting, then calibration (rows scaled to the given counts, the matrix to N,
    rounded preserving row totals). Each ``C[k]`` sums to N.

    Parameters
    ----------
    labels : array-like of shape (N, K), 0/1
    pred_probs : ndarray of shape (N, K), float32 or float64

    Returns
    -------
    ndarray of shape (K, 2, 2), int64
    """
    labels = check_multilabel(labels, pred_probs)
    n_classes = pred_probs.shape[1]
    joint = np.empty((n_classes, 2, 2), dtype=np.int64)
    for k in range(n_classes):
        joint[k] = binary_stats(labels, pred_probs, k).calibrated_joint
    return joint
