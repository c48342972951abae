"""Multi-label find_label_issues: the seven filters, one class at a time (ALGORITHMS.md s11)."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from labelaudit.core._arrays import select_smallest
from labelaudit.core.counting import compute_label_stats
from labelaudit.core.filtering import check_filter_options, find_label_issues
from labelaudit.core.multilabel._binary import binary_labels, binary_probs, check_multilabel
from labelaudit.core.multilabel.ranking import exponential_moving_average
from labelaudit.core.ranking import label_quality_scores, order_label_issues

if TYPE_CHECKING:
    from labelaudit.core.counting import LabelStats

__all__ = ["find_multilabel_issues", "order_multilabel_issues"]

_LOW_FILTERS = ("low_self_confidence", "low_normalized_margin")


def _warn_small_classes(labels: np.ndarray, min_examples_per_class: int) -> None:
    """One warning for every (class, side) with at most min_examples_per_class rows."""
    positives = np.count_nonzero(labels, axis=0)
    negatives = labels.shape[0] - positives
    small = np.flatnonzero(
        ((positives > 0) & (positives <= min_examples_per_class))
        | ((negatives > 0) & (negatives <= min_examples_per_class))
    )
    if small.size:
        warnings.warn(
            f"{small.size} class(es) have at most min_examples_per_class="
            f"{min_examples_per_class} rows with (or without) the tag (class indices "
            f"{small[:10].tolist()}); no label issues are flagged on that side.",
            stacklevel=3,
        )


def find_multilabel_issues(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    return_per_class: bool = False,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    min_examples_per_class: int = 1,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Rows of a multi-label dataset whose label set probably has a missing or extra tag.

    For each class k, the single-label filter *filter_by* (ALGORITHMS.md section 5, with
    *frac_noise* and *min_examples_per_class*) runs on the binary problem
    ``(Y[:, k], [1 - p_k, p_k])``; its mask is column k of the per-class mask (class k looks
    wrong in that row: a given tag probably absent, or an absent tag probably present).
    A row is an issue when any class flags it.

    Exception, as in the reference: for ``low_self_confidence`` and ``low_normalized_margin``
    the row mask is the ``n`` rows with the lowest aggregated score (that method per class,
    exponential moving average with alpha 0.8), where ``n`` is the number of rows that are an
    off-diagonal, unreduced row (section 4) of at least one class; *frac_noise* and
    *min_examples_per_class* play no part. Their per-class masks are the single-label filter's,
    so a flagged row need not have a flagged class.

    Parameters
    ----------
    labels : array-like of shape (N, K), 0/1
    pred_probs : ndarray of shape (N, K), float32 or float64
    filter_by : str
        One of ``labelaudit.core.FILTERS``.
    frac_noise : float in (0, 1]
    min_examples_per_class : int
        Per class, a side (rows with the tag, rows without) this small flags nothing.
    return_per_class : bool
        Also return the (N, K) per-class mask.

    Returns
    -------
    mask : ndarray of shape (N,), bool
    per_class : ndarray of shape (N, K), bool
        Only with ``return_per_class=True``.
    """
    check_filter_options(filter_by, frac_noise)
    labels = check_multilabel(labels, pred_probs)
    options = {
        "filter_by": filter_by,
        "frac_noise": frac_noise,
        "min_examples_per_class": min_examples_per_class,
    }
    if filter_by in _LOW_FILTERS:
        mask, per_class = _lowest_scored_rows(labels, pred_probs, options, return_per_class)
    else:
        _warn_small_classes(labels, min_examples_per_class)
        per_class = np.zeros(pred_probs.shape, dtype=bool)
        for k in range(pred_probs.shape[1]):
            given, probs = binary_labels(labels, k), binary_probs(pred_probs, k)
            stats = compute_label_stats(given, probs)
            per_class[:, k] = _class_issues(given, probs, stats, options)
        mask = per_class.any(axis=1)
    return (mask, per_class) if return_per_class else mask


def _class_issues(
    given: np.ndarray, probs: np.ndarray, stats: LabelStats, options: dict[str, Any]
) -> np.ndarray:
    """The single-label filter's mask of one class's binary problem (*options*: its options).

    Its small-class warning is silenced: :func:`_warn_small_classes` warned once, for all classes.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*min_examples_per_class.*")
        return find_label_issues(given, probs, stats=stats, **options)


def _lowest_scored_rows(
    labels: np.ndarray, pred_probs: np.ndarray, options: dict[str, Any], return_per_class: bool
) -> tuple[np.ndarray, np.ndarray]:
    """The ``low_*`` filters' row mask, and the per-class masks (all False unless asked for).

    The rows are the ``n`` with the lowest aggregated score (the filter's method per class,
    exponential moving average with alpha 0.8), ``n`` the rows off-diagonal in some class.
    """
    n_rows, n_classes = pred_probs.shape
    method = options["filter_by"][len("low_") :]
    per_class = np.zeros((n_rows, n_classes), dtype=bool)
    any_off_diagonal = np.zeros(n_rows, dtype=bool)
    class_scores = np.empty((n_rows, n_classes), dtype=np.float64)
    for k in range(n_classes):
        given, probs = binary_labels(labels, k), binary_probs(pred_probs, k)
        stats = compute_label_stats(given, probs)
        any_off_diagonal |= stats.reduce(stats.off_diagonal)
        class_scores[:, k] = label_quality_scores(given, probs, method=method, stats=stats)
        if return_per_class:
            per_class[:, k] = _class_issues(given, probs, stats, options)
    mask = np.zeros(n_rows, dtype=bool)
    scores = exponential_moving_average(class_scores, 0.8)
    mask[select_smallest(scores, int(np.count_nonzero(any_off_diagonal)))] = True
    return mask, per_class


def order_multilabel_issues(mask: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Indices of the flagged rows, lowest aggregated score first.

    The reference ranks by the scores of :func:`multilabel_quality_scores` with its default
    aggregator (exponential moving average, alpha 0.8) and the chosen method; rows are taken in
    row order and sorted with numpy's default argsort of their scores.
    """
    return order_label_issues(mask, scores)
