"""Multi-label reading and writing: label-set formats, class mapping, bad input, outputs."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelaudit.errors import InputError
from labelaudit.io.multilabel import (
    LabelSource,
    check_separator,
    label_sets_to_indicator,
    multilabel_hint,
)
from labelaudit.io.multilabel_inputs import load_multilabel_inputs
from labelaudit.io.multilabel_write import (
    cleaned_table,
    label_set_array,
    label_sets_like,
    write_result_rows,
)

CLASSES = ["beach", "sunset", "dog"]
EXPECTED = np.array([[1, 0, 1], [0, 0, 0], [0, 1, 0]], dtype=np.uint8)
SOURCE = LabelSource(Path("labels.parquet"), "tags", ",")


def indicator(column: pa.Array, classes: list[str] | None = CLASSES) -> tuple[np.ndarray, list]:
    return label_sets_to_indicator(column, classes, SOURCE)


@pytest.mark.parametrize(
    "column",
    [
        pa.array([["beach", "dog"], [], ["sunset"]]),
        pa.array([["dog", "beach"], [], ["sunset"]], pa.large_list(pa.string())),
        pa.array(
            [["beach", "dog"], [], ["sunset"]], pa.list_(pa.dictionary(pa.int8(), pa.string()))
        ),
        pa.chunked_array([[["beach", "dog"]], [[], ["sunset"]]]),
        pa.array(["beach,dog", "", " sunset "]),
        pa.array(["beach, dog", "  ", "sunset,"]),
    ],
    ids=["list", "large-list-unordered", "dictionary", "chunked", "text", "text-spaces"],
)
def test_label_set_formats(column: pa.Array) -> None:
    labels, classes = indicator(column)
    np.testing.assert_array_equal(labels, EXPECTED)
    assert classes == CLASSES and labels.dtype == np.uint8


def test_integer_lists_match_integer_classes() -> None:
    labels, classes = indicator(pa.array([[0, 2], [], [1]], pa.list_(pa.int32())), ["0", "1", "2"])
    np.testing.assert_array_equal(labels, EXPECTED)
    assert classes == [0, 1, 2]
    floats = pa.array([[0.0, 2.0], [], [1.0]])
    np.testing.assert_array_equal(indicator(floats, ["0", "1", "2"])[0], EXPECTED)


def test_one_label_per_row_column() -> None:
    labels, _ = indicator(pa.array(["dog", "beach"]))
    np.testing.assert_array_equal(labels, [[0, 0, 1], [1, 0, 0]])


def test_discovered_classes_are_sorted() -> None:
    labels, classes = indicator(pa.array([["b", "a"], ["c"]]), None)
    assert classes == ["a", "b", "c"]
    np.testing.assert_array_equal(labels, [[1, 1, 0], [0, 0, 1]])


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (pa.array([["beach"], ["cat", "dog"]]), "label 'cat' in row 1 is not a class"),
        (pa.array([["beach"], ["dog", "dog"]]), "row 1 lists class 'dog' more than once"),
        (pa.array([["beach"], ["dog", None]]), "row 1 has a null inside its label list"),
        (pa.array([["beach"], None]), "row 1 has no label set (null"),
        (pa.array(["beach", None]), "write an empty string"),
        (pa.array(["beach;dog"]), "Pass --label-separator ';'"),
        (pa.array([[True]]), "cannot be class names"),
    ],
    ids=["unknown", "duplicate", "null-inside", "null-list", "null-text", "separator", "bool"],
)
def test_bad_label_sets(column: pa.Array, message: str) -> None:
    with pytest.raises(InputError, match=r"labels\.parquet: column 'tags'") as info:
        indicator(column)
    assert message in str(info.value)


def test_separator_inside_a_class_name() -> None:
    with pytest.raises(InputError, match=r"class name 'a,b' contains the label separator ','"):
        indicator(pa.array(["a,b"]), ["a,b", "c"])
    with pytest.raises(InputError, match=r"pass another --label-separator, e\.g\. ';'"):
        check_separator(["a,b"], ",")
    check_separator(["a,b"], ";")  # fine with another separator


def test_multilabel_hint() -> None:
    assert "--multi-label" in multilabel_hint(np.array(["a", "b"]), ["a", "b"])
    assert multilabel_hint("a,b", ["a", "b"]).endswith("pass --multi-label.")
    assert "--label-separator '|'" in multilabel_hint("a|b", ["a", "b"])
    assert multilabel_hint("zebra", ["a", "b"]) is None


# --- loading --------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> Path:
    probs = np.array([[0.9, 0.2, 0.6], [0.1, 0.3, 0.2], [0.2, 0.8, 0.1]])
    np.save(tmp_path / "probs.npy", probs)
    np.save(tmp_path / "labels.npy", EXPECTED)
    pq.write_table(
        pa.table({c: probs[:, k] for k, c in enumerate(CLASSES)}), tmp_path / "p.parquet"
    )
    table = pa.table({"id": ["a", "b", "c"], "tags": [["beach", "dog"], [], ["sunset"]]})
    pq.write_table(table, tmp_path / "labels.parquet")
    (tmp_path / "labels.csv").write_text('id,tags\n01,"beach,dog"\n02,\n03,sunset\n')
    return tmp_path


@pytest.mark.parametrize(
    ("labels", "probs", "options"),
    [
        ("labels.npy", "probs.npy", {}),
        ("labels.parquet", "p.parquet", {"label_column": "tags"}),
        ("labels.csv", "p.parquet", {"label_column": "tags", "id_column": "id"}),
        ("labels.parquet", "probs.npy", {"classes": "beach,sunset,dog", "label_column": "tags"}),
    ],
)
def test_load(files: Path, labels: str, probs: str, options: dict) -> None:
    inputs = load_multilabel_inputs(files / labels, files / probs, **options)
    np.testing.assert_array_equal(inputs.labels, EXPECTED)
    assert inputs.pred_probs.shape == (3, 3)
    if labels == "labels.npy":
        assert inputs.classes == [0, 1, 2]
    else:
        assert inputs.classes == CLASSES
    if "id_column" in options:
        assert inputs.ids.to_pylist() == ["01", "02", "03"]  # CSV ids read as text


def test_probs_outside_unit_interval_names_file_row_and_class(files: Path) -> None:
    probs = np.load(files / "probs.npy")
    probs[2, 1] = 1.5
    pq.write_table(pa.table({c: probs[:, k] for k, c in enumerate(CLASSES)}), files / "bad.parquet")
    with pytest.raises(InputError) as info:
        load_multilabel_inputs(files / "labels.parquet", files / "bad.parquet", label_column="tags")
    assert str(info.value).startswith(f"{files / 'bad.parquet'}: ")
    assert "row 2, column 'sunset' holds 1.5" in str(info.value)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.array([[1, 0, 2], [0, 0, 0], [0, 1, 0]]), "row 0, column 2 holds 2"),
        (np.zeros((3, 2), dtype=np.int8), "has 2 label columns but the probabilities have 3"),
        (np.zeros((3, 3)), "must be 0/1 integers"),
    ],
)
def test_bad_npy_labels(files: Path, array: np.ndarray, message: str) -> None:
    np.save(files / "bad.npy", array)
    with pytest.raises(InputError, match=message):
        load_multilabel_inputs(files / "bad.npy", files / "probs.npy")


def test_row_count_mismatch(files: Path) -> None:
    np.save(files / "short.npy", EXPECTED[:2])
    with pytest.raises(InputError, match="has 3 rows but"):
        load_multilabel_inputs(files / "short.npy", files / "probs.npy")


def test_single_label_looking_data_warns(tmp_path: Path) -> None:
    np.save(tmp_path / "labels.npy", np.array([[1, 0], [0, 1]]))
    np.save(tmp_path / "probs.npy", np.array([[0.7, 0.3], [0.4, 0.6]]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_multilabel_inputs(tmp_path / "labels.npy", tmp_path / "probs.npy")
    assert any("looks like single-label data" in str(w.message) for w in caught)


# --- writing -------------------------------------------------------------------------------


def test_label_set_array_and_outputs(tmp_path: Path) -> None:
    lists = label_set_array(EXPECTED, CLASSES)
    assert lists.to_pylist() == [["beach", "dog"], [], ["sunset"]]
    assert label_set_array(EXPECTED, [0, 1, 2]).to_pylist() == [[0, 2], [], [1]]

    def columns_for(rows: np.ndarray) -> dict:
        return {"row": rows, "given_labels": label_set_array(EXPECTED[rows], CLASSES)}

    write_result_rows(tmp_path / "out.parquet", np.arange(3), columns_for, CLASSES, ",")
    assert pq.read_table(tmp_path / "out.parquet").column("given_labels").to_pylist() == (
        lists.to_pylist()
    )
    write_result_rows(tmp_path / "out.csv", np.arange(3), columns_for, CLASSES, "|")
    assert (tmp_path / "out.csv").read_text().splitlines() == [
        "row,given_labels",
        "0,beach|dog",
        "1,",
        "2,sunset",
    ]
    with pytest.raises(InputError, match="contains the label separator"):
        write_result_rows(tmp_path / "x.csv", np.arange(3), columns_for, ["a|b", "c", "d"], "|")
    assert not (tmp_path / "x.csv").exists()


def test_cleaned_table_keeps_schema_and_types() -> None:
    schema = pa.schema([("x", pa.int16()), ("tags", pa.list_(pa.string()))], metadata={b"k": b"v"})
    data = pa.table({"x": [1, 2, 3], "tags": [["beach"], [], ["dog"]]}, schema=schema)
    removed = cleaned_table(data, keep=np.array([True, False, True]))
    assert removed.schema == schema and removed.column("x").to_pylist() == [1, 3]
    new = label_sets_like(np.array([[0, 1, 1]], bool), CLASSES, schema.field("tags").type, ",")
    relabelled = cleaned_table(data, label_column="tags", rows=np.array([1]), new_labels=new)
    assert relabelled.schema == schema
    assert relabelled.column("tags").to_pylist() == [["beach"], ["sunset", "dog"], ["dog"]]
    text = label_sets_like(np.array([[1, 0, 1]], bool), CLASSES, pa.string(), ";")
    assert text.to_pylist() == ["beach;dog"]


def test_arrow_ipc_labels_and_probs(tmp_path: Path) -> None:
    import pyarrow.feather as feather

    feather.write_feather(
        pa.table({"tags": [["beach", "dog"], [], ["sunset"]]}), tmp_path / "y.arrow"
    )
    probs = pa.table({c: pa.array([0.5, 0.5, 0.5], pa.float32()) for c in CLASSES})
    feather.write_feather(probs, tmp_path / "p.feather")
    inputs = load_multilabel_inputs(tmp_path / "y.arrow", tmp_path / "p.feather")
    np.testing.assert_array_equal(inputs.labels, EXPECTED)
    assert inputs.pred_probs.dtype == np.float32 and inputs.label_column == "tags"


def test_labels_and_probs_in_one_table(tmp_path: Path) -> None:
    table = pa.table(
        {
            "tags": [["beach", "dog"], [], ["sunset"]],
            "beach": [0.9, 0.1, 0.2],
            "sunset": [0.1, 0.2, 0.8],
            "dog": [0.7, 0.1, 0.1],
        }
    )
    pq.write_table(table, tmp_path / "both.parquet")
    both = tmp_path / "both.parquet"
    inputs = load_multilabel_inputs(both, both, label_column="tags")
    np.testing.assert_array_equal(inputs.labels, EXPECTED)
    assert inputs.classes == CLASSES
