"""Feature tables for the predict tests, and out-of-fold probabilities in one call."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification

from labelaudit.predict import build_model, out_of_fold_probabilities

FAST_PARAMS = {"mlp": '{"max_iter": 300, "hidden_layer_sizes": [16]}'}


def blobs(n: int = 150, n_classes: int = 3, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """An easy numeric dataset: well-separated classes named by strings."""
    X, y = make_classification(
        n_samples=n,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        class_sep=2.5,
        random_state=seed,
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    names = np.array(["cat", "dog", "emu", "fox"])[:n_classes]
    return frame, pd.Series(names[y], name="label")


def oof(features: pd.DataFrame, labels: pd.Series, name: str = "logistic_regression", **kw):
    model = build_model(name, kw.pop("params", None), kw.get("seed", 0)).estimator
    kw.setdefault("folds", 3)
    return out_of_fold_probabilities(features, labels, model=model, **kw)


def mixed_frame(n: int = 180, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Label decided by a word in free text; numeric and categorical columns are noise."""
    rng = np.random.default_rng(seed)
    label = rng.choice(["neg", "pos"], size=n)
    filler = ["the", "film", "plot", "actor", "scene", "music", "ending", "story", "cast"]
    word = {"neg": ["awful", "boring", "bad"], "pos": ["great", "superb", "good"]}
    reviews = [
        " ".join([*rng.choice(filler, size=5), rng.choice(word[y]), *rng.choice(filler, size=3)])
        for y in label
    ]
    frame = pd.DataFrame(
        {
            "length": rng.normal(size=n),
            "score": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "genre": rng.choice(["drama", "comedy", "horror", None], size=n),
            "review": reviews,
        }
    )
    return frame, pd.Series(label, name="label")
