"""The chunked, threaded path equals the plain in-memory path exactly (issue: performance)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from labelaudit.core import (
    FILTERS,
    SCORE_METHODS,
    compute_label_stats,
    find_label_issues,
    health_report,
    label_quality_scores,
)
from tests.core.datasets import synthetic

BLOCK_ROWS = 4096  # the chunk size of the chunked runs
N_ROWS = 5 * BLOCK_ROWS + 1234  # six chunks, the last one partial


@pytest.fixture(scope="module", params=[np.float32, np.float64], ids=["float32", "float64"])
def data(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray]:
    case = synthetic(N_ROWS, 7, 0.25, seed=5, dtype=request.param, separation=2.0)
    # Sort part of the rows by label so some classes start and end inside chunks while others
    # span chunk boundaries.
    order = np.argsort(case.labels[: 2 * BLOCK_ROWS], kind="stable")
    labels = case.labels.copy()
    probs = case.pred_probs.copy()
    labels[: 2 * BLOCK_ROWS] = labels[order]
    probs[: 2 * BLOCK_ROWS] = probs[order]
    return labels, probs


def _plain_and_chunked(function, labels, probs, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = function(labels, probs, chunk_rows=N_ROWS * 2, n_threads=1, **kwargs)
        chunked = function(labels, probs, chunk_rows=BLOCK_ROWS, n_threads=2, **kwargs)
    return plain, chunked


def test_stats_are_identical(data) -> None:
    labels, probs = data
    plain, chunked = _plain_and_chunked(compute_label_stats, labels, probs)
    assert len(range(0, N_ROWS, BLOCK_ROWS)) == 6
    for name in (
        "class_counts",
        "thresholds",
        "confident_joint",
        "calibrated_joint",
        "off_diagonal",
        "given_label_is_top",
        "predicted_labels",
        "self_confidence",
    ):
        np.testing.assert_array_equal(getattr(plain, name), getattr(chunked, name), err_msg=name)
    assert plain.num_label_issues == chunked.num_label_issues > 0


@pytest.mark.parametrize("filter_by", FILTERS)
def test_masks_are_identical(data, filter_by: str) -> None:
    labels, probs = data
    plain, chunked = _plain_and_chunked(find_label_issues, labels, probs, filter_by=filter_by)
    assert plain.any()
    np.testing.assert_array_equal(plain, chunked)


@pytest.mark.parametrize("method", SCORE_METHODS)
def test_scores_are_identical(data, method: str) -> None:
    labels, probs = data
    plain, chunked = _plain_and_chunked(label_quality_scores, labels, probs, method=method)
    np.testing.assert_array_equal(plain, chunked)


def test_health_is_identical(data) -> None:
    labels, probs = data
    plain, chunked = _plain_and_chunked(health_report, labels, probs)
    assert plain.classes == chunked.classes
    assert plain.overlapping_classes == chunked.overlapping_classes
    assert plain.noise_rate == chunked.noise_rate


def test_memory_mapped_input_gives_the_same_result(data, tmp_path) -> None:
    labels, probs = data
    path = tmp_path / "probs.npy"
    np.save(path, probs)
    mapped = np.load(path, mmap_mode="r")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = find_label_issues(labels, probs)
        actual = find_label_issues(labels, mapped, chunk_rows=BLOCK_ROWS)
    np.testing.assert_array_equal(expected, actual)


def test_lowest_scores_matches_a_full_sort() -> None:
    from labelaudit.core.ranking import lowest_scores

    rng = np.random.default_rng(3)
    scores = np.round(rng.random(5000), 2)  # many exact ties
    for count in (0, 1, 10, 777, 5000):
        lowest = lowest_scores(scores, count)
        expected = np.lexsort((np.arange(scores.size), scores))[:count]
        np.testing.assert_array_equal(scores[lowest], scores[expected])
        assert sorted(lowest.tolist()) == sorted(set(np.argsort(scores)[:count].tolist()))


def test_many_classes_count_sparsely_and_equal_the_dense_count() -> None:
    # 60 classes and 256-row chunks: K * K = 3600 cells > rows per chunk, so each chunk counts
    # only the cells it sees; one whole-input chunk counts densely.
    case = synthetic(6000, 60, 0.3, seed=8, dtype=np.float32)
    sparse = compute_label_stats(case.labels, case.pred_probs, chunk_rows=256, n_threads=2)
    dense = compute_label_stats(case.labels, case.pred_probs, chunk_rows=10**6, n_threads=1)
    assert len(range(0, 6000, 256)) > 20
    np.testing.assert_array_equal(sparse.confident_joint, dense.confident_joint)
    np.testing.assert_array_equal(sparse.calibrated_joint, dense.calibrated_joint)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(
            find_label_issues(case.labels, case.pred_probs, stats=sparse),
            find_label_issues(case.labels, case.pred_probs, stats=dense),
        )


@pytest.mark.parametrize("quantized", [False, True], ids=["distinct", "tie-heavy"])
def test_small_classes_pruned_together_equal_the_per_class_path(monkeypatch, quantized) -> None:
    # Classes of at most _SMALL_CLASS_ROWS rows are pruned all at once, in batches of cells;
    # that must equal pruning class by class, and not depend on the batch size. Rounded
    # probabilities put many exact ties at the prune cuts.
    from labelaudit.core import filtering

    case = synthetic(6000, 60, 0.3, seed=9, dtype=np.float32)
    probs = case.pred_probs
    if quantized:
        probs = (np.round(probs * 20) + 0.5).astype(np.float32)
        probs /= probs.sum(axis=1, keepdims=True)
    assert np.bincount(case.labels).max() <= filtering._SMALL_CLASS_ROWS

    def issues(pred_probs: np.ndarray = probs, **settings: int) -> np.ndarray:
        for name, value in settings.items():
            monkeypatch.setattr(filtering, name, value)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return find_label_issues(case.labels, pred_probs, frac_noise=0.8)

    together = issues()
    column_major = issues(np.asfortranarray(probs))
    in_small_batches = issues(_SMALL_CLASS_BATCH_ELEMENTS=500)
    per_class = issues(_SMALL_CLASS_ROWS=0)
    assert together.sum() > 100
    np.testing.assert_array_equal(together, column_major)
    np.testing.assert_array_equal(together, in_small_batches)
    np.testing.assert_array_equal(together, per_class)
