"""The public Python API validates its inputs (core/validation.py), like scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest

from labelaudit import (
    compute_label_stats,
    ensemble_label_quality_scores,
    find_label_issues,
    health_report,
    label_quality_scores,
)
from labelaudit.core.validation import InvalidProbabilitiesError, check_pred_probs

LABELS = np.array([0, 1, 2, 0, 1, 2])


def good_probs() -> np.ndarray:
    probs = np.full((6, 3), 0.1)
    probs[np.arange(6), LABELS] = 0.8
    return probs


def with_value(row: int, column: int, value: float) -> np.ndarray:
    probs = good_probs()
    probs[row, column] = value
    return probs


PUBLIC_FUNCTIONS = [
    pytest.param(lambda y, p: find_label_issues(y, p), id="find_label_issues"),
    pytest.param(lambda y, p: label_quality_scores(y, p), id="label_quality_scores"),
    pytest.param(lambda y, p: health_report(y, p), id="health_report"),
    pytest.param(lambda y, p: compute_label_stats(y, p), id="compute_label_stats"),
    pytest.param(lambda y, p: ensemble_label_quality_scores(y, [p, p]), id="ensemble"),
]

BAD_INPUTS = [
    pytest.param(LABELS, with_value(3, 1, np.nan), r"row 3, column 1: probability is NaN",
                 id="nan"),
    pytest.param(LABELS, with_value(2, 0, -0.1), r"row 2, column 0: probability is -0.1",
                 id="negative"),
    pytest.param(LABELS, with_value(4, 2, np.inf), r"row 4, column 2: probability is \+infinite",
                 id="infinite"),
    pytest.param(LABELS, with_value(5, 0, 0.5), r"row 5: probabilities sum to 1.4", id="sum"),
    pytest.param(LABELS, good_probs()[:, :1].copy(), r"at least 2 columns", id="one-column"),
    pytest.param(LABELS, good_probs()[:4], r"labels must be 1-D with 4 entries", id="rows"),
    pytest.param(np.array([0, 1, 3, 0, 1, 2]), good_probs(), r"labels must lie in 0..2",
                 id="label-out-of-range"),
    pytest.param(LABELS.astype(float), good_probs(), r"labels must be integers", id="float-labels"),
]  # fmt: skip


@pytest.mark.parametrize("call", PUBLIC_FUNCTIONS)
@pytest.mark.parametrize(("labels", "probs", "message"), BAD_INPUTS)
def test_public_functions_reject_bad_inputs(call, labels, probs, message) -> None:
    with pytest.raises(ValueError, match=message):
        call(labels, probs)


@pytest.mark.parametrize("call", PUBLIC_FUNCTIONS)
def test_public_functions_accept_valid_inputs(call) -> None:
    call(LABELS, good_probs())


def test_assume_valid_skips_the_value_pass() -> None:
    probs = with_value(5, 0, 0.5)  # row 5 sums to 1.4
    with pytest.raises(ValueError):
        find_label_issues(LABELS, probs)
    find_label_issues(LABELS, probs, assume_valid=True)  # the caller vouches for the values


def test_check_pred_probs_reports_the_first_bad_row_in_any_chunk() -> None:
    probs = np.tile(good_probs(), (50, 1))
    probs[211, 2] = np.nan
    probs[250, 0] = 2.0
    with pytest.raises(InvalidProbabilitiesError) as caught:
        check_pred_probs(probs, chunk_rows=16)
    assert (caught.value.row, caught.value.column, caught.value.reason) == (211, 2, "value")


def test_check_pred_probs_normalises_into_a_new_array() -> None:
    probs = good_probs() * 0.5
    fixed = check_pred_probs(probs, normalize=True)
    assert fixed is not probs
    np.testing.assert_allclose(fixed.sum(axis=1), 1.0)
    assert check_pred_probs(good_probs(), normalize=True) is not None
