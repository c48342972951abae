"""The private scikit-learn API labelaudit uses still exists and still rejects bad parameters.

If this fails after a scikit-learn upgrade, update ``labelaudit/predict/_sklearn.py``.
"""

from __future__ import annotations

import pytest
from sklearn.linear_model import LogisticRegression

from labelaudit.predict._sklearn import has_parameter_validation, validate_estimator_params


def test_scikit_learn_still_validates_parameters_without_fitting() -> None:
    estimator = LogisticRegression()
    assert has_parameter_validation(estimator), "BaseEstimator._validate_params is gone"
    estimator.set_params(C=-1.0)
    with pytest.raises(ValueError, match="C"):
        validate_estimator_params(estimator)


def test_an_estimator_without_constraints_is_left_alone() -> None:
    class Plain:
        pass

    validate_estimator_params(Plain())
