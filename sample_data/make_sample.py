"""Build the sample dataset shipped in sample_data/ (run from the repository root).

scikit-learn's bundled handwritten digits (1,797 8x8 images, 10 classes), with about 10% of the
labels replaced by a different, randomly chosen class (seeded). Writes:

- ``digits_features.csv``: ``id``, the 64 pixel columns and the (noisy) ``label`` as a word;
- ``digits_probs.parquet``: out-of-fold predicted probabilities of a logistic regression trained
  on the noisy labels (5 stratified folds, ``cross_val_predict``), one float32 column per class
  plus ``id``;
- ``digits_truth.csv``: per row the ``id``, the ``given_label``, the ``original_label`` and
  ``is_flipped`` (whether the label was changed).

Usage: python sample_data/make_sample.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

SEED = 0
NOISE_FRACTION = 0.10
CLASS_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
HERE = Path(__file__).resolve().parent


def inject_label_errors(
    labels: np.ndarray, n_classes: int, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Replace the labels of ``fraction`` of the rows by another class chosen uniformly.

    Returns the noisy labels and the boolean mask of changed rows.
    """
    n_rows = labels.shape[0]
    flipped_rows = rng.choice(n_rows, size=round(fraction * n_rows), replace=False)
    noisy = labels.copy()
    shift = rng.integers(1, n_classes, size=flipped_rows.shape[0])  # never the same class
    noisy[flipped_rows] = (labels[flipped_rows] + shift) % n_classes
    is_flipped = np.zeros(n_rows, dtype=bool)
    is_flipped[flipped_rows] = True
    return noisy, is_flipped


def main() -> None:
    """Write the three sample files next to this script."""
    rng = np.random.default_rng(SEED)
    digits = load_digits()
    pixels = digits.data.astype(np.int64)
    original = digits.target
    noisy, is_flipped = inject_label_errors(original, len(CLASS_NAMES), NOISE_FRACTION, rng)
    names = np.array(CLASS_NAMES)
    ids = [f"d{i:04d}" for i in range(pixels.shape[0])]

    features = pd.DataFrame(pixels, columns=[f"px{i:02d}" for i in range(pixels.shape[1])])
    features.insert(0, "id", ids)
    features["label"] = names[noisy]
    features.to_csv(HERE / "digits_features.csv", index=False)

    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=SEED)
    probs = cross_val_predict(model, pixels, noisy, cv=folds, method="predict_proba")
    probs = probs.astype(np.float32)
    probs_table = pd.DataFrame({"id": ids})
    for k, name in enumerate(CLASS_NAMES):  # cross_val_predict orders columns by class 0..9
        probs_table[name] = probs[:, k]
    probs_table.to_parquet(HERE / "digits_probs.parquet", index=False)

    truth = pd.DataFrame(
        {
            "id": ids,
            "given_label": names[noisy],
            "original_label": names[original],
            "is_flipped": is_flipped,
        }
    )
    truth.to_csv(HERE / "digits_truth.csv", index=False)
    accuracy = float(np.mean(probs.argmax(axis=1) == original))
    print(
        f"{pixels.shape[0]} rows, {int(is_flipped.sum())} labels flipped; out-of-fold accuracy "
        f"against the original labels {accuracy:.3f}"
    )


if __name__ == "__main__":
    main()
