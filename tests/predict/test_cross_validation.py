"""labelaudit.predict.cross_validation: out-of-fold, deterministic, checked probabilities."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from labelaudit.errors import InputError
from labelaudit.predict.cross_validation import encode_labels, out_of_fold_probabilities
from tests.messages import whole
from tests.predict.datasets import FAST_PARAMS, blobs, mixed_frame, oof


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


def test_single_class_is_an_error() -> None:
    features, _ = blobs(n=30)
    message = "label column 'label' has a single class (cat); predict needs at least 2."
    with pytest.raises(InputError, match=whole(message)):
        oof(features, pd.Series(["cat"] * 30, name="label"))


def test_missing_labels_are_an_error_naming_rows() -> None:
    features, labels = blobs(n=30)
    labels = labels.astype(object)
    labels[[4, 7]] = None
    message = "label column 'label' has 2 missing value(s) (rows 4, 7); fill or remove those rows."
    with pytest.raises(InputError, match=whole(message)):
        oof(features, labels)


def test_class_smaller_than_folds_is_an_error_naming_it() -> None:
    features, labels = blobs(n=60)
    labels = labels.copy()
    labels[:3] = "rare"
    every_fold = "every class needs a row in every fold"
    message = (
        f"class 'rare' (3 rows) has fewer rows than --folds 5; {every_fold}. Fix: use --folds 3 or "
        "remove the rows of that class."
    )
    with pytest.raises(InputError, match=whole(message)):
        oof(features, labels, folds=5)
    labels[:2] = "cat"  # now one row of 'rare': no number of folds can work
    message = (
        f"class 'rare' (1 row) has fewer rows than --folds 3; {every_fold}. Fix: a class needs at "
        "least 2 rows to be cross-validated: remove or relabel its rows."
    )
    with pytest.raises(InputError, match=whole(message)):
        oof(features, labels, folds=3)


def test_fewer_than_two_folds_is_an_error() -> None:
    features, labels = blobs(n=30)
    with pytest.raises(InputError, match=whole("--folds must be at least 2, got 1.")):
        oof(features, labels, folds=1)


def test_a_model_failing_to_fit_is_an_input_error() -> None:
    features, labels = blobs(n=30)
    with pytest.raises(InputError, match=whole("fitting the model failed: …n_neighbors…")):
        oof(features, labels, "knn", params='{"n_neighbors": 50}')
