"""Multi-label parity with cleanlab 2.9.0's ``multilabel_classification``, a black-box oracle.

For the same inputs: masks (per row and per class) equal, ranked orders equal, scores within
1e-9 on float64 and 1e-6 on float32, health tables equal in content and order.

Why float32 needs 1e-6: the reference computes a float32 input's per-class scores in float32
and returns them rounded to float32 (about 6e-8 relative); the core computes the adjusted and
entropy scores in float64. Measured differences are up to 1.1e-7, none on unadjusted
self-confidence and normalised margin.

Where the reference raises ("Labels must contain at least 2 classes": a class whose tag no row
has, for predicted_neq_given and the per-class low_* masks; a class every row has, for every
filter and the health functions), the test checks that the case has such a class; the core
answers with the single-label filter of that class's binary problem.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cache

import numpy as np
import pytest

from labelaudit.core import FILTERS
from labelaudit.core.multilabel import (
    find_multilabel_issues,
    multilabel_confident_joint,
    multilabel_health,
    multilabel_quality_scores,
    order_multilabel_issues,
)
from tests.core.test_multilabel_datasets import MultilabelCase, digits_tags, synthetic_multilabel

cleanlab_count = pytest.importorskip("cleanlab.count")
ml_filter = pytest.importorskip("cleanlab.multilabel_classification.filter")
ml_rank = pytest.importorskip("cleanlab.multilabel_classification.rank")
ml_dataset = pytest.importorskip("cleanlab.multilabel_classification.dataset")

pytestmark = pytest.mark.filterwarnings("ignore")

PRUNING_FILTERS = ("prune_by_noise_rate", "prune_by_class", "both")

# name -> builder; built lazily and once per worker process.
CASES: dict[str, Callable[[], MultilabelCase]] = {
    "k2-f64": lambda: synthetic_multilabel(600, 2, 0),
    "k2-f32-noisy": lambda: synthetic_multilabel(600, 2, 1, np.float32, separation=1.0),
    "k3-f64-half-empty-rows": lambda: synthetic_multilabel(900, 3, 2, empty_fraction=0.5),
    "k3-f32": lambda: synthetic_multilabel(900, 3, 3, np.float32),
    "k10-f64-rare-1-2-3": lambda: synthetic_multilabel(2000, 10, 4, rare=((0, 1), (1, 2), (2, 3))),
    "k10-f32-rare-1-2": lambda: synthetic_multilabel(
        2000, 10, 5, np.float32, rare=((3, 1), (7, 2))
    ),
    "k10-f64-absent-class": lambda: synthetic_multilabel(1500, 10, 6, rare=((4, 0),)),
    # 6 classes and copies of 4 of them: exact ties between classes and (quantised) rows
    "k10-f64-ties": lambda: synthetic_multilabel(1500, 6, 7, duplicate_columns=4, quantize=0.05),
    "k5-f64-bool-labels": lambda: synthetic_multilabel(800, 5, 8, bool_labels=True),
    "k30-f64": lambda: synthetic_multilabel(1500, 30, 9),
    "k30-f32-rare": lambda: synthetic_multilabel(1200, 30, 10, np.float32, rare=((29, 1),)),
    "digits-tags": lambda: digits_tags()[0],
}


@cache
def _case(name: str) -> MultilabelCase:
    return CASES[name]()


@pytest.fixture(params=[pytest.param(name, id=name) for name in CASES])
def case(request: pytest.FixtureRequest) -> MultilabelCase:
    return _case(request.param)


def _tolerance(case: MultilabelCase) -> float:
    return 1e-9 if case.pred_probs.dtype == np.float64 else 1e-6


def _constant_class(case: MultilabelCase) -> bool:
    """Does some class have its tag in no row, or in every row?"""
    positives = np.count_nonzero(case.labels, axis=0)
    return bool(((positives == 0) | (positives == case.labels.shape[0])).any())


def _reference(call: Callable[[], object], case: MultilabelCase) -> object | None:
    """The reference's answer, or None where it refuses a class with a constant tag."""
    try:
        return call()
    except ValueError as error:
        if "at least 2 classes" not in str(error):
            raise
        assert _constant_class(case), f"reference refused a case without a constant class: {error}"
        return None


def test_confident_joint(case: MultilabelCase) -> None:
    expected = cleanlab_count.compute_confident_joint(
        case.label_lists(), case.pred_probs, multi_label=True
    )
    np.testing.assert_array_equal(
        multilabel_confident_joint(case.labels, case.pred_probs), expected
    )


def _settings(filter_by: str) -> list[tuple[int, float]]:
    """(min_examples_per_class, frac_noise) pairs; the other filters ignore both (checked)."""
    if filter_by in PRUNING_FILTERS:
        return [(1, 1.0), (1, 0.4), (5, 0.5)]
    return [(1, 1.0), (5, 0.5)]


@pytest.mark.parametrize("filter_by", FILTERS)
def test_find_issues_masks(case: MultilabelCase, filter_by: str) -> None:
    labels_list = case.label_lists()
    for min_examples, frac_noise in _settings(filter_by):
        options = {
            "filter_by": filter_by,
            "frac_noise": frac_noise,
            "min_examples_per_class": min_examples,
        }
        expected = _reference(
            lambda o=options: ml_filter.find_label_issues(
                labels_list, case.pred_probs, n_jobs=1, **o
            ),
            case,
        )
        expected_per_class = _reference(
            lambda o=options: np.asarray(
                ml_filter.find_multilabel_issues_per_class(
                    labels_list, case.pred_probs, n_jobs=1, **o
                )
            ),
            case,
        )
        mask, per_class = find_multilabel_issues(
            case.labels, case.pred_probs, return_per_class=True, **options
        )
        assert mask.dtype == np.bool_ and per_class.shape == case.labels.shape
        if expected is not None:
            rows = np.flatnonzero(expected != mask)
            assert rows.size == 0, f"{options}: {rows.size} rows differ, first {rows[:10]}"
        if expected_per_class is not None:
            assert expected_per_class.shape == per_class.shape  # (N, K), not a list of K
            cells = np.argwhere(expected_per_class != per_class)
            assert cells.size == 0, f"{options}: {len(cells)} cells differ, first {cells[:5]}"
        if not filter_by.startswith("low_"):
            np.testing.assert_array_equal(mask, per_class.any(axis=1))


RANK_VARIANTS = [
    pytest.param(method, adjust, id=f"{method}{'-adjusted' if adjust else ''}")
    for method, adjust in (
        ("self_confidence", False),
        ("self_confidence", True),
        ("normalized_margin", False),
        ("normalized_margin", True),
        ("confidence_weighted_entropy", False),
    )
]


@pytest.mark.parametrize(("method", "adjust"), RANK_VARIANTS)
def test_ranked_issues(case: MultilabelCase, method: str, adjust: bool) -> None:
    """Flagged rows ordered by the default-aggregated score of *method*."""
    expected = _reference(
        lambda: ml_filter.find_label_issues(
            case.label_lists(),
            case.pred_probs,
            return_indices_ranked_by=method,
            rank_by_kwargs={"adjust_pred_probs": adjust},
            n_jobs=1,
        ),
        case,
    )
    mask = find_multilabel_issues(case.labels, case.pred_probs)
    scores = multilabel_quality_scores(
        case.labels, case.pred_probs, method=method, adjust_pred_probs=adjust
    )
    actual = order_multilabel_issues(mask, scores)
    if expected is None:
        return
    if case.pred_probs.dtype == np.float32 and adjust:
        # Scores differ from the reference's float32 ones in the last float32 bits, so rows
        # that far apart may swap; the set and the score sequence must still agree.
        assert set(expected.tolist()) == set(actual.tolist())
        np.testing.assert_allclose(scores[expected], scores[actual], rtol=0, atol=1e-6)
    else:
        np.testing.assert_array_equal(actual, expected)


AGGREGATIONS = [
    pytest.param({"method": "exponential_moving_average", "alpha": 0.8}, id="ema-0.8"),
    pytest.param({"method": "exponential_moving_average", "alpha": 0.35}, id="ema-0.35"),
    pytest.param({"method": "exponential_moving_average"}, id="ema-alpha-none"),
    pytest.param({"method": "softmin", "temperature": 0.1}, id="softmin-0.1"),
    pytest.param({"method": "softmin", "temperature": 0.7}, id="softmin-0.7"),
    pytest.param({"method": "softmin", "temperature": 0.003}, id="softmin-0.003"),
]


@pytest.mark.parametrize("aggregation", AGGREGATIONS)
@pytest.mark.parametrize(("method", "adjust"), RANK_VARIANTS)
def test_quality_scores(case: MultilabelCase, method: str, adjust: bool, aggregation) -> None:
    labels_list = case.label_lists()
    expected = ml_rank.get_label_quality_scores(
        labels_list,
        case.pred_probs,
        method=method,
        adjust_pred_probs=adjust,
        aggregator_kwargs=aggregation,
    )
    scores, per_class = multilabel_quality_scores(
        case.labels,
        case.pred_probs,
        method=method,
        adjust_pred_probs=adjust,
        aggregator=aggregation["method"],
        alpha=aggregation.get("alpha"),  # absent: the reference's 2 / (K + 1)
        temperature=aggregation.get("temperature", 0.1),
        return_per_class=True,
    )
    tolerance = _tolerance(case)
    np.testing.assert_allclose(scores, expected, rtol=0, atol=tolerance)
    expected_per_class = np.asarray(
        ml_rank.get_label_quality_scores_per_class(
            labels_list, case.pred_probs, method=method, adjust_pred_probs=adjust
        )
    )
    assert expected_per_class.shape == per_class.shape  # (N, K), not a list of K
    np.testing.assert_allclose(per_class, expected_per_class, rtol=0, atol=tolerance)
    assert np.all((scores >= 0) & (scores <= 1))


# The reference's health functions take no n_jobs and start worker processes per class, about
# 0.3 s per class here: a subset of the grid that still has every kind of case.
HEALTH_CASES = (
    "k2-f64",
    "k3-f64-half-empty-rows",
    "k10-f32-rare-1-2",
    "k10-f64-absent-class",
    "k10-f64-ties",
    "k30-f64",
    "digits-tags",
)


@pytest.mark.parametrize("name", HEALTH_CASES)
def test_health(name: str) -> None:
    case = _case(name)
    summary = _reference(
        lambda: ml_dataset.multilabel_health_summary(
            case.label_lists(), case.pred_probs, verbose=False
        ),
        case,
    )
    health = multilabel_health(case.labels, case.pred_probs)
    if summary is None:
        return
    expected_classes = [
        (int(r[0]), int(r[1]), int(r[2]), float(r[3]), float(r[4]), float(r[5]))
        for r in summary["classes_by_multilabel_quality"].itertuples(index=False)
    ]
    actual_classes = [
        (
            c.class_index,
            c.n_label_issues,
            c.n_inverse_label_issues,
            c.label_noise,
            c.inverse_label_noise,
            c.label_quality,
        )
        for c in health.classes
    ]
    assert actual_classes == expected_classes  # same values, same order (ties included)
    expected_common = [
        (int(r[0]), bool(r[1]), bool(r[2]), int(r[3]), float(r[4]))
        for r in summary["common_multilabel_issues"].itertuples(index=False)
    ]
    actual_common = [
        (i.class_index, i.in_given_label, i.in_suggested_label, i.n_examples, i.issue_probability)
        for i in health.common_issues
    ]
    assert actual_common == expected_common
    assert health.health_score == summary["overall_multilabel_health_score"]
    positives = np.count_nonzero(case.labels, axis=0)
    assert all(c.n_examples == positives[c.class_index] for c in health.classes)


def test_reference_refuses_a_class_every_row_has() -> None:
    """The reference rejects a tag present in every row; the core answers.

    With no row lacking the tag, the binary problem has no "absent" rows, so its threshold is
    the single-label core's 2 for a class without rows: no row is confidently absent and the
    pruning filters flag nothing in that class; predicted_neq_given flags the rows with
    ``p < 0.5``.
    """
    base = synthetic_multilabel(500, 4, 11)
    labels = base.labels.copy()
    labels[:, 2] = 1
    case = MultilabelCase("all-tagged", labels, base.pred_probs)
    with pytest.raises(ValueError, match="at least 2 classes"):
        ml_filter.find_label_issues(case.label_lists(), case.pred_probs, n_jobs=1)
    with pytest.raises(ValueError, match="at least 2 classes"):
        ml_dataset.overall_multilabel_health_score(case.label_lists(), case.pred_probs)
    _, per_class = find_multilabel_issues(labels, case.pred_probs, return_per_class=True)
    assert not per_class[:, 2].any()
    _, per_class = find_multilabel_issues(
        labels, case.pred_probs, filter_by="predicted_neq_given", return_per_class=True
    )
    np.testing.assert_array_equal(per_class[:, 2], case.pred_probs[:, 2] < 0.5)
    assert 0 <= multilabel_health(labels, case.pred_probs).health_score <= 1


@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "confident_learning"])
def test_flags_only_class_with_one_positive_side(filter_by: str) -> None:
    """A class with a single positive can still flag missing tags (rows without it)."""
    case = synthetic_multilabel(1000, 3, 12, rare=((1, 1),))
    expected = np.asarray(
        ml_filter.find_multilabel_issues_per_class(
            case.label_lists(), case.pred_probs, filter_by=filter_by, n_jobs=1
        )
    )
    _, per_class = find_multilabel_issues(
        case.labels, case.pred_probs, filter_by=filter_by, return_per_class=True
    )
    np.testing.assert_array_equal(per_class, expected)
    assert per_class[case.labels[:, 1] == 0, 1].any()


def test_digits_recall_and_precision(capsys: pytest.CaptureFixture[str]) -> None:
    """Injected missing/extra tags on digits: the default filter finds most, mostly right.

    Measured (scikit-learn 1.9.1, 107 of 1797 rows with one flipped tag): rows flagged 106,
    recall 0.776, precision 0.783; per (row, class) cell recall 0.776, precision 0.748.
    Floors sit a little below, for other scikit-learn versions.
    """
    case, flipped = digits_tags()
    mask, per_class = find_multilabel_issues(case.labels, case.pred_probs, return_per_class=True)
    truth = flipped.any(axis=1)
    recall = (mask & truth).sum() / truth.sum()
    precision = (mask & truth).sum() / mask.sum()
    cell_recall = (per_class & flipped).sum() / flipped.sum()
    cell_precision = (per_class & flipped).sum() / per_class.sum()
    with capsys.disabled():
        print(
            f"\ndigits tags: {int(truth.sum())} rows changed, {int(mask.sum())} flagged; "
            f"recall {recall:.3f}, precision {precision:.3f}; per cell recall "
            f"{cell_recall:.3f}, precision {cell_precision:.3f}"
        )
    assert recall >= 0.72 and precision >= 0.72
    assert cell_recall >= 0.70 and cell_precision >= 0.70
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = ml_filter.find_label_issues(case.label_lists(), case.pred_probs, n_jobs=1)
    np.testing.assert_array_equal(mask, expected)
