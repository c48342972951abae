"""Property-based tests (hypothesis) of the core's invariants."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from labelaudit.core import (
    FILTERS,
    SCORE_METHODS,
    compute_label_stats,
    estimate_joint,
    find_label_issues,
    label_quality_scores,
)
from tests.core.datasets import synthetic

# derandomize: CI runs the same examples every time, so a failure is reproducible, not flaky.
PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@st.composite
def noisy_datasets(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n_classes = draw(st.integers(2, 12))
    n_rows = draw(st.integers(n_classes, 400))
    noise = draw(st.floats(0.0, 0.8))
    separation = draw(st.floats(0.0, 6.0))
    seed = draw(st.integers(0, 2**31 - 1))
    case = synthetic(n_rows, n_classes, noise, seed, separation=separation)
    return case.labels, case.pred_probs


def _quiet_find(labels: np.ndarray, probs: np.ndarray, **kwargs: object) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return find_label_issues(labels, probs, **kwargs)


@PROPERTY_SETTINGS
@given(noisy_datasets())
def test_joint_sums_to_one_and_calibrated_rows_sum_to_class_counts(data) -> None:
    labels, probs = data
    stats = compute_label_stats(labels, probs)
    assert np.isclose(estimate_joint(stats.calibrated_joint).sum(), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(stats.calibrated_joint.sum(axis=1), stats.class_counts)
    assert (stats.confident_joint.diagonal() >= 1).all()


@PROPERTY_SETTINGS
@given(noisy_datasets())
def test_both_is_a_subset_of_each_part(data) -> None:
    labels, probs = data
    stats = compute_label_stats(labels, probs)
    both = _quiet_find(labels, probs, filter_by="both", stats=stats)
    by_noise_rate = _quiet_find(labels, probs, filter_by="prune_by_noise_rate", stats=stats)
    by_class = _quiet_find(labels, probs, filter_by="prune_by_class", stats=stats)
    assert not (both & ~by_noise_rate).any()
    assert not (both & ~by_class).any()


@PROPERTY_SETTINGS
@given(noisy_datasets())
def test_flagged_rows_never_have_their_given_label_as_argmax(data) -> None:
    labels, probs = data
    stats = compute_label_stats(labels, probs)
    argmax = probs.argmax(axis=1)
    for filter_by in FILTERS:
        if filter_by.startswith("low_"):
            continue
        mask = _quiet_find(labels, probs, filter_by=filter_by, stats=stats)
        assert not (mask & (argmax == labels)).any(), filter_by


@PROPERTY_SETTINGS
@given(noisy_datasets(), st.integers(0, 2**31 - 1))
def test_permuting_rows_permutes_every_result(data, seed: int) -> None:
    labels, probs = data
    permutation = np.random.default_rng(seed).permutation(labels.shape[0])
    stats = compute_label_stats(labels, probs)
    permuted_stats = compute_label_stats(labels[permutation], probs[permutation])
    np.testing.assert_array_equal(stats.calibrated_joint, permuted_stats.calibrated_joint)
    assert stats.num_label_issues == permuted_stats.num_label_issues
    for filter_by in FILTERS:
        mask = _quiet_find(labels, probs, filter_by=filter_by)
        permuted = _quiet_find(labels[permutation], probs[permutation], filter_by=filter_by)
        np.testing.assert_array_equal(mask[permutation], permuted, err_msg=filter_by)
    for method in SCORE_METHODS:
        scores = label_quality_scores(labels, probs, method=method)
        permuted = label_quality_scores(labels[permutation], probs[permutation], method=method)
        np.testing.assert_array_equal(scores[permutation], permuted)


def _near_a_decision(labels: np.ndarray, probs: np.ndarray, thresholds: np.ndarray) -> bool:
    """Whether float32 rounding could flip a decision: a value within 1e-6 of its class's
    cut-off, a reduce-step comparison within 1e-6, or two margins of a class within 1e-6."""
    tolerance = 1e-6
    if (np.abs(probs - (thresholds - 1e-6)) < tolerance).any():
        return True
    rows = np.arange(labels.shape[0])
    others = probs.copy()
    others[rows, labels] = -np.inf
    if (np.abs(probs[rows, labels] + 1e-6 - others.max(axis=1)) < tolerance).any():
        return True
    margins = probs - probs[rows, labels][:, None]
    for k in np.unique(labels):
        others = np.arange(probs.shape[1]) != k  # a class's margin to itself is always 0
        column_sorted = np.sort(margins[labels == k][:, others], axis=0)
        if (np.diff(column_sorted, axis=0) < tolerance).any():
            return True
    return False


@PROPERTY_SETTINGS
@given(noisy_datasets())
def test_results_do_not_depend_on_dtype(data) -> None:
    labels, probs64 = data
    # The same values in both dtypes, so only arithmetic precision differs.
    probs32 = probs64.astype(np.float32)
    probs64 = probs32.astype(np.float64)
    stats32 = compute_label_stats(labels, probs32)
    stats64 = compute_label_stats(labels, probs64)
    # Thresholds are means in the input dtype, as the reference computes them.
    np.testing.assert_allclose(stats32.thresholds, stats64.thresholds, rtol=1e-6, atol=0)
    assume(not _near_a_decision(labels, probs64, stats64.thresholds))
    np.testing.assert_array_equal(stats32.confident_joint, stats64.confident_joint)
    np.testing.assert_array_equal(stats32.calibrated_joint, stats64.calibrated_joint)
    assert stats32.num_label_issues == stats64.num_label_issues
    for filter_by in FILTERS:
        np.testing.assert_array_equal(
            _quiet_find(labels, probs32, filter_by=filter_by),
            _quiet_find(labels, probs64, filter_by=filter_by),
            err_msg=filter_by,
        )
    for method in SCORE_METHODS:
        np.testing.assert_allclose(
            label_quality_scores(labels, probs32, method=method),
            label_quality_scores(labels, probs64, method=method),
            rtol=0,
            atol=1e-6,
        )


@PROPERTY_SETTINGS
@given(noisy_datasets())
def test_scores_lie_in_unit_interval(data) -> None:
    labels, probs = data
    for method in SCORE_METHODS:
        scores = label_quality_scores(labels, probs, method=method)
        assert np.isfinite(scores).all()
        assert (scores >= 0).all() and (scores <= 1 + 1e-12).all(), method


def _round_rows_by_full_argsort(matrix: np.ndarray) -> np.ndarray:
    """Reference: the rounding rule written directly with full argsorts, one row at a time."""
    rounded = np.round(matrix)
    for row in range(matrix.shape[0]):
        difference = int(np.round(matrix[row].sum()) - rounded[row].sum())
        order = np.argsort(matrix[row] - rounded[row])
        if difference > 0:
            rounded[row, order[-difference:]] += 1
        elif difference < 0:
            rounded[row, order[:-difference]] -= 1
    return rounded.astype(np.int64)


@PROPERTY_SETTINGS
@given(st.integers(0, 2**31 - 1), st.integers(2, 60), st.floats(0.05, 0.9))
def test_row_rounding_matches_full_argsort_reference(seed: int, n_classes: int, density: float):
    from labelaudit.core.counting import round_preserving_row_totals

    rng = np.random.default_rng(seed)
    # Small integer counts, many zeros and repeats, scaled by per-row factors: many exact ties.
    counts = rng.integers(0, 5, (n_classes, n_classes)) * (
        rng.random((n_classes, n_classes)) < density
    )
    matrix = counts * rng.choice([1 / 3, 0.7, 1.25, 2.5], size=(n_classes, 1))
    np.testing.assert_array_equal(
        round_preserving_row_totals(matrix), _round_rows_by_full_argsort(matrix)
    )
