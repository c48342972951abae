"""Unit tests of labelaudit.predict: registry, features, out-of-fold CV, determinism, errors."""

from __future__ import annotations

import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification

from labelaudit.errors import InputError
from labelaudit.predict import (
    MODELS,
    build_model,
    encode_labels,
    out_of_fold_probabilities,
    prepare_features,
    select_features,
)

FAST_PARAMS = {"mlp": '{"max_iter": 300, "hidden_layer_sizes": [16]}'}


def blobs(n: int = 150, n_classes: int = 3, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """An easy numeric dataset: well-separated classes named by strings."""
    X, y = make_classification(
        n_samples=n,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        class_sep=2.5,
        random_state=seed,
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    names = np.array(["cat", "dog", "emu", "fox"])[:n_classes]
    return frame, pd.Series(names[y], name="label")


def oof(features: pd.DataFrame, labels: pd.Series, name: str = "logistic_regression", **kw):
    model = build_model(name, kw.pop("params", None), kw.get("seed", 0)).estimator
    kw.setdefault("folds", 3)
    return out_of_fold_probabilities(features, labels, model=model, **kw)


# --- registry -------------------------------------------------------------------------------


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
    with pytest.raises(InputError, match="no predict_proba"):
        build_model("plainmodels.PlainClassifier")


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("gradient_boosting_machine", None, "unknown model 'gradient_boosting_machine'"),
        ("sklearn.svm.NoSuchModel", None, "unknown model"),
        ("no_such_package.Model", None, "cannot import module 'no_such_package'"),
        ("sklearn.linear_model.LinearRegression", None, "is not a scikit-learn classifier"),
        ("logistic_regression", "{C: 1}", "invalid JSON"),
        ("logistic_regression", "[1, 2]", "expected a JSON object"),
        ("logistic_regression", '{"Cee": 1}', "'Cee' is not a parameter of LogisticRegression"),
        ("logistic_regression", '{"C": -1}', "'C' parameter of LogisticRegression"),
        ("random_forest", '{"n_estimators": "many"}', "n_estimators"),
    ],
)
def test_build_model_errors(name: str, params: str | None, message: str) -> None:
    with pytest.raises(InputError, match=message):
        build_model(name, params)


# --- features -------------------------------------------------------------------------------


def test_prepare_features_sorts_columns_by_kind() -> None:
    n = 40
    frame = pd.DataFrame(
        {
            "num": np.arange(n, dtype=float),
            "with_inf": [np.inf, *range(n - 1)],
            "nullable_int": pd.array([None, *range(n - 1)], dtype="Int64"),
            "colour": ["red", "blue", None, "green"] * 10,
            "flag": [True, False] * 20,
            "cat": pd.Categorical(["a", "b"] * 20),
            "numbers_as_objects": pd.Series(list(range(n)), dtype=object),
            "review": [f"review number {i}" for i in range(n)],
        }
    )
    prepared, kinds = prepare_features(frame, text_columns=["review"])
    assert kinds == {
        "numeric": ["num", "with_inf", "nullable_int", "numbers_as_objects"],
        "categorical": ["colour", "flag", "cat"],
        "text": ["review"],
    }
    assert prepared["with_inf"].isna().sum() == 1  # inf counts as missing
    assert prepared["nullable_int"].dtype == np.float64
    assert prepared["colour"].isna().sum() == 10
    assert set(prepared["flag"]) == {"True", "False"}


def test_text_like_column_not_named_as_text_is_an_error() -> None:
    frame = pd.DataFrame({"x": range(40), "comment": [f"free text {i}" for i in range(40)]})
    with pytest.raises(InputError, match=r"column 'comment' is text-like.*--text-column comment"):
        prepare_features(frame)
    # A low-cardinality string column is categorical, not an error.
    frame["comment"] = ["yes", "no"] * 20
    assert prepare_features(frame)[1]["categorical"] == ["comment"]


def test_unsupported_column_type_is_an_error() -> None:
    frame = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=5), "x": range(5)})
    with pytest.raises(InputError, match=r"column 'when'.*--drop-column when"):
        prepare_features(frame)


def test_select_features_excludes_label_id_and_dropped_columns() -> None:
    frame = pd.DataFrame({"id": [1, 2], "a": [0.1, 0.2], "b": [1, 2], "t": ["x", "y"], "y": [0, 1]})
    chosen = select_features(
        frame, label_column="y", id_column="id", text_columns=["t"], drop_columns=["b"]
    )
    assert list(chosen.features.columns) == ["a", "t"]
    assert chosen.labels.tolist() == [0, 1]
    assert chosen.ids.tolist() == [1, 2]
    assert chosen.text_columns == ["t"]
    with pytest.raises(InputError, match=r"--label-column 'target'.*Columns: id, a, b, t, y"):
        select_features(frame, label_column="target")
    with pytest.raises(InputError, match="--drop-column 'zz'"):
        select_features(frame, label_column="y", drop_columns=["zz"])
    with pytest.raises(InputError, match="no feature columns left"):
        select_features(frame, label_column="y", id_column="id", drop_columns=["a", "b", "t"])
    with pytest.raises(InputError, match="no rows"):
        select_features(frame.iloc[:0], label_column="y")


def mixed_frame(n: int = 180, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Label decided by a word in free text; numeric and categorical columns are noise."""
    rng = np.random.default_rng(seed)
    label = rng.choice(["neg", "pos"], size=n)
    filler = ["the", "film", "plot", "actor", "scene", "music", "ending", "story", "cast"]
    word = {"neg": ["awful", "boring", "bad"], "pos": ["great", "superb", "good"]}
    reviews = [
        " ".join([*rng.choice(filler, size=5), rng.choice(word[y]), *rng.choice(filler, size=3)])
        for y in label
    ]
    frame = pd.DataFrame(
        {
            "length": rng.normal(size=n),
            "score": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "genre": rng.choice(["drama", "comedy", "horror", None], size=n),
            "review": reviews,
        }
    )
    return frame, pd.Series(label, name="label")


def test_mixed_numeric_categorical_and_text_columns() -> None:
    frame, labels = mixed_frame()
    probs, classes, metrics = oof(frame, labels, text_columns=["review"])
    assert classes == ["neg", "pos"]
    assert metrics["feature_columns"] == {
        "numeric": ["length", "score"],
        "categorical": ["genre"],
        "text": ["review"],
    }
    assert metrics["accuracy"] > 0.95  # only possible by reading the text
    without_text, _, chance = oof(frame.drop(columns="review"), labels)
    assert chance["accuracy"] < 0.75
    assert without_text.shape == probs.shape


def test_category_unseen_in_training_folds_is_ignored() -> None:
    features, labels = blobs(n=60, n_classes=2)
    features["group"] = ["common"] * 59 + ["only_once"]
    probs, _, _ = oof(features, labels)  # the single row's fold never saw its category
    assert np.all(np.isfinite(probs))


# --- out-of-fold guarantee --------------------------------------------------------------------


class MemorizingClassifier(ClassifierMixin, BaseEstimator):
    """Certain about every row it was trained on; uniform on any row it has not seen."""

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        self.classes_ = np.unique(y)
        self.memory_ = {row.tobytes(): label for row, label in zip(X, y, strict=True)}
        return self

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float)
        out = np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))
        for i, row in enumerate(X):
            if row.tobytes() in self.memory_:
                out[i] = self.classes_ == self.memory_[row.tobytes()]
        return out


def test_no_row_is_predicted_by_a_model_that_saw_it() -> None:
    features, labels = blobs(n=90)
    probs, _, _ = out_of_fold_probabilities(features, labels, model=MemorizingClassifier(), folds=5)
    np.testing.assert_array_equal(probs, np.full_like(probs, 1 / 3))
    # The memoriser is certain on rows it was fitted on, so in-fold fitting would show here.
    fitted = MemorizingClassifier().fit(features, labels)
    assert np.all(fitted.predict_proba(features).max(axis=1) == 1.0)


def test_one_nearest_neighbour_on_noise_is_at_chance() -> None:
    rng = np.random.default_rng(1)
    features = pd.DataFrame(rng.normal(size=(200, 5)), columns=list("abcde"))
    labels = pd.Series(rng.choice(["a", "b"], size=200), name="label")
    _, _, metrics = oof(features, labels, "knn", params='{"n_neighbors": 1}', folds=5)
    assert metrics["accuracy"] < 0.65  # 1.0 if any row were its own neighbour


# --- determinism ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["logistic_regression", "random_forest", "mlp"])
def test_same_seed_same_bytes_serial_or_parallel(name: str) -> None:
    frame, labels = mixed_frame(n=120)
    kw = {"text_columns": ["review"], "params": FAST_PARAMS.get(name), "seed": 3}
    first, _, _ = oof(frame, labels, name, **kw)
    again, _, _ = oof(frame, labels, name, **kw)
    parallel, _, _ = oof(frame, labels, name, n_jobs=2, **kw)
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() == parallel.tobytes()
    other_seed, _, _ = oof(frame, labels, name, **{**kw, "seed": 4})
    assert not np.array_equal(first, other_seed)


def test_progress_callback_reports_each_fold_in_order() -> None:
    features, labels = blobs(n=60)
    calls: list[tuple[int, int]] = []
    oof(features, labels, folds=4, progress_callback=lambda *call: calls.append(call))
    assert calls == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]


# --- labels and probabilities ---------------------------------------------------------------


def test_numeric_classes_sort_by_value_and_strings_lexically() -> None:
    codes, classes = encode_labels(pd.Series([10, 2, 1, 2], name="y"))
    assert classes == ["1", "2", "10"]
    assert codes.tolist() == [2, 1, 0, 1]
    _, classes = encode_labels(pd.Series(["b", "B", "a"], name="y"))
    assert classes == ["B", "a", "b"]
    _, classes = encode_labels(pd.Series([True, False], name="y"))
    assert classes == ["False", "True"]


def test_integer_labels_keep_their_column() -> None:
    features, labels = blobs(n=120, n_classes=3)
    numeric = labels.map({"cat": 0, "dog": 1, "emu": 2})
    probs, classes, _ = oof(features, numeric)
    assert classes == ["0", "1", "2"]
    assert np.mean(probs.argmax(axis=1) == numeric.to_numpy()) > 0.8


class DriftingClassifier(MemorizingClassifier):
    """Rows of predict_proba that do not sum to 1 (a sloppy third-party model)."""

    def predict_proba(self, X):
        out = np.zeros((len(X), len(self.classes_)))
        out[:, 0] = 3.0
        out[:, 1:] = 1.0
        return out


def test_rows_that_drift_from_one_are_renormalised() -> None:
    features, labels = blobs(n=60)
    probs, _, _ = out_of_fold_probabilities(features, labels, model=DriftingClassifier(), folds=3)
    np.testing.assert_allclose(probs, np.tile([0.6, 0.2, 0.2], (60, 1)))


def test_fitting_warnings_are_collected_not_printed() -> None:
    features, labels = blobs(n=60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning escaping to the caller would fail the test
        _, _, metrics = oof(features, labels, "mlp", params='{"max_iter": 2}')
    assert any(m.startswith("ConvergenceWarning") for m in metrics["warnings"])
    assert len(metrics["warnings"]) == len(set(metrics["warnings"]))


# --- errors ---------------------------------------------------------------------------------


def test_single_class_is_an_error() -> None:
    features, _ = blobs(n=30)
    with pytest.raises(InputError, match="single class \\(cat\\)"):
        oof(features, pd.Series(["cat"] * 30, name="label"))


def test_missing_labels_are_an_error_naming_rows() -> None:
    features, labels = blobs(n=30)
    labels = labels.astype(object)
    labels[[4, 7]] = None
    with pytest.raises(InputError, match=r"'label' has 2 missing value\(s\) \(rows 4, 7\)"):
        oof(features, labels)


def test_class_smaller_than_folds_is_an_error_naming_it() -> None:
    features, labels = blobs(n=60)
    labels = labels.copy()
    labels[:3] = "rare"
    with pytest.raises(InputError, match=r"class 'rare' \(3 rows\).*--folds 5.*use --folds 3"):
        oof(features, labels, folds=5)
    labels[:2] = "cat"  # now one row of 'rare': no number of folds can work
    with pytest.raises(InputError, match=r"'rare' \(1 row\).*at least 2 rows"):
        oof(features, labels, folds=3)


def test_fewer_than_two_folds_is_an_error() -> None:
    features, labels = blobs(n=30)
    with pytest.raises(InputError, match="at least 2"):
        oof(features, labels, folds=1)


def test_a_model_failing_to_fit_is_an_input_error() -> None:
    features, labels = blobs(n=30)
    with pytest.raises(InputError, match=r"fitting the model failed.*n_neighbors"):
        oof(features, labels, "knn", params='{"n_neighbors": 50}')
