"""The one place labelaudit uses a private scikit-learn API.

``BaseEstimator._validate_params`` checks constructor parameters against the estimator's
``_parameter_constraints`` (types and ranges) without fitting, so a bad ``--model-params`` fails
in a second instead of after the first fold. It is private, so a test
(``tests/predict/test_sklearn_adapter.py``) fails loudly if a release removes or renames it.
"""

from __future__ import annotations

from typing import Any


def has_parameter_validation(estimator: Any) -> bool:
    """Whether *estimator* declares scikit-learn's parameter constraints."""
    return hasattr(estimator, "_parameter_constraints") and hasattr(estimator, "_validate_params")


def validate_estimator_params(estimator: Any) -> None:
    """Run scikit-learn's own parameter check, where the estimator has one.

    Raises
    ------
    ValueError, TypeError
        As scikit-learn raises them (``InvalidParameterError`` is a ``ValueError``).
    """
    if has_parameter_validation(estimator):
        estimator._validate_params()
