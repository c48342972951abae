"""Multi-label label quality: per-class binary scores and their aggregation (ALGORITHMS.md s11)."""

from __future__ import annotations

import numpy as np

from labelaudit.core.multilabel._binary import binary_labels, binary_probs, check_multilabel
from labelaudit.core.ranking import SCORE_METHODS, label_quality_scores
from labelaudit.core.validation import check_choice

__all__ = [
    "AGGREGATORS",
    "aggregate_scores",
    "exponential_moving_average",
    "multilabel_quality_scores",
    "softmin",
]

AGGREGATORS = ("exponential_moving_average", "softmin")


def exponential_moving_average(scores: np.ndarray, alpha: float | None = 0.8) -> np.ndarray:
    """Exponential moving average of each row's scores, taken in descending order.

    With a row's scores sorted so that ``s_1 >= s_2 >= ... >= s_K``:
    ``EMA_1 = s_1``, ``EMA_t = alpha * s_t + (1 - alpha) * EMA_{t-1}``; the result is ``EMA_K``.
    ``alpha = 1`` gives the row minimum, ``alpha = 0`` the maximum. ``alpha=None`` uses
    ``2 / (K + 1)``, the reference's default when no alpha is given.

    Parameters
    ----------
    scores : ndarray of shape (N, K)
    alpha : float in [0, 1] or None

    Returns
    -------
    ndarray of shape (N,), float64
    """
    n_classes = scores.shape[1]
    if alpha is None:
        alpha = 2 / (n_classes + 1)
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    descending = np.sort(scores, axis=1)[:, ::-1]
    average = descending[:, 0].astype(np.float64)
    for t in range(1, n_classes):  # a loop over the K classes, vectorised over rows
        average *= 1 - alpha
        average += alpha * descending[:, t]
    return average


def softmin(scores: np.ndarray, temperature: float = 0.1) -> np.ndarray:
    """Softmin-weighted mean of each row's scores.

    ``sum_k s_k * w_k`` with ``w = softmax((1 - s) / temperature)`` over the row, computed as
    ``exp(z - max z)`` normalised, so small temperatures do not overflow.

    Parameters
    ----------
    scores : ndarray of shape (N, K)
    temperature : float > 0

    Returns
    -------
    ndarray of shape (N,), float64
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    exponent = (1 - np.asarray(scores, dtype=np.float64)) / temperature
    exponent -= exponent.max(axis=1, keepdims=True)
    weights = np.exp(exponent, out=exponent)
    weights /= weights.sum(axis=1, keepdims=True)
    weights *= scores
    return weights.sum(axis=1)


def aggregate_scores(
    scores: np.ndarray,
    aggregator: str = "exponential_moving_average",
    *,
    alpha: float | None = 0.8,
    temperature: float = 0.1,
) -> np.ndarray:
    """One score per row from its K per-class scores (:data:`AGGREGATORS`)."""
    if aggregator == "exponential_moving_average":
        return exponential_moving_average(scores, alpha)
    if aggregator == "softmin":
        return softmin(scores, temperature)
    raise ValueError(f"aggregator must be one of {AGGREGATORS}, got {aggregator!r}")


def multilabel_quality_scores(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    aggregator: str = "exponential_moving_average",
    alpha: float | None = 0.8,
    temperature: float = 0.1,
    return_per_class: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Label quality of every row of a multi-label dataset, in [0, 1] (low = suspicious).

    Per class k, the single-label score of *method* (ALGORITHMS.md section 6) on the binary
    problem ``(Y[:, k], [1 - p_k, p_k])``: self-confidence is ``p_k`` where the tag is given and
    ``1 - p_k`` where not; on two classes the normalised margin
    ``(p_y - p_other + 1) / 2`` equals it up to rounding. The K scores of a row are then
    aggregated by :func:`exponential_moving_average` (descending order, *alpha*) or
    :func:`softmin` (*temperature*).

    Parameters
    ----------
    labels : array-like of shape (N, K), 0/1
    pred_probs : ndarray of shape (N, K), float32 or float64
    method : {"self_confidence", "normalized_margin", "confidence_weighted_entropy"}
    adjust_pred_probs : bool
        Adjust each binary problem by its thresholds first (not for the entropy method).
    aggregator : {"exponential_moving_average", "softmin"}
    alpha : float in [0, 1] or None
        EMA forgetting factor; None means ``2 / (K + 1)``.
    temperature : float > 0
        Softmin temperature.
    return_per_class : bool
        Also return the (N, K) float64 per-class scores, as ``(scores, per_class)``.

    Returns
    -------
    ndarray of shape (N,), float64
        The row scores (the first of the pair with *return_per_class*).
    """
    check_choice("method", method, SCORE_METHODS)
    check_choice("aggregator", aggregator, AGGREGATORS)
    labels = check_multilabel(labels, pred_probs)
    per_class = per_class_quality_scores(
        labels, pred_probs, method=method, adjust_pred_probs=adjust_pred_probs
    )
    scores = aggregate_scores(per_class, aggregator, alpha=alpha, temperature=temperature)
    return (scores, per_class) if return_per_class else scores


def per_class_quality_scores(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
) -> np.ndarray:
    """(N, K) scores: column k is the single-label score of class k's binary problem."""
    n_rows, n_classes = pred_probs.shape
    scores = np.empty((n_rows, n_classes), dtype=np.float64)
    for k in range(n_classes):
        scores[:, k] = label_quality_scores(
            binary_labels(labels, k),
            binary_probs(pred_probs, k),
            method=method,
            adjust_pred_probs=adjust_pred_probs,
        )
    return scores
