"""labelaudit.predict.models: the registry of short names, importable classifiers, params."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from labelaudit.errors import InputError
from labelaudit.predict.cross_validation import out_of_fold_probabilities
from labelaudit.predict.models import MODELS, build_model
from tests.messages import whole
from tests.predict.datasets import FAST_PARAMS, blobs, oof


@pytest.mark.parametrize("name", list(MODELS))
def test_every_short_name_gives_out_of_fold_probabilities(name: str) -> None:
    features, labels = blobs()
    probs, classes, metrics = oof(features, labels, name, params=FAST_PARAMS.get(name))
    assert classes == ["cat", "dog", "emu"]
    assert probs.shape == (150, 3)
    assert probs.dtype == np.float64
    assert np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    # Columns follow `classes`: the argmax names the true class on this easy data.
    predicted = np.array(classes)[probs.argmax(axis=1)]
    assert np.mean(predicted == labels.to_numpy()) == pytest.approx(metrics["accuracy"])
    assert metrics["accuracy"] > 0.8 > metrics["baseline_accuracy"]
    assert 0 < metrics["log_loss"] < 1.0


def test_model_params_override_defaults_and_seed_becomes_random_state() -> None:
    assert build_model("logistic_regression", '{"C": 0.25}').estimator.C == 0.25
    assert build_model("random_forest", None, seed=7).estimator.random_state == 7
    assert build_model("random_forest", '{"random_state": 3}', seed=7).estimator.random_state == 3
    tree = build_model("sklearn.tree.DecisionTreeClassifier", '{"max_depth": 2}', seed=5)
    assert tree.estimator.random_state == 5
    assert tree.estimator.max_depth == 2
    assert not tree.calibrated


def test_model_without_predict_proba_is_wrapped_in_calibration() -> None:
    choice = build_model("sklearn.svm.LinearSVC", '{"C": 0.5}')
    assert choice.calibrated
    assert "calibrated" in choice.description
    assert hasattr(choice.estimator, "predict_proba")
    features, labels = blobs()
    probs, _, metrics = out_of_fold_probabilities(features, labels, model=choice.estimator, folds=3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    assert metrics["accuracy"] > 0.8


def test_classifier_with_no_probabilities_at_all_is_an_error(tmp_path, monkeypatch) -> None:
    (tmp_path / "plainmodels.py").write_text(
        textwrap.dedent(
            """
            from sklearn.base import BaseEstimator, ClassifierMixin

            class PlainClassifier(ClassifierMixin, BaseEstimator):
                def fit(self, X, y):
                    return self

                def predict(self, X):
                    return [0] * len(X)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    message = (
        "--model plainmodels.PlainClassifier: has no predict_proba (and no decision_function to "
        "calibrate), so it cannot give probabilities. Choose a probabilistic classifier."
    )
    with pytest.raises(InputError, match=whole(message)):
        build_model("plainmodels.PlainClassifier")


KNOWN_MODELS = (
    "Use one of logistic_regression, random_forest, extra_trees, hist_gradient_boosting, knn, "
    "naive_bayes, mlp or an importable classifier path such as sklearn.svm.SVC."
)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        pytest.param(
            "gradient_boosting_machine",
            None,
            f"unknown model 'gradient_boosting_machine'. {KNOWN_MODELS}",
            id="unknown-short-name",
        ),
        pytest.param(
            "sklearn.svm.NoSuchModel",
            None,
            f"unknown model 'sklearn.svm.NoSuchModel'. {KNOWN_MODELS} (module 'sklearn.svm' has no "
            "'NoSuchModel')",
            id="unknown-class-in-a-module",
        ),
        pytest.param(
            "no_such_package.Model",
            None,
            f"unknown model 'no_such_package.Model'. {KNOWN_MODELS} (cannot import module "
            "'no_such_package': …)",
            id="module-not-importable",
        ),
        pytest.param(
            "sklearn.linear_model.LinearRegression",
            None,
            "--model sklearn.linear_model.LinearRegression: is not a scikit-learn classifier "
            "(not a ClassifierMixin subclass); use a short name or a classifier class such as "
            "sklearn.svm.SVC.",
            id="not-a-classifier",
        ),
        pytest.param(
            "logistic_regression",
            "{C: 1}",
            "--model-params: invalid JSON (…). Example: --model-params '{\"C\": 0.5}'",
            id="params-not-json",
        ),
        pytest.param(
            "logistic_regression",
            "[1, 2]",
            "--model-params: expected a JSON object like '{\"C\": 0.5}', got list.",
            id="params-not-an-object",
        ),
        pytest.param(
            "logistic_regression",
            '{"Cee": 1}',
            "--model-params: 'Cee' is not a parameter of LogisticRegression. Valid: 'C', …",
            id="unknown-parameter",
        ),
        pytest.param(
            "logistic_regression",
            '{"C": -1}',
            "--model-params: The 'C' parameter of LogisticRegression must be …",
            id="parameter-out-of-range",
        ),
        pytest.param(
            "random_forest",
            '{"n_estimators": "many"}',
            "--model-params: The 'n_estimators' parameter of RandomForestClassifier must be …",
            id="parameter-of-wrong-type",
        ),
    ],
)
def test_build_model_errors(name: str, params: str | None, message: str) -> None:
    with pytest.raises(InputError, match=whole(message)):
        build_model(name, params)
