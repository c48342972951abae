"""Datasets for the core tests: synthetic noisy labels and real data with injected flips."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np


@dataclass(frozen=True)
class Case:
    """Labels and out-of-sample probabilities for one test case."""

    name: str
    labels: np.ndarray
    pred_probs: np.ndarray


def synthetic(
    n_rows: int,
    n_classes: int,
    noise: float,
    seed: int,
    dtype: type = np.float64,
    *,
    separation: float = 2.5,
    absent_class: int | None = None,
    tiny_class: int | None = None,
    tiny_rows: int = 3,
) -> Case:
    """Softmax probabilities around the true class; a fraction *noise* of labels resampled.

    ``absent_class`` is kept in the probabilities but removed from the labels; ``tiny_class``
    keeps only ``tiny_rows`` labelled rows.
    """
    rng = np.random.default_rng(seed)
    true = rng.integers(0, n_classes, n_rows)
    logits = rng.normal(0.0, 1.0, (n_rows, n_classes))
    logits[np.arange(n_rows), true] += separation
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    labels = true.copy()
    flip = rng.random(n_rows) < noise
    labels[flip] = rng.integers(0, n_classes, int(flip.sum()))
    if absent_class is not None:
        labels[labels == absent_class] = (absent_class + 1) % n_classes
    if tiny_class is not None:
        rows = np.flatnonzero(labels == tiny_class)
        labels[rows[tiny_rows:]] = (tiny_class + 1) % n_classes
    name = f"synthetic-n{n_rows}-k{n_classes}-noise{noise}-{np.dtype(dtype).name}-s{seed}"
    if absent_class is not None:
        name += f"-absent{absent_class}"
    if tiny_class is not None:
        name += f"-tiny{tiny_class}"
    return Case(name, labels, probs.astype(dtype))


@cache
def real_dataset(name: str, model: str = "logistic") -> Case:
    """scikit-learn's bundled digits or wine, 10% of labels flipped, 5-fold out-of-fold probs."""
    from sklearn.datasets import load_digits, load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, true = {"digits": load_digits, "wine": load_wine}[name](return_X_y=True)
    n_classes = int(true.max()) + 1
    rng = np.random.default_rng(0)
    labels = true.copy()
    flip = rng.choice(len(true), size=len(true) // 10, replace=False)
    labels[flip] = (true[flip] + rng.integers(1, n_classes, flip.size)) % n_classes
    if model == "logistic":
        classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    else:  # k-NN probabilities are multiples of 1/5: many exact ties
        classifier = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    probs = cross_val_predict(classifier, features, labels, cv=folds, method="predict_proba")
    return Case(f"{name}-{model}", labels, np.ascontiguousarray(probs, dtype=np.float64))
