"""labelaudit.pipeline.clean.clean_table: the data minus, or relabelled at, the flagged rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelaudit.errors import InputError
from labelaudit.pipeline.clean import clean_table
from tests.messages import whole


def data_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [0.5, 1.5, 2.5, 3.5],
            "n": np.array([1, 2, 3, 4], dtype=np.int32),
            "label": ["a", "b", "a", "c"],
        }
    )


def test_clean_table_remove_keeps_order_and_dtypes() -> None:
    frame = data_frame()
    result = clean_table(
        frame,
        np.array([2, 0]),
        action="remove",
        label_column=None,
        predicted=None,
        data_path=Path("d"),
    )
    assert result.table["x"].tolist() == [1.5, 3.5]
    assert list(result.table.dtypes) == list(frame.dtypes)
    assert result.changed.tolist() == [True, False, True, False]


def test_clean_table_relabel_sets_predicted_and_counts_real_changes() -> None:
    frame = data_frame()
    result = clean_table(
        frame,
        np.array([1, 3]),
        action="relabel",
        label_column="label",
        predicted=["a", "c"],
        data_path=Path("d"),
    )
    assert result.table["label"].tolist() == ["a", "a", "a", "c"]
    assert result.changed.tolist() == [False, True, False, False]
    assert frame["label"].tolist() == ["a", "b", "a", "c"]  # the input frame is untouched


def test_clean_table_relabel_keeps_integer_and_categorical_dtypes() -> None:
    frame = pd.DataFrame({"label": np.array([0, 1, 2], dtype=np.int16)})
    result = clean_table(
        frame,
        np.array([0]),
        action="relabel",
        label_column=None,
        predicted=[2],
        data_path=Path("d"),
    )
    assert result.table["label"].dtype == np.int16 and result.table["label"].tolist() == [2, 1, 2]

    frame = pd.DataFrame({"label": pd.Categorical(["a", "b"])})
    result = clean_table(
        frame,
        np.array([1]),
        action="relabel",
        label_column=None,
        predicted=["z"],
        data_path=Path("d"),
    )
    assert isinstance(result.table["label"].dtype, pd.CategoricalDtype)
    assert result.table["label"].tolist() == ["a", "z"]


def test_clean_table_relabel_needs_the_label_column() -> None:
    message = (
        "d: no label column 'y' to relabel; pass --label-column NAME (columns are 'x', 'n', "
        "'label')."
    )
    with pytest.raises(InputError, match=whole(message)):
        clean_table(
            data_frame(),
            np.array([0]),
            action="relabel",
            label_column="y",
            predicted=["a"],
            data_path=Path("d"),
        )


def test_clean_table_refuses_issues_of_other_data() -> None:
    message = (
        "d: row 1 has label 'b' in column 'label' but the issues file says 'c'; was it made for "
        "other data?"
    )
    with pytest.raises(InputError, match=whole(message)):
        clean_table(
            data_frame(),
            np.array([0, 1]),
            action="remove",
            label_column=None,
            predicted=None,
            data_path=Path("d"),
            expected_given=pd.Series(["a", "c"]),
        )
