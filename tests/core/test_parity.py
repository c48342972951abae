"""Parity with the reference implementation, cleanlab 2.9.0, used only as a black-box oracle.

For the same inputs, masks and ranked orders must be equal (orders may differ only inside
groups of exactly tied scores), scores within 1e-9 on float64 (1e-6 on float32), and the health
numbers equal.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from labelaudit.core import (
    FILTERS,
    SCORE_METHODS,
    compute_label_stats,
    ensemble_label_quality_scores,
    find_label_issues,
    health_report,
    label_quality_scores,
    noise_matrices,
    order_label_issues,
)
from tests.core.datasets import Case, real_dataset, synthetic

cleanlab_count = pytest.importorskip("cleanlab.count")
cleanlab_filter = pytest.importorskip("cleanlab.filter")
cleanlab_rank = pytest.importorskip("cleanlab.rank")
cleanlab_dataset = pytest.importorskip("cleanlab.dataset")

pytestmark = pytest.mark.filterwarnings("ignore")

PRUNING_FILTERS = ("prune_by_noise_rate", "prune_by_class", "both")


def _synthetic_grid() -> list[Case]:
    cases = []
    for n_classes, n_rows in ((2, 400), (3, 900), (10, 2500), (50, 4000)):
        for dtype in (np.float64, np.float32):
            for noise, separation in (("near-perfect", 6.0), ("moderate", 2.5), ("noisy", 1.0)):
                fraction = {"near-perfect": 0.01, "moderate": 0.2, "noisy": 0.6}[noise]
                cases.append(
                    synthetic(
                        n_rows,
                        n_classes,
                        fraction,
                        seed=n_classes,
                        dtype=dtype,
                        separation=separation,
                    )
                )
    cases.append(synthetic(1500, 10, 0.2, seed=1, absent_class=3))
    cases.append(synthetic(1500, 10, 0.2, seed=2, dtype=np.float32, absent_class=0))
    cases.append(synthetic(1500, 5, 0.2, seed=3, tiny_class=2, tiny_rows=3))
    cases.append(synthetic(1500, 5, 0.2, seed=4, tiny_class=4, tiny_rows=1))
    return cases


SYNTHETIC = _synthetic_grid()
REAL = ("digits-logistic", "wine-logistic", "digits-knn")


def _real(name: str) -> Case:
    dataset, model = name.split("-")
    return real_dataset(dataset, model)


def _all_cases() -> list[pytest.param]:
    params = [pytest.param(case, id=case.name) for case in SYNTHETIC]
    params += [pytest.param(name, id=name) for name in REAL]
    return params


@pytest.fixture(params=_all_cases())
def case(request: pytest.FixtureRequest) -> Case:
    value = request.param
    return _real(value) if isinstance(value, str) else value


def _score_tolerance(case: Case) -> float:
    return 1e-9 if case.pred_probs.dtype == np.float64 else 1e-6


def assert_same_ranking(expected: np.ndarray, actual: np.ndarray, scores: np.ndarray) -> None:
    """Equal orders, except that rows with exactly equal scores may swap places."""
    assert expected.shape == actual.shape
    assert set(expected.tolist()) == set(actual.tolist())
    np.testing.assert_array_equal(scores[expected], scores[actual])


def test_confident_joint_and_counts(case: Case) -> None:
    stats = compute_label_stats(case.labels, case.pred_probs)
    raw = cleanlab_count.compute_confident_joint(case.labels, case.pred_probs, calibrate=False)
    calibrated = cleanlab_count.compute_confident_joint(case.labels, case.pred_probs)
    np.testing.assert_array_equal(
        stats.thresholds, cleanlab_count.get_confident_thresholds(case.labels, case.pred_probs)
    )
    np.testing.assert_array_equal(stats.confident_joint, raw)
    np.testing.assert_array_equal(stats.calibrated_joint, calibrated)
    assert stats.num_label_issues == cleanlab_count.num_label_issues(case.labels, case.pred_probs)


def test_joint_and_noise_matrices(case: Case) -> None:
    stats = compute_label_stats(case.labels, case.pred_probs)
    report = health_report(case.labels, case.pred_probs, stats=stats)
    expected_joint = cleanlab_count.estimate_joint(case.labels, case.pred_probs)
    np.testing.assert_allclose(report.joint, expected_joint, rtol=0, atol=1e-15)
    prior, noise, inverse = cleanlab_count.estimate_latent(
        cleanlab_count.compute_confident_joint(case.labels, case.pred_probs), case.labels
    )
    my_noise, my_inverse, my_prior = noise_matrices(stats.calibrated_joint)
    np.testing.assert_allclose(my_noise, noise, rtol=0, atol=1e-12)
    np.testing.assert_allclose(my_inverse, inverse, rtol=0, atol=1e-12)
    np.testing.assert_allclose(my_prior, prior, rtol=0, atol=1e-12)


@pytest.mark.parametrize("filter_by", FILTERS)
def test_find_label_issues_masks(case: Case, filter_by: str) -> None:
    settings = [(1, 1.0)]
    if filter_by in PRUNING_FILTERS:
        settings = [(1, 1.0), (5, 1.0), (1, 0.5), (5, 0.5)]
    stats = compute_label_stats(case.labels, case.pred_probs)
    for min_examples_per_class, frac_noise in settings:
        expected = cleanlab_filter.find_label_issues(
            case.labels,
            case.pred_probs,
            filter_by=filter_by,
            min_examples_per_class=min_examples_per_class,
            frac_noise=frac_noise,
            n_jobs=1,
        )
        actual = find_label_issues(
            case.labels,
            case.pred_probs,
            filter_by=filter_by,
            min_examples_per_class=min_examples_per_class,
            frac_noise=frac_noise,
            stats=stats,
        )
        mismatched = np.flatnonzero(expected != actual)
        assert mismatched.size == 0, (
            f"{filter_by} min_examples={min_examples_per_class} frac_noise={frac_noise}: "
            f"{mismatched.size} rows differ, first {mismatched[:10].tolist()}"
        )


@pytest.mark.parametrize("rank_by", SCORE_METHODS)
def test_ranked_issues(case: Case, rank_by: str) -> None:
    expected = cleanlab_filter.find_label_issues(
        case.labels, case.pred_probs, return_indices_ranked_by=rank_by, n_jobs=1
    )
    scores = label_quality_scores(case.labels, case.pred_probs, method=rank_by)
    actual = order_label_issues(find_label_issues(case.labels, case.pred_probs), scores)
    assert_same_ranking(expected, actual, scores)


SCORE_VARIANTS = [(method, False) for method in SCORE_METHODS] + [
    ("self_confidence", True),
    ("normalized_margin", True),
]  # adjust_pred_probs is not defined for the entropy score


@pytest.mark.parametrize(("method", "adjust"), SCORE_VARIANTS)
def test_label_quality_scores(case: Case, method: str, adjust: bool) -> None:
    expected = cleanlab_rank.get_label_quality_scores(
        case.labels, case.pred_probs, method=method, adjust_pred_probs=adjust
    )
    actual = label_quality_scores(
        case.labels, case.pred_probs, method=method, adjust_pred_probs=adjust
    )
    np.testing.assert_allclose(actual, expected, rtol=0, atol=_score_tolerance(case))


def test_health(case: Case) -> None:
    report = health_report(case.labels, case.pred_probs)
    by_class = cleanlab_dataset.rank_classes_by_label_quality(
        labels=case.labels, pred_probs=case.pred_probs
    ).set_index("Class Index")
    assert [c.class_index for c in report.classes] != [] and len(report.classes) == len(by_class)
    for health in report.classes:
        row = by_class.loc[health.class_index]
        assert health.n_label_issues == row["Label Issues"]
        assert health.n_inverse_label_issues == row["Inverse Label Issues"]
        assert health.label_noise == pytest.approx(row["Label Noise"], abs=1e-12)
        assert health.inverse_label_noise == pytest.approx(row["Inverse Label Noise"], abs=1e-12)
        assert health.label_quality == pytest.approx(row["Label Quality Score"], abs=1e-12)
    qualities = [c.label_quality for c in report.classes]
    assert qualities == sorted(qualities)

    overlaps = cleanlab_dataset.find_overlapping_classes(
        labels=case.labels, pred_probs=case.pred_probs
    )
    expected_pairs = {
        (int(r["Class Index A"]), int(r["Class Index B"])): r for _, r in overlaps.iterrows()
    }
    actual_pairs = {(o.class_a, o.class_b): o for o in report.overlapping_classes}
    nonzero_actual = {k for k, o in actual_pairs.items() if o.joint_probability > 0}
    assert set(expected_pairs) >= nonzero_actual
    for pair, row in expected_pairs.items():
        assert actual_pairs[pair].n_overlapping == row["Num Overlapping Examples"]
        assert actual_pairs[pair].joint_probability == pytest.approx(
            row["Joint Probability"], abs=1e-12
        )
    joint_probabilities = [o.joint_probability for o in report.overlapping_classes]
    assert joint_probabilities == sorted(joint_probabilities, reverse=True)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = cleanlab_dataset.overall_label_health_score(
            case.labels, case.pred_probs, verbose=False
        )
    assert report.health_score == pytest.approx(score, abs=1e-12)
    assert report.n_label_issues == cleanlab_count.num_label_issues(case.labels, case.pred_probs)


@pytest.mark.parametrize("weight_by", ["accuracy", "uniform"])
@pytest.mark.parametrize("method", SCORE_METHODS)
def test_ensemble_scores(method: str, weight_by: str) -> None:
    base = synthetic(1200, 4, 0.2, seed=11)
    members = [base.pred_probs, synthetic(1200, 4, 0.2, seed=12, separation=1.5).pred_probs]
    extra: dict = {"weight_ensemble_members_by": weight_by}
    if weight_by == "uniform":
        extra = {"weight_ensemble_members_by": "custom", "custom_weights": np.array([0.5, 0.5])}
    expected = cleanlab_rank.get_label_quality_ensemble_scores(
        base.labels, members, method=method, verbose=False, **extra
    )
    actual = ensemble_label_quality_scores(base.labels, members, method=method, weight_by=weight_by)
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-9)


def _removal_cases() -> list[tuple[Case, list[int]]]:
    """Synthetic cases with random per-class removal counts."""
    cases = []
    for seed, n_classes in ((0, 3), (1, 5), (2, 10), (3, 20)):
        case = synthetic(3000, n_classes, 0.3, seed=seed)
        rng = np.random.default_rng(seed)
        cases += [(case, rng.integers(0, 60, n_classes).tolist()) for _ in range(3)]
    return cases


def _removal_mismatches(filter_by: str) -> int:
    mismatched = 0
    for case, to_remove in _removal_cases():
        expected = cleanlab_filter.find_label_issues(
            case.labels,
            case.pred_probs,
            filter_by=filter_by,
            num_to_remove_per_class=to_remove,
            n_jobs=1,
        )
        actual = find_label_issues(
            case.labels, case.pred_probs, filter_by=filter_by, num_to_remove_per_class=to_remove
        )
        mismatched += int((expected != actual).sum())
    return mismatched


def test_num_to_remove_per_class_prune_by_class() -> None:
    assert _removal_mismatches("prune_by_class") == 0


@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "both"])
def test_num_to_remove_per_class_pruning_by_noise_rate(filter_by: str) -> None:
    assert _removal_mismatches(filter_by) == 0


def test_float32_row_exactly_at_the_rounded_cutoff() -> None:
    """A float32 probability equal to ``t - 1e-6`` rounded to float32 (but below it in float64).

    Found at 10M rows, where one such row changed the confident joint by one count.
    """
    rng = np.random.default_rng(0)
    for _ in range(10_000):
        threshold = np.float32(rng.uniform(0.3, 0.9))
        cutoff = np.float32(np.float64(threshold) - 1e-6)
        if np.float64(cutoff) < np.float64(threshold) - 1e-6:
            break
    else:
        pytest.fail("no float32 threshold with a cut-off rounded down was found")
    probs = np.array(
        [[threshold, 1 - threshold], [0.1, 0.9], [0.1, 0.9], [cutoff, 1 - cutoff]],
        dtype=np.float32,
    )
    labels = np.array([0, 1, 1, 1])
    stats = compute_label_stats(labels, probs)
    assert stats.thresholds[0] == np.float64(threshold)
    expected = cleanlab_count.compute_confident_joint(labels, probs, calibrate=False)
    np.testing.assert_array_equal(stats.confident_joint, expected)
