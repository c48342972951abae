"""Label quality scores, their ensembles, and the ordering of issues (docs/algorithms.md,
sections 10-11).

Scores lie in [0, 1]; higher means the given label is more likely correct. They are computed
per chunk of rows in the input's dtype and returned as float64.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from labelaudit.core._arrays import (
    EPS,
    default_threads,
    map_row_chunks,
    probability_chunks,
    select_smallest,
)
from labelaudit.core.counting import LabelStats, RowRelease, compute_label_stats
from labelaudit.core.validation import check_choice, check_inputs, check_pred_probs_list

__all__ = [
    "SCORE_METHODS",
    "ensemble_label_quality_scores",
    "label_quality_scores",
    "lowest_scores",
    "order_label_issues",
]

SCORE_METHODS = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")
WEIGHTINGS = ("accuracy", "uniform")


def _self_confidence(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``p[n, y[n]]``."""
    return probs[np.arange(probs.shape[0]), labels]


def _normalized_margin(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``(p[n, y] - max_{j != y} p[n, j] + 1) / 2``."""
    rows = np.arange(probs.shape[0])
    given = probs[rows, labels]
    others = probs.copy()
    others[rows, labels] = -np.inf
    return (given - others.max(axis=1) + 1) / 2


def _confidence_weighted_entropy(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``log(x + 1) / max(x, EPS)`` with ``x = H(p) / max(p[n, y], EPS)``, H normalised by log K."""
    n_classes = probs.shape[1]
    self_confidence = np.maximum(_self_confidence(probs, labels), EPS)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_log_p = np.where(probs > 0, probs * np.log(probs), 0.0)
    entropy = -p_log_p.sum(axis=1) / np.log(n_classes)
    ratio = entropy / self_confidence
    return np.log(ratio + 1) / np.maximum(ratio, EPS)


_SCORERS = {
    "self_confidence": _self_confidence,
    "normalized_margin": _normalized_margin,
    "confidence_weighted_entropy": _confidence_weighted_entropy,
}


def _adjust(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Subtract the per-class thresholds, shift by their maximum, renormalise rows."""
    adjusted = probs - thresholds + thresholds.max()
    adjusted /= adjusted.sum(axis=1, keepdims=True)
    return adjusted


def label_quality_scores(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    stats: LabelStats | None = None,
    chunk_rows: int | None = None,
    n_threads: int | None = None,
    release_rows: RowRelease | None = None,
    assume_valid: bool = False,
) -> np.ndarray:
    """Label quality score of every row.

    *labels*, *pred_probs*, *chunk_rows*, *n_threads* and *assume_valid* are as for
    :func:`~labelaudit.core.counting.compute_label_stats`; *release_rows* is called with each
    row slice once it has been scored; *stats* reuses statistics already computed for these
    inputs (their self-confidence, or their thresholds with *adjust_pred_probs*).

    Parameters
    ----------
    method : {"self_confidence", "normalized_margin", "confidence_weighted_entropy"}
        Self-confidence ``p[y]``; normalised margin ``(p[y] - max_{j!=y} p[j] + 1) / 2``; or
        confidence-weighted entropy.
    adjust_pred_probs : bool
        Score ``p - t + max(t)`` renormalised, with the per-class thresholds t (not for the
        entropy method).

    Returns
    -------
    ndarray of shape (N,), float64
    """
    check_choice("method", method, SCORE_METHODS)
    if adjust_pred_probs and method == "confidence_weighted_entropy":
        raise ValueError("adjust_pred_probs is not defined for confidence_weighted_entropy")
    labels, _ = check_inputs(labels, pred_probs, assume_valid=assume_valid or stats is not None)
    if method == "self_confidence" and not adjust_pred_probs and stats is not None:
        return stats.self_confidence.astype(np.float64)

    thresholds = None
    if adjust_pred_probs:
        if stats is None:
            stats = compute_label_stats(
                labels, pred_probs, chunk_rows=chunk_rows, assume_valid=True
            )
        thresholds = stats.thresholds
    chunks = probability_chunks(pred_probs, chunk_rows)
    threads = default_threads(n_threads)
    return _scores_by_chunk(labels, pred_probs, method, thresholds, chunks, threads, release_rows)


def _scores_by_chunk(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    method: str,
    thresholds: np.ndarray | None,
    chunks: list[slice],
    n_threads: int,
    release_rows: RowRelease | None,
) -> np.ndarray:
    """The *method* score of every row, a chunk at a time in the input dtype, as float64; the
    probabilities adjusted by *thresholds* first unless it is None."""
    scorer = _SCORERS[method]
    scores = np.empty(labels.shape[0], dtype=np.float64)

    def one_chunk(chunk: slice) -> None:
        probs = np.asarray(pred_probs[chunk])
        if thresholds is not None:
            probs = _adjust(probs, thresholds)
        scores[chunk] = scorer(probs, labels[chunk])

    map_row_chunks(one_chunk, chunks, n_threads, release_rows)
    return scores


def ensemble_label_quality_scores(
    labels: np.ndarray,
    pred_probs_list: Sequence[np.ndarray],
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    weight_by: str = "accuracy",
    chunk_rows: int | None = None,
    assume_valid: bool = False,
) -> np.ndarray:
    """Weighted mean of the label quality scores of several models.

    Weights are proportional to each model's accuracy (``argmax p == y``) with
    ``weight_by="accuracy"``, or equal with ``weight_by="uniform"``.
    """
    check_choice("weight_by", weight_by, WEIGHTINGS)
    if not assume_valid:
        check_pred_probs_list(labels, pred_probs_list)
    if len(pred_probs_list) == 0:
        raise ValueError("pred_probs_list must hold at least one array")
    scores = np.zeros(np.asarray(labels).shape[0], dtype=np.float64)
    weights = []
    member_scores = []
    for pred_probs in pred_probs_list:
        stats = compute_label_stats(labels, pred_probs, chunk_rows=chunk_rows, assume_valid=True)
        member_scores.append(
            label_quality_scores(
                labels,
                pred_probs,
                method=method,
                adjust_pred_probs=adjust_pred_probs,
                stats=stats,
                chunk_rows=chunk_rows,
            )
        )
        weights.append(np.mean(stats.predicted_labels == stats.labels))
    weights_array = np.asarray(weights, dtype=np.float64)
    if weight_by == "uniform" or weights_array.sum() == 0:
        weights_array = np.ones_like(weights_array)
    weights_array = weights_array / weights_array.sum()
    for weight, member in zip(weights_array, member_scores, strict=True):
        scores += weight * member
    return scores


def order_label_issues(mask: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Indices of the flagged rows, lowest score (most likely wrong) first.

    Rows are taken in row order and sorted with numpy's default argsort of their scores.
    """
    flagged = np.flatnonzero(mask)
    return flagged[np.argsort(scores[flagged])]


def lowest_scores(scores: np.ndarray, count: int) -> np.ndarray:
    """Indices of the *count* lowest scores, lowest first (ties by row), without a full sort.

    The set is that of ``argsort(scores)[:count]``; only those rows are then sorted.
    """
    selected = select_smallest(np.asarray(scores), count)
    return selected[np.lexsort((selected, scores[selected]))]


def mean_pred_probs(
    pred_probs_list: Sequence[np.ndarray], chunk_rows: int = 1_000_000
) -> np.ndarray:
    """Row-wise mean of several ``(N, K)`` probability arrays (an ensemble's probabilities).

    Summed in float64 a chunk of rows at a time; the result is float32 when every input is.
    A single array is returned as it is (no copy of a memory map).
    """
    if len(pred_probs_list) == 1:
        return pred_probs_list[0]
    first = pred_probs_list[0]
    dtype = np.float32 if all(a.dtype == np.float32 for a in pred_probs_list) else np.float64
    mean = np.empty(first.shape, dtype=dtype)
    for start in range(0, first.shape[0], chunk_rows):
        stop = start + chunk_rows
        total = np.zeros(mean[start:stop].shape, dtype=np.float64)
        for array in pred_probs_list:
            total += array[start:stop]
        mean[start:stop] = total / len(pred_probs_list)
    return mean
