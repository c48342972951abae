"""labelaudit.io.labels: the given labels and their mapping to classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelaudit import io
from labelaudit.errors import InputError
from tests.datasets import CLASSES
from tests.messages import whole


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
    message = (
        f"{path}: no column 'label' and 2 columns to choose from ('a', 'b'); pass --label-column "
        "NAME."
    )
    with pytest.raises(InputError, match=whole(message)) as info:
        io.read_labels(path)
    assert "'a'" in str(info.value) and "'b'" in str(info.value)


def test_read_labels_named_column_missing(tmp_path: Path) -> None:
    path = tmp_path / "y.parquet"
    pd.DataFrame({"label": [1]}).to_parquet(path)
    message = f"{path}: no column 'y' (--label-column); columns are 'label'."
    with pytest.raises(InputError, match=whole(message)):
        io.read_labels(path, label_column="y")


def test_read_labels_npy_shapes(tmp_path: Path) -> None:
    path = tmp_path / "y.npy"
    np.save(path, np.array([[0], [1], [2]]))
    assert io.read_labels(path).values.tolist() == [0, 1, 2]
    np.save(path, np.zeros((3, 2), dtype=int))
    message = (
        f"{path}: labels must be a 1-D array (one label per row), got shape (3, 2). "
        "For an (N, K) 0/1 multi-label matrix, pass --multi-label."
    )
    with pytest.raises(InputError, match=whole(message)):
        io.read_labels(path)


NOT_A_CLASS_HINT = (
    "Check that the labels and probs belong together (for .npy probs with string labels, pass "
    "--classes in column order)."
)


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
    message = (
        "y.csv: label '0' in row 0 is not a class of p (2 rows have labels that are not classes); "
        f"the classes are 'cat', 'dog', 'bird'.\n{NOT_A_CLASS_HINT}"
    )
    with pytest.raises(InputError, match=whole(message)):
        io.map_labels(labels_of([0, 1]), CLASSES, Path("p"))


def test_map_unknown_label_names_it_and_the_classes() -> None:
    with pytest.raises(InputError) as info:
        io.map_labels(labels_of(["cat", "cow", "emu"]), CLASSES, Path("p.parquet"))
    message = str(info.value)
    assert "label 'cow' in row 1" in message
    assert "2 rows" in message and "'bird'" in message
    assert message == (
        "y.csv: label 'cow' in row 1 is not a class of p.parquet (2 rows have labels that are not "
        f"classes); the classes are 'cat', 'dog', 'bird'.\n{NOT_A_CLASS_HINT}"
    )


def test_map_missing_label_names_the_row() -> None:
    message = "y.csv: column 'label': row 1 has no label (1 rows missing); every row needs a label."
    with pytest.raises(InputError, match=whole(message)):
        io.map_labels(labels_of(["cat", None, "dog"]), CLASSES, Path("p"))


def test_parse_classes() -> None:
    assert io.parse_classes(" a, b ,c") == ["a", "b", "c"]
    assert io.parse_classes(None) is None
    errors = {
        "a,,b": "--classes 'a,,b': empty class name; give names like 'cat,dog,bird'.",
        "a,a": "--classes: duplicate class name(s) 'a'.",
        "a": "--classes: at least two classes are needed.",
    }
    for bad, message in errors.items():
        with pytest.raises(InputError, match=whole(message)):
            io.parse_classes(bad)
