"""The classifiers ``labelaudit predict`` can fit: short names and importable classifier paths.

Models that accept ``random_state`` get the seed, so the same inputs and seed give the same model.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labelaudit.errors import InputError
from labelaudit.predict._sklearn import validate_estimator_params
from labelaudit.predict.features import brief_listing


def _logistic_regression(seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000, random_state=seed)


def _random_forest(seed: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=200, random_state=seed)


def _extra_trees(seed: int) -> Any:
    from sklearn.ensemble import ExtraTreesClassifier

    return ExtraTreesClassifier(n_estimators=200, random_state=seed)


def _hist_gradient_boosting(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=seed)


def _knn(seed: int) -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=15)


def _naive_bayes(seed: int) -> Any:
    from sklearn.naive_bayes import GaussianNB

    return GaussianNB()


def _mlp(seed: int) -> Any:
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=(100,), max_iter=500, random_state=seed)


#: Short model names and their factories ``seed -> unfitted estimator``.
MODELS: dict[str, Callable[[int], Any]] = {
    "logistic_regression": _logistic_regression,
    "random_forest": _random_forest,
    "extra_trees": _extra_trees,
    "hist_gradient_boosting": _hist_gradient_boosting,
    "knn": _knn,
    "naive_bayes": _naive_bayes,
    "mlp": _mlp,
}


@dataclass(frozen=True)
class ModelChoice:
    """An unfitted estimator, how to describe it, and whether it was wrapped in calibration."""

    estimator: Any
    description: str
    calibrated: bool = False


def _import_classifier(path: str) -> Any:
    """Import ``package.module.Class`` and return the class, or raise :class:`InputError`."""
    unknown = (
        f"unknown model '{path}'. Use one of {', '.join(MODELS)} or an importable classifier "
        "path such as sklearn.svm.SVC."
    )
    module_name, _, attribute = path.rpartition(".")
    if not module_name or not attribute:
        raise InputError(unknown)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"{unknown} (cannot import module '{module_name}': {exc})") from exc
    cls = getattr(module, attribute, None)
    if cls is None:
        raise InputError(f"{unknown} (module '{module_name}' has no '{attribute}')")
    if not isinstance(cls, type):
        raise InputError(f"--model {path}: is not a class.")
    return cls


#: ``--seed`` range: what numpy's and scikit-learn's ``random_state`` accept.
MAX_SEED = 2**32 - 1


def check_seed(seed: int) -> None:
    """Raise :class:`InputError` about ``--seed`` unless it is in ``0..2**32 - 1``."""
    if not 0 <= seed <= MAX_SEED:
        raise InputError(f"--seed must be between 0 and {MAX_SEED}, got {seed}.")


def parse_model_params(params_json: str | None) -> dict[str, Any]:
    """Parse ``--model-params``: a JSON object of constructor parameters (may be empty)."""
    if params_json is None or not params_json.strip():
        return {}
    try:
        params = json.loads(params_json)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"--model-params: invalid JSON ({exc.msg} at character {exc.pos}). "
            "Example: --model-params '{\"C\": 0.5}'"
        ) from exc
    if not isinstance(params, dict):
        raise InputError(
            f"--model-params: expected a JSON object like '{{\"C\": 0.5}}', "
            f"got {type(params).__name__}."
        )
    return params


def build_model(name: str, params_json: str | None = None, seed: int = 0) -> ModelChoice:
    """Build the unfitted classifier for ``--model NAME --model-params JSON``.

    Parameters
    ----------
    name : str
        A short name from :data:`MODELS` or an importable classifier path (``sklearn.svm.SVC``).
    params_json : str or None
        JSON object of constructor parameters; they override the short name's defaults.
    seed : int
        Given as ``random_state`` to models that accept it, unless the parameters set it.

    Returns
    -------
    ModelChoice
        A model without ``predict_proba`` but with ``decision_function`` is wrapped in
        ``CalibratedClassifierCV(..., ensemble=False)`` (sigmoid) and marked ``calibrated``.

    Raises
    ------
    InputError
        A seed outside ``0..2**32 - 1``, unknown model, invalid JSON, an unknown or invalid
        parameter, not a classifier, or a classifier with neither ``predict_proba`` nor
        ``decision_function``.
    """
    check_seed(seed)
    params = parse_model_params(params_json)
    estimator = MODELS[name](seed) if name in MODELS else _instantiate_classifier(name, seed)
    _apply_params(estimator, params, name)
    if hasattr(estimator, "predict_proba"):
        return ModelChoice(estimator, name)
    if hasattr(estimator, "decision_function"):
        from sklearn.calibration import CalibratedClassifierCV

        wrapped = CalibratedClassifierCV(estimator, method="sigmoid", cv=3, ensemble=False)
        return ModelChoice(wrapped, f"{name} (sigmoid-calibrated)", True)
    raise InputError(
        f"--model {name}: has no predict_proba (and no decision_function to calibrate), so it "
        "cannot give probabilities. Choose a probabilistic classifier."
    )


def is_classifier_class(cls: type) -> bool:
    """Whether *cls* declares itself a scikit-learn classifier, judged without creating it.

    ``ClassifierMixin`` (every scikit-learn classifier, and XGBoost's, LightGBM's, ...) or the
    older ``_estimator_type = "classifier"`` class attribute.
    """
    from sklearn.base import ClassifierMixin

    return issubclass(cls, ClassifierMixin) or getattr(cls, "_estimator_type", None) == (
        "classifier"
    )


def _instantiate_classifier(name: str, seed: int) -> Any:
    """Create the importable classifier *name* with no arguments, seeded when it takes a seed.

    The class is checked first: a class that is not a classifier is never called (creating an
    arbitrary class can have effects).
    """
    cls = _import_classifier(name)
    if not is_classifier_class(cls):
        raise InputError(
            f"--model {name}: is not a scikit-learn classifier (not a ClassifierMixin "
            "subclass); use a short name or a classifier class such as sklearn.svm.SVC."
        )
    try:
        estimator = cls()
    except TypeError as exc:
        raise InputError(f"--model {name}: cannot be created without arguments ({exc}).") from exc
    if "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=seed)
    return estimator


def _apply_params(estimator: Any, params: dict[str, Any], name: str) -> None:
    """Set ``--model-params`` on *estimator*, refusing unknown names and invalid values."""
    if not hasattr(estimator, "get_params") or not hasattr(estimator, "set_params"):
        raise InputError(f"--model {name}: is not a scikit-learn estimator (no get/set_params).")
    valid = estimator.get_params(deep=True)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        names = brief_listing(sorted(k for k in valid if "__" not in k), budget=160)
        raise InputError(
            f"--model-params: {brief_listing(unknown)} "
            f"{'is not a parameter' if len(unknown) == 1 else 'are not parameters'} "
            f"of {type(estimator).__name__}. Valid: {names}."
        )
    try:
        estimator.set_params(**params)
        validate_estimator_params(estimator)  # scikit-learn's own type/range check, before fitting
    except (ValueError, TypeError) as exc:
        message = str(exc).strip().splitlines()[0]
        raise InputError(f"--model-params: {message}") from exc
