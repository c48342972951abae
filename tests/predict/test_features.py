"""labelaudit.predict.features: which columns are features, of which kind, and encoded how."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelaudit.errors import InputError
from labelaudit.predict.features import prepare_features, select_features
from tests.messages import whole
from tests.predict.datasets import blobs, mixed_frame, oof


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
    message = (
        "column 'comment' is text-like (40 distinct values in 40 rows), not categorical; name it "
        "with --text-column comment to TF-IDF encode it, or leave it out with --drop-column "
        "comment."
    )
    with pytest.raises(InputError, match=whole(message)):
        prepare_features(frame)
    # A low-cardinality string column is categorical, not an error.
    frame["comment"] = ["yes", "no"] * 20
    assert prepare_features(frame)[1]["categorical"] == ["comment"]


def test_unsupported_column_type_is_an_error() -> None:
    frame = pd.DataFrame({"when": pd.date_range("2024-01-01", periods=5), "x": range(5)})
    message = (
        "column 'when' has type …, which predict cannot use; convert it to a number or leave it "
        "out with --drop-column when."
    )
    with pytest.raises(InputError, match=whole(message)):
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
    not_a_column = "is not a column of the features file. Columns: id, a, b, t, y."
    with pytest.raises(InputError, match=whole(f"--label-column 'target' {not_a_column}")):
        select_features(frame, label_column="target")
    with pytest.raises(InputError, match=whole(f"--drop-column 'zz' {not_a_column}")):
        select_features(frame, label_column="y", drop_columns=["zz"])
    message = "no feature columns left after removing the label, id and dropped columns."
    with pytest.raises(InputError, match=whole(message)):
        select_features(frame, label_column="y", id_column="id", drop_columns=["a", "b", "t"])
    with pytest.raises(InputError, match=whole("the features file has no rows.")):
        select_features(frame.iloc[:0], label_column="y")


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
