"""Seeded multi-label datasets for the multi-label core tests (a helper module: no tests here).

Named ``test_multilabel_*`` only to sit with the tests it serves; pytest collects nothing from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np


@dataclass(frozen=True)
class MultilabelCase:
    """An (N, K) 0/1 label matrix and (N, K) per-class probabilities for one test case."""

    name: str
    labels: np.ndarray
    pred_probs: np.ndarray

    def label_lists(self) -> list[list[int]]:
        """The labels as the reference takes them: one list of class indices per row."""
        return [np.flatnonzero(row).tolist() for row in self.labels]


def synthetic_multilabel(
    n_rows: int,
    n_classes: int,
    seed: int,
    dtype: type = np.float64,
    *,
    separation: float = 2.0,
    noise: float = 0.1,
    empty_fraction: float = 0.1,
    rare: tuple[tuple[int, int], ...] = (),
    duplicate_columns: int = 0,
    quantize: float | None = None,
    bool_labels: bool = False,
) -> MultilabelCase:
    """Sigmoid probabilities around true tags; some tags dropped, some added.

    Each class has a prevalence in [0.05, 0.4]; its logit is normal noise plus or minus
    *separation* (shifted by the prevalence's log-odds). A fraction *noise* of true tags is
    dropped and about as many absent tags are added. Then a fraction *empty_fraction* of rows
    lose all their tags (empty label sets). ``rare=((k, m), ...)`` keeps only the first m
    positives of class k (m = 0 removes the class from the labels). ``duplicate_columns``
    appends copies of the first columns (exact ties between classes); ``quantize`` rounds
    probabilities to that step (exact ties between rows).
    """
    rng = np.random.default_rng(seed)
    prevalence = rng.uniform(0.05, 0.4, n_classes)
    true = rng.random((n_rows, n_classes)) < prevalence
    logits = rng.normal(0.0, 1.0, (n_rows, n_classes))
    logits += np.where(true, separation, -separation) + np.log(prevalence / (1 - prevalence))
    probs = 1 / (1 + np.exp(-logits))
    labels = true.copy()
    missing = true & (rng.random((n_rows, n_classes)) < noise)
    extra = ~true & (rng.random((n_rows, n_classes)) < noise * prevalence / (1 - prevalence))
    labels ^= missing | extra
    labels[rng.random(n_rows) < empty_fraction] = False
    for k, kept in rare:
        labels[np.flatnonzero(labels[:, k])[kept:], k] = False
    if duplicate_columns:
        labels = np.concatenate([labels, labels[:, :duplicate_columns]], axis=1)
        probs = np.concatenate([probs, probs[:, :duplicate_columns]], axis=1)
    if quantize is not None:
        probs = np.round(probs / quantize) * quantize
    name = f"n{n_rows}-k{labels.shape[1]}-{np.dtype(dtype).name}-s{seed}"
    return MultilabelCase(
        name,
        labels if bool_labels else labels.astype(np.int64),
        np.ascontiguousarray(np.clip(probs, 0, 1), dtype=dtype),
    )


DIGIT_TAGS = {
    "even": (0, 2, 4, 6, 8),
    "> 5": (6, 7, 8, 9),
    "round shape": (0, 6, 8, 9),
    "prime": (2, 3, 5, 7),
}


@cache
def digits_tags(noise: float = 0.06, seed: int = 0) -> tuple[MultilabelCase, np.ndarray]:
    """Tags of scikit-learn's bundled digits, some flipped, with out-of-fold probabilities.

    Tags (:data:`DIGIT_TAGS`) follow from the digit. In a fraction *noise* of rows one tag,
    chosen at random, is flipped (a missing or an extra tag). Probabilities are 5-fold
    out-of-fold (shuffled, seeded) ``predict_proba`` of a one-vs-rest logistic regression on
    150 Nystroem RBF features of the scaled pixels, fitted to the noisy tags (about 3 s). On the
    raw pixels a linear model separates "prime" or "even" poorly (90% accuracy; the default
    filter's precision was 0.32); with these features it is about 95%. Returns the case and
    the (N, K) mask of flips.
    """
    from sklearn.datasets import load_digits
    from sklearn.kernel_approximation import Nystroem
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, digit = load_digits(return_X_y=True)
    true = np.column_stack([np.isin(digit, members) for members in DIGIT_TAGS.values()])
    rng = np.random.default_rng(seed)
    flipped = np.zeros_like(true)
    rows = rng.choice(len(digit), size=int(noise * len(digit)), replace=False)
    flipped[rows, rng.integers(0, true.shape[1], rows.size)] = True
    labels = (true ^ flipped).astype(np.int64)
    model = make_pipeline(
        StandardScaler(),
        Nystroem(gamma=0.02, n_components=150, random_state=seed),
        OneVsRestClassifier(LogisticRegression(C=3.0, max_iter=3000)),
    )
    folds = KFold(n_splits=5, shuffle=True, random_state=seed)
    probs = cross_val_predict(model, features, labels, cv=folds, method="predict_proba")
    case = MultilabelCase("digits-tags", labels, np.ascontiguousarray(probs, dtype=np.float64))
    return case, flipped
