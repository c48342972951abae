"""Out-of-fold per-class probabilities for multi-label data (``predict --multi-label``).

One binary model per class (scikit-learn's ``OneVsRestClassifier`` around the chosen model),
after the same preprocessing as single-label predict. Folds are shuffled with the seed and
stratified on each row's **rarest tag** (rows without tags form their own group; groups smaller
than the number of folds are pooled): a simple stand-in for iterative stratification that keeps
rare classes spread over the folds. Every class needs rows with and without its tag in every
training fold; a class that has too few is refused by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError, listing
from labelaudit.predict.cross_validation import CrossValidation, feature_columns, fit_out_of_fold

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def check_tag_counts(labels: np.ndarray, classes: Sequence[Any], folds: int) -> None:
    """Refuse classes with fewer than *folds* rows with (or without) their tag, naming them."""
    import numpy as np

    positives = np.count_nonzero(labels, axis=0)
    negatives = labels.shape[0] - positives
    few = [
        f"{str(classes[k])!r} ({int(positives[k])} with, {int(negatives[k])} without)"
        for k in np.flatnonzero((positives < folds) | (negatives < folds))
    ]
    if few:
        head = "class" if len(few) == 1 else "classes"
        shown = ", ".join(few[:5]) + (f", … ({len(few) - 5} more)" if len(few) > 5 else "")
        raise InputError(
            f"{head} {shown} need at least --folds {folds} rows with "
            "and without the tag to be cross-validated; use fewer --folds, add rows, or drop "
            "the class from the labels."
        )


def rarest_tag_strata(labels: np.ndarray, folds: int) -> np.ndarray:
    """A group per row: its rarest tag's class; no tags -> one group; small groups pooled."""
    import numpy as np

    n_rows, n_classes = labels.shape
    counts = np.count_nonzero(labels, axis=0)
    ranked = np.where(labels == 1, counts[np.newaxis, :], n_rows + 1)
    strata = np.where(labels.any(axis=1), ranked.argmin(axis=1), n_classes)
    sizes = np.bincount(strata, minlength=n_classes + 1)
    strata[sizes[strata] < folds] = n_classes + 1  # pooled
    return strata


def multilabel_folds(labels: np.ndarray, folds: int, seed: int) -> list[tuple[Any, Any]]:
    """Shuffled, seeded folds stratified on the rarest tag (see :func:`rarest_tag_strata`)."""
    import numpy as np
    from sklearn.model_selection import KFold, StratifiedKFold

    strata = rarest_tag_strata(labels, folds)
    zeros = np.zeros(labels.shape[0])
    if np.bincount(strata).max() < folds:  # every group too small even pooled
        return list(KFold(n_splits=folds, shuffle=True, random_state=seed).split(zeros))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(zeros, strata))


def check_training_folds(
    labels: np.ndarray, splits: Sequence[tuple[Any, Any]], classes: Sequence[Any]
) -> None:
    """Refuse a split where some training fold has no row with (or without) a class's tag."""
    import numpy as np

    for train, _ in splits:
        positives = np.count_nonzero(labels[train], axis=0)
        constant = np.flatnonzero((positives == 0) | (positives == len(train)))
        if constant.size:
            names = listing([classes[k] for k in constant])
            raise InputError(
                f"class(es) {names}: a training fold has every row with, or none with, the tag, "
                "so no model can be fitted for it; use fewer --folds or add rows."
            )


def out_of_fold_multilabel(
    features: pd.DataFrame,
    labels: np.ndarray,
    classes: Sequence[Any],
    *,
    model: Any,
    **settings: Any,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Every row's per-class probabilities from one-vs-rest models that never saw it.

    Parameters
    ----------
    features : DataFrame
        Feature columns only.
    labels : ndarray of shape (N, K), 0/1
        The given label sets.
    classes : sequence
        Class of each column of *labels* (for messages).
    model : estimator
        Unfitted binary-capable classifier with ``predict_proba``; wrapped one-vs-rest.
    **settings
        :class:`~labelaudit.predict.cross_validation.CrossValidation`'s fields, as in
        single-label predict; the folds are stratified on the rarest tag.

    Returns
    -------
    probs : ndarray of shape (N, K), float64, each in [0, 1]
    metrics : dict
        ``tag_accuracy`` (p >= 0.5 against the given tags), ``baseline_tag_accuracy`` (each
        class's majority), ``exact_match`` (whole sets), ``n_rows``, ``n_classes``, ``folds``,
        ``feature_columns`` and ``warnings``.
    """
    import numpy as np

    cv = CrossValidation(**settings)
    if cv.folds < 2:
        raise InputError(f"--folds must be at least 2, got {cv.folds}.")
    labels = np.asarray(labels, dtype=np.int64)
    check_tag_counts(labels, classes, cv.folds)
    splits = multilabel_folds(labels, cv.folds, cv.seed)
    check_training_folds(labels, splits, classes)
    probs, kinds, seen = fit_out_of_fold(
        features, labels, splits, labels.shape[1], model, cv, one_vs_rest=True
    )
    if not np.all(np.isfinite(probs)):
        raise InputError("the model produced non-finite probabilities; try another model.")
    probs = np.clip(probs, 0.0, 1.0)
    metrics = {
        **tag_metrics(probs, labels),
        "folds": cv.folds,
        "feature_columns": feature_columns(kinds),
        "warnings": seen,
    }
    return probs, metrics


def tag_metrics(probs: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Tag accuracy of ``p >= 0.5``, its per-class-majority baseline, exact set matches."""
    import numpy as np

    agree = (probs >= 0.5) == (labels == 1)
    positives = np.count_nonzero(labels, axis=0)
    majority = np.maximum(positives, len(labels) - positives)
    return {
        "tag_accuracy": float(np.mean(agree)),
        "baseline_tag_accuracy": float(np.mean(majority) / len(labels)),
        "exact_match": float(np.mean(agree.all(axis=1))),
        "n_rows": len(labels),
        "n_classes": labels.shape[1],
    }
