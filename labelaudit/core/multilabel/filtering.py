"""Multi-label find_label_issues: the seven filters, one class at a time (ALGORITHMS.md s11)."""

from __future__ import annotations

import warnings

import numpy as np

from labelaudit.core._arrays import select_smallest
from labelaudit.core.counting import compute_label_stats
from labelaudit.core.filtering import check_filter_options, find_label_issues
from labelaudit.core.multilabel._binary import binary_labels, binary_probs, check_multilabel
from labelaudit.core.multilabel.ranking import exponential_moving_average
from labelaudit.core.ranking import label_quality_scores, order_label_issues

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
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    min_examples_per_class: int = 1,
    return_per_class: bool = False,
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
    n_rows, n_classes = pred_probs.shape
    low_filter = filter_by in _LOW_FILTERS
    per_class = np.zeros((n_rows, n_classes), dtype=bool)
    if low_filter:
        any_off_diagonal = np.zeros(n_rows, dtype=bool)
        class_scores = np.empty((n_rows, n_classes), dtype=np.float64)
    else:
        _warn_small_classes(labels, min_examples_per_class)
    for k in range(n_classes):
        given = binary_labels(labels, k)
        probs = binary_probs(pred_probs, k)
        stats = compute_label_stats(given, probs)
        if low_filter:
            any_off_diagonal |= stats.reduce(stats.off_diagonal)
            method = filter_by[len("low_") :]
            class_scores[:, k] = label_quality_scores(given, probs, method=method, stats=stats)
            if not return_per_class:
                continue
        with warnings.catch_warnings():  # small classes: warned once above, for all classes
            warnings.filterwarnings("ignore", message=".*min_examples_per_class.*")
            per_class[:, k] = find_label_issues(
                given,
                probs,
                filter_by=filter_by,
                frac_noise=frac_noise,
                min_examples_per_class=min_examples_per_class,
                stats=stats,
            )
    if low_filter:
        mask = np.zeros(n_rows, dtype=bool)
        scores = exponential_moving_average(class_scores, 0.8)
        mask[select_smallest(scores, int(np.count_nonzero(any_off_diagonal)))] = True
    else:
        mask = per_class.any(axis=1)
    return (mask, per_class) if return_per_class else mask


def order_multilabel_issues(mask: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Indices of the flagged rows, lowest aggregated score first.

    The reference ranks by the scores of :func:`multilabel_quality_scores` with its default
    aggregator (exponential moving average, alpha 0.8) and the chosen method; rows are taken in
    row order and sorted with numpy's default argsort of their scores.
    """
    return order_label_issues(mask, scores)
