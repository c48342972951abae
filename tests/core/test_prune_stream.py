"""Pruning in one streamed pass (core/prune_stream.py) flags exactly the per-class path's rows."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from labelaudit.core import compute_label_stats, filtering, find_label_issues, prune_stream
from tests.core.datasets import synthetic

N_ROWS, N_CLASSES = 40_000, 7  # every class above _SMALL_CLASS_ROWS: all take the large path


def _probs(quantized: bool, dtype: type = np.float32) -> tuple[np.ndarray, np.ndarray]:
    case = synthetic(N_ROWS, N_CLASSES, 0.3, seed=11, dtype=dtype, separation=1.5)
    probs = case.pred_probs
    if quantized:  # many exact ties at the cuts
        probs = (np.round(probs * 40) + 0.5).astype(dtype)
        probs /= probs.sum(axis=1, keepdims=True)
    return case.labels, probs


def _issues(monkeypatch, labels, probs, *, streamed: bool, **settings) -> np.ndarray:
    monkeypatch.setattr(filtering, "STREAM_MIN_ROWS", 0 if streamed else 10**12)
    for name, value in settings.items():
        monkeypatch.setattr(prune_stream, name, value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return find_label_issues(labels, probs, frac_noise=0.9, chunk_rows=4096, n_threads=2)


@pytest.mark.parametrize("quantized", [False, True], ids=["distinct", "tie-heavy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_streamed_equals_per_class(monkeypatch, quantized: bool, dtype: type) -> None:
    labels, probs = _probs(quantized, dtype)
    assert np.bincount(labels).min() > filtering._SMALL_CLASS_ROWS
    per_class = _issues(monkeypatch, labels, probs, streamed=False)
    assert per_class.sum() > 1000
    for settings in (
        {},
        {"SAMPLE_ROWS": 2048},  # a small sample: some bounds too high, those classes redone
        {"SPARE_FACTOR": 0.0, "SPARE_ELEMENTS": 10},  # too many kept: per-class path for all
    ):
        streamed = _issues(monkeypatch, labels, probs, streamed=True, **settings)
        np.testing.assert_array_equal(streamed, per_class, err_msg=str(settings))


def test_rows_sorted_by_class_and_confidence(monkeypatch) -> None:
    # A sample of evenly spread chunks then sees few rows of most classes: bounds from it are
    # far off, and the result must not change.
    labels, probs = _probs(False)
    order = np.lexsort((probs.max(axis=1), labels))
    labels, probs = labels[order], np.ascontiguousarray(probs[order])
    per_class = _issues(monkeypatch, labels, probs, streamed=False)
    streamed = _issues(monkeypatch, labels, probs, streamed=True)
    np.testing.assert_array_equal(streamed, per_class)


def test_classes_left_to_the_per_class_path() -> None:
    # With a tie straddling a cut (the reference breaks it with a full argsort), the class is
    # returned for the per-class path instead of being decided here.
    labels, probs = _probs(True)
    stats = compute_label_stats(labels, probs)
    counts = filtering.prune_count_matrix(stats.calibrated_joint, stats.class_counts)
    classes = np.arange(N_CLASSES)
    result = prune_stream.prune_streamed(
        probs, stats.labels, stats.self_confidence, counts, classes, stats.class_counts, 2
    )
    assert result is not None
    assert len(result[1]) > 0


def test_parity_with_cleanlab_when_streamed(monkeypatch) -> None:
    cleanlab_filter = pytest.importorskip("cleanlab.filter")
    labels, probs = _probs(False)
    ours = _issues(monkeypatch, labels, probs, streamed=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = cleanlab_filter.find_label_issues(labels, probs, frac_noise=0.9)
    np.testing.assert_array_equal(ours, theirs)
