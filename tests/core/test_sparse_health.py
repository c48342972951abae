"""The sparse path (many classes, core/sparse.py) gives the dense path's numbers, bit for bit.

The sparse path is forced on small random inputs (ties from rounded probabilities, empty
classes, more classes than rows), with tiny blocks so that numpy's pairwise recursion and the
batches of dense rows are exercised; everything is compared with ``==``, not a tolerance.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from labelaudit.core import counting, sparse
from labelaudit.core.counting import compute_label_stats
from labelaudit.core.health import health_report, top_confusions
from labelaudit.core.sparse import SparseMatrix, _pairwise_total


def random_case(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities of a random size, with the awkward cases in turn."""
    rng = np.random.default_rng(seed)
    n_classes = int(rng.integers(2, 70))
    n_rows = int(rng.integers(1, 30)) if seed % 5 == 0 else int(rng.integers(1, 500))  # K > N
    alpha = float(rng.choice([0.05, 0.3, 1.0]))
    probs = rng.dirichlet(np.full(n_classes, alpha), size=n_rows)
    if seed % 2 == 0:  # coarse probabilities: many exact ties
        probs = np.round(probs, 1) + 1e-3
        probs /= probs.sum(axis=1, keepdims=True)
    labels = probs.argmax(axis=1)
    noisy = rng.random(n_rows) < 0.4
    labels[noisy] = rng.integers(0, n_classes, int(noisy.sum()))
    if seed % 3 == 0:  # an empty class
        labels[labels == 0] = 1 % n_classes
    return labels, probs


def both_paths(labels: np.ndarray, probs: np.ndarray, monkeypatch: pytest.MonkeyPatch):
    """(dense stats, dense report, sparse stats, sparse report) of the same inputs."""
    monkeypatch.setattr(counting, "use_sparse", lambda n_rows, n_classes: False)
    dense = compute_label_stats(labels, probs)
    dense_report = health_report(labels, probs, stats=dense)
    monkeypatch.setattr(counting, "use_sparse", lambda n_rows, n_classes: True)
    held = compute_label_stats(labels, probs)
    held_report = health_report(labels, probs, stats=held)
    assert isinstance(held.calibrated_joint, SparseMatrix)
    assert isinstance(held_report.noise_matrix, SparseMatrix)
    return dense, dense_report, held, held_report


@pytest.mark.parametrize("seed", range(40))
def test_sparse_equals_dense(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sparse, "PAIRWISE_BLOCK", 128)  # numpy's own leaf size: deep recursion
    monkeypatch.setattr(sparse, "ROW_BATCH_CELLS", 64)  # a few rows per dense batch
    labels, probs = random_case(seed)
    dense, dense_report, held, held_report = both_paths(labels, probs, monkeypatch)
    assert np.array_equal(np.asarray(held.confident_joint), dense.confident_joint)
    assert np.array_equal(np.asarray(held.calibrated_joint), dense.calibrated_joint)
    assert held.num_label_issues == dense.num_label_issues
    assert held_report.classes == dense_report.classes  # floats compared with ==
    assert held_report.overlapping_classes == dense_report.overlapping_classes
    assert np.array_equal(np.asarray(held_report.joint), dense_report.joint)
    assert np.array_equal(np.asarray(held_report.noise_matrix), dense_report.noise_matrix)
    for top in (0, 3, 10**6):
        assert top_confusions(held_report.noise_matrix, top) == top_confusions(
            dense_report.noise_matrix, top
        )


@pytest.mark.parametrize("top", [None, 0, 2, 50])
def test_top_pairs_and_skipped_zeros_match(top: int | None, monkeypatch: pytest.MonkeyPatch):
    labels, probs = random_case(7)
    monkeypatch.setattr(counting, "use_sparse", lambda n_rows, n_classes: True)
    held = compute_label_stats(labels, probs)
    monkeypatch.setattr(counting, "use_sparse", lambda n_rows, n_classes: False)
    dense = compute_label_stats(labels, probs)
    for skip in (False, True):
        listed = health_report(labels, probs, stats=held, top_pairs=top, skip_zero_pairs=skip)
        expected = health_report(labels, probs, stats=dense, top_pairs=top, skip_zero_pairs=skip)
        assert listed.overlapping_classes == expected.overlapping_classes
        if skip:
            assert all(o.joint_probability > 0 for o in listed.overlapping_classes)


def test_pairwise_total_is_numpys_sum() -> None:
    rng = np.random.default_rng(0)
    for n in (1, 7, 8, 129, 1000, 5000):
        values = np.where(rng.random(n) < 0.2, rng.random(n) * 10.0 ** rng.integers(-3, 6, n), 0)
        positions = np.flatnonzero(values)
        for block in (128, 256, 1 << 20):
            old = sparse.PAIRWISE_BLOCK
            sparse.PAIRWISE_BLOCK = block
            try:
                total = _pairwise_total(positions, values[positions], 0, n)
            finally:
                sparse.PAIRWISE_BLOCK = old
            assert total == float(np.sum(values))


def test_many_classes_take_the_sparse_path_and_match_dense(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At 1,100 classes and 60 rows the real switch picks the sparse path; dense agrees."""
    rng = np.random.default_rng(11)
    n_classes, n_rows = 1_100, 60
    probs = rng.dirichlet(np.full(n_classes, 0.02), size=n_rows)
    labels = probs.argmax(axis=1)
    labels[::3] = rng.integers(0, n_classes, labels[::3].size)
    held = compute_label_stats(labels, probs)
    assert isinstance(held.calibrated_joint, SparseMatrix)
    assert held.calibrated_joint.values.size <= n_rows + n_classes
    held_report = health_report(labels, probs, stats=held, top_pairs=20)
    monkeypatch.setattr(counting, "use_sparse", lambda n_rows, n_classes: False)
    dense = compute_label_stats(labels, probs)
    dense_report = health_report(labels, probs, stats=dense, top_pairs=20)
    assert np.array_equal(np.asarray(held.calibrated_joint), dense.calibrated_joint)
    assert held_report.classes == dense_report.classes
    assert held_report.overlapping_classes == dense_report.overlapping_classes


def test_sparse_calibration_matches_cleanlab(monkeypatch: pytest.MonkeyPatch) -> None:
    count = pytest.importorskip("cleanlab.count")
    monkeypatch.setattr(counting, "use_sparse", lambda n_rows, n_classes: True)
    for seed in (1, 4, 14, 16, 28):  # every class present, as cleanlab wants
        labels, probs = random_case(seed)
        assert np.bincount(labels, minlength=probs.shape[1]).min() > 0
        held = compute_label_stats(labels, probs)
        expected = count.compute_confident_joint(labels, probs)
        assert np.array_equal(np.asarray(held.calibrated_joint), expected)


@pytest.mark.parametrize("seed", range(0, 40, 3))
def test_find_issues_sparse_equals_dense(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Prune counts and every filter's rows, with the sparse joint (core/sparse.py)."""
    from labelaudit.core.filtering import FILTERS, find_label_issues, prune_count_matrix

    monkeypatch.setattr(sparse, "ROW_BATCH_CELLS", 64)
    labels, probs = random_case(seed)
    dense, _, held, _ = both_paths(labels, probs, monkeypatch)
    for frac_noise, minimum in ((1.0, 1), (0.5, 1), (0.73, 3)):
        expected = prune_count_matrix(
            dense.calibrated_joint, dense.class_counts, frac_noise=frac_noise,
            min_examples_per_class=minimum,
        )  # fmt: skip
        counts = prune_count_matrix(
            held.calibrated_joint, held.class_counts, frac_noise=frac_noise,
            min_examples_per_class=minimum,
        )  # fmt: skip
        assert isinstance(counts, SparseMatrix)
        assert np.array_equal(np.asarray(counts), expected)
    for filter_by in FILTERS:
        with warnings.catch_warnings():  # small classes: the same warning on both paths
            warnings.simplefilter("ignore")
            expected_mask = find_label_issues(labels, probs, filter_by=filter_by, stats=dense)
            mask = find_label_issues(labels, probs, filter_by=filter_by, stats=held)
        assert np.array_equal(mask, expected_mask), filter_by


def test_find_issues_large_classes_sparse_equals_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    """Classes of more than 2,048 rows are pruned class by class: column reads of the counts."""
    from labelaudit.core.filtering import find_label_issues

    rng = np.random.default_rng(5)
    probs = rng.dirichlet(np.full(6, 0.4), size=9_000)
    labels = probs.argmax(axis=1)
    flipped = rng.random(9_000) < 0.25
    labels[flipped] = rng.integers(0, 6, int(flipped.sum()))
    dense, _, held, _ = both_paths(labels, probs, monkeypatch)
    for filter_by in ("prune_by_noise_rate", "both"):
        expected = find_label_issues(labels, probs, filter_by=filter_by, stats=dense)
        assert np.array_equal(find_label_issues(labels, probs, filter_by=filter_by, stats=held),
                              expected)  # fmt: skip
