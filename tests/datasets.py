"""Input builders shared by the CLI, io and report tests (the core's are in core/datasets.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from labelaudit.core.filtering import find_label_issues
from labelaudit.core.ranking import label_quality_scores, order_label_issues

CLASSES = ["cat", "dog", "bird"]
N_ROWS = 150


def random_probs(n_rows: int, n_classes: int = 3, seed: int = 0) -> np.ndarray:
    """Valid (rows sum to 1, no zeros) float64 probabilities with no relation to any labels."""
    rng = np.random.default_rng(seed)
    probs = rng.random((n_rows, n_classes)) + 0.05
    return probs / probs.sum(axis=1, keepdims=True)


def model_probs(true: np.ndarray, seed: int) -> np.ndarray:
    """float32 probabilities of a decent model: the true class is likely, not certain."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(len(true), len(CLASSES)))
    logits[np.arange(len(true)), true] += 2.5
    probs = np.exp(logits)
    return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)


@dataclass
class Dataset:
    """Small noisy inputs in every format, in one folder."""

    folder: Path
    labels: np.ndarray  # noisy given labels as class indices
    probs: np.ndarray  # (N, K) float32
    other_probs: np.ndarray  # a second model, for ensembles

    @property
    def names(self) -> np.ndarray:
        return np.array(CLASSES)[self.labels]

    def path(self, name: str) -> Path:
        return self.folder / name


def write_dataset(folder: Path) -> Dataset:
    """:data:`N_ROWS` rows, 12% of labels flipped, written to *folder* as:

    - ``y.parquet``, ``y.npy``: the given labels as class indices;
    - ``p.npy``, ``p2.npy``: the probabilities of two models;
    - ``p.parquet``, ``p.csv``: the first model's as an ``id`` column and one column per class;
    - ``p_int.parquet``: the same with classes named ``0``, ``1``, ``2``;
    - ``data.csv``, ``data.parquet``: a dataset (``id``, ``x``, ``count``) with string labels.
    """
    rng = np.random.default_rng(7)
    true = rng.integers(0, len(CLASSES), N_ROWS)
    labels = true.copy()
    flipped = rng.random(N_ROWS) < 0.12
    labels[flipped] = (true[flipped] + 1) % len(CLASSES)
    dataset = Dataset(folder, labels, model_probs(true, 1), model_probs(true, 2))
    ids = [f"r{i:03d}" for i in range(N_ROWS)]
    names = dataset.names

    pd.DataFrame({"label": labels}).to_parquet(dataset.path("y.parquet"))
    np.save(dataset.path("y.npy"), labels)
    np.save(dataset.path("p.npy"), dataset.probs)
    np.save(dataset.path("p2.npy"), dataset.other_probs)
    probs_columns = {name: dataset.probs[:, k] for k, name in enumerate(CLASSES)}
    pd.DataFrame({"id": ids, **probs_columns}).to_parquet(dataset.path("p.parquet"))
    pd.DataFrame({"id": ids, **probs_columns}).to_csv(dataset.path("p.csv"), index=False)
    int_columns = {str(k): dataset.probs[:, k] for k in range(len(CLASSES))}
    pd.DataFrame(int_columns).to_parquet(dataset.path("p_int.parquet"))
    data_frame = pd.DataFrame(
        {
            "id": ids,
            "x": rng.normal(size=N_ROWS),
            "count": rng.integers(0, 9, N_ROWS).astype(np.int32),
            "label": names,
        }
    )
    data_frame.to_csv(dataset.path("data.csv"), index=False)
    data_frame.to_parquet(dataset.path("data.parquet"))
    return dataset


def expected_issues(dataset: Dataset, filter_by: str = "prune_by_noise_rate", **kwargs) -> tuple:
    """The core's flagged rows (ranked), mask and scores for *dataset*'s single model."""
    rank_by = kwargs.pop("rank_by", "self_confidence")
    mask = find_label_issues(dataset.labels, dataset.probs, filter_by=filter_by, **kwargs)
    scores = label_quality_scores(dataset.labels, dataset.probs, method=rank_by)
    return order_label_issues(mask, scores), mask, scores
