"""Property-based tests (hypothesis) and input checks of the multi-label core."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labelaudit.core import FILTERS, SCORE_METHODS
from labelaudit.core.multilabel import (
    AGGREGATORS,
    exponential_moving_average,
    find_multilabel_issues,
    multilabel_confident_joint,
    multilabel_health,
    multilabel_quality_scores,
    softmin,
    validate_multilabel,
)
from tests.core.test_multilabel_datasets import synthetic_multilabel

pytestmark = pytest.mark.filterwarnings("ignore")

# derandomize: the same examples every run, so a failure is reproducible, not flaky.
PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def multilabel_datasets(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n_classes = draw(st.integers(1, 8))
    n_rows = draw(st.integers(20, 300))
    case = synthetic_multilabel(
        n_rows,
        n_classes,
        draw(st.integers(0, 2**31 - 1)),
        draw(st.sampled_from([np.float64, np.float32])),
        separation=draw(st.floats(0.0, 5.0)),
        noise=draw(st.floats(0.0, 0.4)),
        empty_fraction=draw(st.floats(0.0, 0.6)),
    )
    return case.labels, case.pred_probs


@PROPERTY_SETTINGS
@given(multilabel_datasets(), st.sampled_from(SCORE_METHODS), st.sampled_from(AGGREGATORS))
def test_scores_lie_in_unit_interval(data, method: str, aggregator: str) -> None:
    labels, probs = data
    scores, per_class = multilabel_quality_scores(
        labels, probs, method=method, aggregator=aggregator, return_per_class=True
    )
    assert scores.shape == (labels.shape[0],) and per_class.shape == labels.shape
    assert np.all((scores >= 0) & (scores <= 1))
    assert np.all((per_class >= 0) & (per_class <= 1))
    # Both aggregators are a weighted mean of the row's scores: between its min and max.
    assert np.all(scores >= per_class.min(axis=1) - 1e-12)
    assert np.all(scores <= per_class.max(axis=1) + 1e-12)


@PROPERTY_SETTINGS
@given(multilabel_datasets(), st.sampled_from(FILTERS))
def test_confident_correct_model_flags_nothing(data, filter_by: str) -> None:
    labels, probs = data
    perfect = labels.astype(probs.dtype)  # p = 1 for every given tag, 0 for every other
    mask, per_class = find_multilabel_issues(
        labels, perfect, filter_by=filter_by, return_per_class=True
    )
    assert not mask.any() and not per_class.any()
    np.testing.assert_allclose(multilabel_quality_scores(labels, perfect), 1.0, rtol=0, atol=1e-12)
    assert multilabel_health(labels, perfect).health_score == 1.0


@PROPERTY_SETTINGS
@given(multilabel_datasets(), st.sampled_from(FILTERS), st.integers(0, 2**31 - 1))
def test_permuting_rows_permutes_results(data, filter_by: str, seed: int) -> None:
    labels, probs = data
    order = np.random.default_rng(seed).permutation(labels.shape[0])
    mask, per_class = find_multilabel_issues(
        labels, probs, filter_by=filter_by, return_per_class=True
    )
    mask_p, per_class_p = find_multilabel_issues(
        labels[order], probs[order], filter_by=filter_by, return_per_class=True
    )
    np.testing.assert_array_equal(mask_p, mask[order])
    np.testing.assert_array_equal(per_class_p, per_class[order])
    scores = multilabel_quality_scores(labels, probs)
    np.testing.assert_array_equal(
        multilabel_quality_scores(labels[order], probs[order]), scores[order]
    )


@PROPERTY_SETTINGS
@given(multilabel_datasets(), st.sampled_from(FILTERS), st.integers(0, 2**31 - 1))
def test_permuting_classes_permutes_per_class_results(data, filter_by: str, seed: int) -> None:
    labels, probs = data
    order = np.random.default_rng(seed).permutation(labels.shape[1])
    mask, per_class = find_multilabel_issues(
        labels, probs, filter_by=filter_by, return_per_class=True
    )
    mask_p, per_class_p = find_multilabel_issues(
        labels[:, order], probs[:, order], filter_by=filter_by, return_per_class=True
    )
    np.testing.assert_array_equal(mask_p, mask)
    np.testing.assert_array_equal(per_class_p, per_class[:, order])
    joint = multilabel_confident_joint(labels, probs)
    np.testing.assert_array_equal(
        multilabel_confident_joint(labels[:, order], probs[:, order]), joint[order]
    )


@PROPERTY_SETTINGS
@given(multilabel_datasets())
def test_joints_sum_to_n_and_health_counts_agree(data) -> None:
    labels, probs = data
    joint = multilabel_confident_joint(labels, probs)
    assert joint.shape == (labels.shape[1], 2, 2)
    np.testing.assert_array_equal(joint.sum(axis=(1, 2)), labels.shape[0])
    np.testing.assert_array_equal(joint.sum(axis=2)[:, 1], labels.sum(axis=0))
    health = multilabel_health(labels, probs)
    mask = find_multilabel_issues(labels, probs)
    assert health.n_label_issues == mask.sum()
    assert health.health_score == 1 - mask.sum() / labels.shape[0]
    assert len(health.common_issues) == 2 * labels.shape[1]
    probabilities = [issue.issue_probability for issue in health.common_issues]
    assert probabilities == sorted(probabilities, reverse=True)
    qualities = [c.label_quality for c in health.classes]
    assert qualities == sorted(qualities)


@PROPERTY_SETTINGS
@given(multilabel_datasets())
def test_both_is_within_each_pruning_filter(data) -> None:
    labels, probs = data
    both = find_multilabel_issues(labels, probs, filter_by="both", return_per_class=True)[1]
    for part in ("prune_by_noise_rate", "prune_by_class"):
        per_class = find_multilabel_issues(labels, probs, filter_by=part, return_per_class=True)[1]
        assert not (both & ~per_class).any()


def test_aggregators_on_known_values() -> None:
    scores = np.array([[0.1, 0.2, 0.3], [0.5, 0.5, 0.5]])
    # Descending 0.3, 0.2, 0.1: EMA = 0.5 * 0.1 + 0.5 * (0.5 * 0.2 + 0.5 * 0.3) = 0.175.
    np.testing.assert_allclose(exponential_moving_average(scores, 0.5), [0.175, 0.5])
    np.testing.assert_allclose(exponential_moving_average(scores, 1.0), [0.1, 0.5])
    np.testing.assert_allclose(exponential_moving_average(scores, 0.0), [0.3, 0.5])
    np.testing.assert_allclose(exponential_moving_average(scores, None), [0.175, 0.5])  # 2/(K+1)
    weights = np.exp([9.0, 8.0, 7.0]) / np.exp([9.0, 8.0, 7.0]).sum()
    np.testing.assert_allclose(softmin(scores, 0.1), [weights @ [0.1, 0.2, 0.3], 0.5])
    assert np.isfinite(softmin(np.array([[0.0, 1.0]]), 1e-6)).all()  # no overflow


BAD_INPUTS = [
    pytest.param(np.zeros((3, 2), int), np.zeros((3, 3)), "shaped like", id="shape-mismatch"),
    pytest.param(np.zeros(3, int), np.zeros((3, 1)), "shaped like", id="labels-1d"),
    pytest.param(np.zeros((3, 2)), np.zeros((3, 2)), "dtype float64", id="labels-float"),
    pytest.param(
        np.array([[0, 1], [1, 2], [0, 0]]), np.zeros((3, 2)), "row 1, column 1 holds 2", id="two"
    ),
    pytest.param(np.zeros((3, 2), int), np.zeros((3, 2), np.float16), "float16", id="float16"),
    pytest.param(np.zeros((0, 2), int), np.zeros((0, 2)), "at least one row", id="no-rows"),
    pytest.param(
        np.zeros((3, 2), int),
        np.array([[0.1, 0.2], [0.3, np.nan], [0.5, 0.6]]),
        "row 1, column 1 is NaN",
        id="nan",
    ),
    pytest.param(
        np.zeros((3, 2), int),
        np.array([[0.1, 0.2], [0.3, 0.4], [-0.01, 1.5]]),
        "row 2, column 0 holds -0.01",
        id="negative",
    ),
    pytest.param(
        np.zeros((3, 2), int),
        np.array([[0.1, 0.2], [0.3, 1.0000001], [0.5, 0.6]], np.float32),
        "row 1, column 1 holds 1.0",
        id="above-one-float32",
    ),
]


@pytest.mark.parametrize(("labels", "probs", "message"), BAD_INPUTS)
def test_validate_names_the_problem(labels, probs, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        validate_multilabel(labels, probs)


def test_validate_accepts_good_input_and_public_functions_check_labels() -> None:
    case = synthetic_multilabel(200, 3, 0, bool_labels=True)
    validate_multilabel(case.labels, case.pred_probs)
    validate_multilabel(case.labels.astype(np.uint8), case.pred_probs.astype(np.float32))
    bad = case.labels.astype(int)
    bad[5, 2] = 3
    for function in (find_multilabel_issues, multilabel_quality_scores, multilabel_health):
        with pytest.raises(ValueError, match="row 5, column 2 holds 3"):
            function(bad, case.pred_probs)
    with pytest.raises(ValueError, match="filter_by"):
        find_multilabel_issues(case.labels, case.pred_probs, filter_by="nope")
    with pytest.raises(ValueError, match="aggregator"):
        multilabel_quality_scores(case.labels, case.pred_probs, aggregator="mean")
    with pytest.raises(ValueError, match="alpha"):
        multilabel_quality_scores(case.labels, case.pred_probs, alpha=1.5)
    with pytest.raises(ValueError, match="temperature"):
        multilabel_quality_scores(case.labels, case.pred_probs, aggregator="softmin", temperature=0)
