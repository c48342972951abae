"""Out-of-fold probabilities by stratified K-fold cross-validation (ALGORITHMS.md section 8).

Determinism: folds come from ``StratifiedKFold(shuffle=True, random_state=seed)``, models that
accept ``random_state`` get the seed, and every fold is fitted with BLAS/OpenMP limited to one
thread, so the same inputs and seed give byte-identical probabilities whether the folds run
serially or in parallel (``n_jobs``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError
from labelaudit.predict.features import (
    accepts_sparse,
    build_preprocessor,
    prepare_features,
    short,
    suspicious_feature_warnings,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def encode_labels(labels: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Map labels to ints ``0..K-1`` over the sorted classes; class names are their string form.

    Numeric labels sort by value (so integer labels ``0..K-1`` keep their column), anything else
    by the string form. Float labels that are all integers are named as integers (``1.0`` is
    class ``1``). Raises :class:`InputError` for missing labels or fewer than two classes.
    """
    import numpy as np
    import pandas as pd

    missing = labels.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
        raise InputError(
            f"label column '{labels.name}' has {len(rows)} missing value(s) (rows {shown}); "
            "fill or remove those rows."
        )
    if pd.api.types.is_numeric_dtype(labels.dtype) and not pd.api.types.is_bool_dtype(labels.dtype):
        values = labels.to_numpy()
        uniques, codes = np.unique(values, return_inverse=True)
        if uniques.dtype.kind == "f" and np.all(uniques == np.round(uniques)):
            # 1.0/3.0/7.0 are the classes 1/3/7: named as integers, so the labels match them.
            uniques = uniques.astype(np.int64)
        classes = [str(v) for v in uniques.tolist()]
    else:
        strings = np.array([str(v) for v in labels], dtype=object)
        uniques, codes = np.unique(strings, return_inverse=True)
        classes = [str(v) for v in uniques]
    if len(set(classes)) != len(classes):
        raise InputError(f"label column '{labels.name}': two classes have the same string form.")
    if len(classes) < 2:
        only = classes[0] if classes else "none"
        raise InputError(
            f"label column '{labels.name}' has a single class ({only}); predict needs at least 2."
        )
    return codes.astype(np.int64), classes


def _fit_fold(
    pipeline: Any, features: pd.DataFrame, codes: np.ndarray, train: Any, test: Any, n_classes: int
) -> tuple[np.ndarray, list[str]]:
    """Fit a clone of *pipeline* on *train* and return its probabilities for *test*."""
    import numpy as np
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1):
        warnings.simplefilter("always")
        fitted = clone(pipeline).fit(features.iloc[train], codes[train])
        probs = np.asarray(fitted.predict_proba(features.iloc[test]), dtype=np.float64)
    full = np.zeros((len(test), n_classes), dtype=np.float64)
    full[:, np.asarray(fitted.classes_, dtype=np.int64)] = probs
    messages = []
    for item in caught:
        text = str(item.message).strip().splitlines()
        messages.append(f"{item.category.__name__}: {text[0] if text else ''}")
    return full, messages


#: More distinct labels than this (or than half the rows) suggests a continuous column.
MANY_CLASSES = 100


def continuous_hint(n_classes: int, n_rows: int, column: object) -> str:
    """``"label column 'price' has 11,000 distinct values in 12,000 rows: is it a continuous
    column? "``, or ``""`` when the number of classes is plausible."""
    if n_classes <= MANY_CLASSES and n_classes <= n_rows / 2:
        return ""
    return (
        f"label column {short(column)!r} has {n_classes:,} distinct values in {n_rows:,} rows: "
        "is it a continuous column? "
    )


def check_class_sizes(
    counts: np.ndarray, classes: Sequence[str], folds: int, *, column: object = None
) -> None:
    """Raise :class:`InputError` naming the classes with fewer rows than *folds* (summarised).

    With very many classes the message starts by asking whether the label column is continuous.
    """
    small = [(classes[k], int(n)) for k, n in enumerate(counts) if n < folds]
    if not small:
        return
    hint = continuous_hint(len(classes), int(counts.sum()), column)
    fewest = min(n for _, n in small)
    limit = 2 if hint else 5
    shown = [f"{short(name)!r} ({n} row{'' if n == 1 else 's'})" for name, n in small[:limit]]
    more = f", … ({len(small) - limit:,} more)" if len(small) > limit else ""
    listed = ", ".join(shown) + more
    if len(small) == 1:
        head = f"class {listed} has fewer rows than --folds {folds}"
    else:
        head = f"{len(small):,} classes have fewer rows than --folds {folds}: {listed}"
    if hint:
        fix = "pass a column of class labels, or bin this one into classes"
    elif fewest >= 2:
        which = "that class" if len(small) == 1 else "those classes"
        fix = f"use --folds {fewest} or remove the rows of {which}"
    else:
        fix = "a class needs at least 2 rows to be cross-validated: remove or relabel its rows"
    tail = "" if hint else "; every class needs a row in every fold"
    raise InputError(f"{hint}{head}{tail}. Fix: {fix}.")


@dataclass(frozen=True)
class CrossValidation:
    """How the out-of-fold functions fit: their keyword arguments besides *model*.

    *folds* folds shuffled with *seed*, *n_jobs* of them fitted in parallel; *text_columns* are
    TF-IDF encoded; *progress_callback* is called as ``callback(0, folds)`` once the inputs are
    validated and fitting starts, then as ``callback(done, folds)`` after each fold, in fold
    order.
    """

    folds: int = 5
    seed: int = 0
    n_jobs: int = 1
    text_columns: Sequence[str] = ()
    progress_callback: Callable[[int, int], None] | None = None


def out_of_fold_probabilities(
    features: pd.DataFrame, labels: pd.Series, *, model: Any, **settings: Any
) -> tuple[np.ndarray, list[str], dict[str, Any]]:
    """Out-of-fold predicted probabilities by stratified K-fold cross-validation.

    Parameters
    ----------
    features : DataFrame
        Feature columns only (see :func:`select_features`).
    labels : Series
        One label per row (ints or strings); no missing values.
    model : estimator
        Unfitted classifier with ``predict_proba`` (see :func:`build_model`); cloned per fold.
    **settings
        :class:`CrossValidation`'s fields (``folds``, ``seed``, ``n_jobs``, ``text_columns``,
        ``progress_callback``); the folds are stratified on the labels.

    Returns
    -------
    probs : ndarray of shape (N, K), float64
        Row *i* from the model fitted on the folds that do not contain row *i*; rows sum to 1.
    classes : list of str
        Class names (sorted, string form) of the columns.
    metrics : dict
        ``accuracy``, ``log_loss``, ``baseline_accuracy`` (majority class), ``n_rows``,
        ``n_classes``, ``folds`` and ``warnings`` (distinct warnings raised while fitting).
    """
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    cv = CrossValidation(**settings)
    codes, classes, counts = _checked_codes(features, labels, cv.folds)
    splitter = StratifiedKFold(n_splits=cv.folds, shuffle=True, random_state=cv.seed)
    splits = list(splitter.split(np.zeros(len(codes)), codes))
    probs, kinds, seen = fit_out_of_fold(features, codes, splits, len(classes), model, cv)
    probs = _normalised(probs)
    metrics = _fold_metrics(probs, codes, counts, cv.folds)
    metrics["feature_columns"] = feature_columns(kinds)
    metrics["warnings"] = suspicious_feature_warnings(features, kinds) + seen
    return probs, classes, metrics


def fit_out_of_fold(
    features: pd.DataFrame,
    targets: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    n_classes: int,
    model: Any,
    cv: CrossValidation,
    *,
    one_vs_rest: bool = False,
) -> tuple[np.ndarray, dict[str, list[str]], list[str]]:
    """Predict's preprocessing and *model* fitted per split (see :func:`feature_pipeline`).

    Every row's probabilities from the model of the split that tests it, the feature columns
    of each kind, and the distinct warnings raised while fitting.
    """
    prepared, kinds, pipeline = feature_pipeline(
        features, cv.text_columns, model, one_vs_rest=one_vs_rest
    )
    probs, seen = _fit_folds(
        pipeline, prepared, targets, splits, n_classes, cv.n_jobs, cv.progress_callback
    )
    return probs, kinds, seen


def feature_pipeline(
    features: pd.DataFrame, text_columns: Sequence[str], model: Any, *, one_vs_rest: bool = False
) -> tuple[Any, dict[str, list[str]], Any]:
    """The prepared features, their kinds, and predict's preprocessing with *model* after it.

    With *one_vs_rest*, *model* is fitted once per class (multi-label); the preprocessing is
    sparse when *model* itself accepts sparse input.
    """
    from sklearn.pipeline import Pipeline

    prepared, kinds = prepare_features(features, text_columns)
    preprocessor = build_preprocessor(kinds, dense=not accepts_sparse(model))
    final = model
    if one_vs_rest:
        from sklearn.multiclass import OneVsRestClassifier

        final = OneVsRestClassifier(model)
    return prepared, kinds, Pipeline([("features", preprocessor), ("model", final)])


def feature_columns(kinds: dict[str, Any]) -> dict[str, list[str]]:
    """The metrics' ``feature_columns``: the columns of each kind."""
    return {kind: list(cols) for kind, cols in kinds.items()}


def _checked_codes(
    features: pd.DataFrame, labels: pd.Series, folds: int
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Class codes, class names and class sizes, after checking rows and folds."""
    import numpy as np

    if folds < 2:
        raise InputError(f"--folds must be at least 2, got {folds}.")
    if len(features) != len(labels):
        raise InputError(f"{len(features)} feature rows but {len(labels)} labels.")
    if len(features) == 0:
        raise InputError("no rows to predict.")
    codes, classes = encode_labels(labels)
    counts = np.bincount(codes, minlength=len(classes))
    check_class_sizes(counts, classes, folds, column=labels.name)
    return codes, classes, counts


def _fit_folds(
    pipeline: Any,
    prepared: pd.DataFrame,
    codes: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    n_classes: int,
    n_jobs: int,
    progress_callback: Callable[[int, int], None] | None,
) -> tuple[np.ndarray, list[str]]:
    """Every row's probabilities from the fold model that did not see it, and fit warnings."""
    import numpy as np
    from joblib import Parallel, delayed

    folds = len(splits)
    probs = np.full((len(codes), n_classes), np.nan, dtype=np.float64)
    seen: list[str] = []
    jobs = (
        delayed(_fit_fold)(pipeline, prepared, codes, train, test, n_classes)
        for train, test in splits
    )
    runner = Parallel(n_jobs=n_jobs, return_as="generator")
    if progress_callback is not None:
        progress_callback(0, folds)
    try:
        for done, ((_, test), (fold_probs, messages)) in enumerate(
            zip(splits, runner(jobs), strict=True), start=1
        ):
            probs[test] = fold_probs
            seen.extend(m for m in messages if m not in seen)
            if progress_callback is not None:
                progress_callback(done, folds)
    except (ValueError, TypeError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"fitting the model failed: {message}") from exc
    return probs, seen


def _normalised(probs: np.ndarray) -> np.ndarray:
    """Refuse non-finite output; clip negatives and rescale rows to sum to 1."""
    import numpy as np

    if not np.all(np.isfinite(probs)):
        bad = int(np.sum(~np.all(np.isfinite(probs), axis=1)))
        raise InputError(
            f"the model produced non-finite probabilities for {bad} rows; try another model."
        )
    n_classes = probs.shape[1]
    probs = np.clip(probs, 0.0, None)
    sums = probs.sum(axis=1, keepdims=True)
    return np.divide(probs, sums, out=np.full_like(probs, 1.0 / n_classes), where=sums > 0)


def _fold_metrics(
    probs: np.ndarray, codes: np.ndarray, counts: np.ndarray, folds: int
) -> dict[str, Any]:
    """Out-of-fold accuracy and log loss, and the majority-class baseline."""
    import numpy as np
    from sklearn.metrics import log_loss

    n_classes = probs.shape[1]
    return {
        "accuracy": float(np.mean(probs.argmax(axis=1) == codes)),
        "log_loss": float(log_loss(codes, probs, labels=list(range(n_classes)))),
        "baseline_accuracy": float(counts.max() / counts.sum()),
        "n_rows": len(codes),
        "n_classes": n_classes,
        "folds": folds,
    }
