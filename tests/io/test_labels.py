"""labelaudit.io.labels: the given labels and their mapping to classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelaudit import io
from labelaudit.errors import InputError
from tests.datasets import CLASSES


def test_read_labels_uses_label_column_by_default(tmp_path: Path) -> None:
    path = tmp_path / "y.parquet"
    pd.DataFrame({"x": [1.0, 2.0], "label": ["a", "b"]}).to_parquet(path)
    labels = io.read_labels(path)
    assert labels.column == "label"
    assert labels.values.tolist() == ["a", "b"]


def test_read_labels_single_column_is_the_label(tmp_path: Path) -> None:
    path = tmp_path / "y.csv"
    pd.DataFrame({"target": [2, 0, 1]}).to_csv(path, index=False)
    labels = io.read_labels(path)
    assert labels.column == "target"
    assert labels.values.tolist() == [2, 0, 1]


def test_read_labels_id_column_does_not_count_as_a_label_candidate(tmp_path: Path) -> None:
    path = tmp_path / "y.csv"
    pd.DataFrame({"id": ["r0", "r1"], "target": [1, 0]}).to_csv(path, index=False)
    labels = io.read_labels(path, id_column="id")
    assert labels.column == "target"
    assert labels.ids is not None and labels.ids.tolist() == ["r0", "r1"]


def test_read_labels_ambiguous_column_lists_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "y.csv"
    pd.DataFrame({"a": [1], "b": [2]}).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"--label-column") as info:
        io.read_labels(path)
    assert "'a'" in str(info.value) and "'b'" in str(info.value)


def test_read_labels_named_column_missing(tmp_path: Path) -> None:
    path = tmp_path / "y.parquet"
    pd.DataFrame({"label": [1]}).to_parquet(path)
    with pytest.raises(InputError, match=r"no column 'y'.*'label'"):
        io.read_labels(path, label_column="y")


def test_read_labels_npy_shapes(tmp_path: Path) -> None:
    path = tmp_path / "y.npy"
    np.save(path, np.array([[0], [1], [2]]))
    assert io.read_labels(path).values.tolist() == [0, 1, 2]
    np.save(path, np.zeros((3, 2), dtype=int))
    with pytest.raises(InputError, match=r"1-D"):
        io.read_labels(path)


def labels_of(values: list, column: str | None = "label") -> io.LabelsFile:
    return io.LabelsFile(path=Path("y.csv"), values=pd.Series(values), column=column, ids=None)


def test_map_string_labels_by_name() -> None:
    codes, classes = io.map_labels(labels_of(["dog", "cat", "bird", "dog"]), CLASSES, Path("p"))
    assert codes.tolist() == [1, 0, 2, 1]
    assert classes == CLASSES


def test_map_integer_labels_to_integer_class_names_keeps_ints() -> None:
    codes, classes = io.map_labels(labels_of([10, 3, 7]), ["3", "7", "10"], Path("p"))
    assert codes.tolist() == [2, 0, 1]
    assert classes == [3, 7, 10]


def test_map_integral_float_labels_as_ints() -> None:
    codes, classes = io.map_labels(labels_of([1.0, 0.0]), ["0", "1"], Path("p"))
    assert codes.tolist() == [1, 0]
    assert classes == [0, 1]


def test_map_integer_labels_to_string_names_compares_as_strings() -> None:
    with pytest.raises(InputError, match=r"label '0' in row 0 is not a class"):
        io.map_labels(labels_of([0, 1]), CLASSES, Path("p"))


def test_map_unknown_label_names_it_and_the_classes() -> None:
    with pytest.raises(InputError) as info:
        io.map_labels(labels_of(["cat", "cow", "emu"]), CLASSES, Path("p.parquet"))
    message = str(info.value)
    assert "label 'cow' in row 1" in message
    assert "2 rows" in message and "'bird'" in message


def test_map_missing_label_names_the_row() -> None:
    with pytest.raises(InputError, match=r"column 'label': row 1 has no label"):
        io.map_labels(labels_of(["cat", None, "dog"]), CLASSES, Path("p"))


def test_parse_classes() -> None:
    assert io.parse_classes(" a, b ,c") == ["a", "b", "c"]
    assert io.parse_classes(None) is None
    for bad in ("a,,b", "a,a", "a"):
        with pytest.raises(InputError, match=r"--classes"):
            io.parse_classes(bad)
