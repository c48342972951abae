"""Class matching by value (DESIGN.md 3.1): text stays text, integral floats are integers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelaudit.errors import InputError
from labelaudit.io import load_audit_inputs
from labelaudit.io.labels import ClassMatcher


def matcher(*names: str) -> ClassMatcher:
    return ClassMatcher(list(names), "y.csv: column 'label'", "p.parquet")


def test_text_labels_match_names_exactly() -> None:
    codes = matcher("NA", "TRUE", "None").encode(pa.array(["None", "NA", "TRUE", "NA"]))
    assert codes.tolist() == [2, 0, 1, 0]


@pytest.mark.parametrize("spelling", ["01", " 1", "1.0"])
def test_padded_codes_are_not_merged(spelling: str) -> None:
    with pytest.raises(InputError, match=rf"label '{spelling}' in row 1 is not a class"):
        matcher("1", "2").encode(pa.array(["1", spelling, "2"]))


def test_padded_codes_are_classes_of_their_own() -> None:
    codes = matcher("01", "1", " 1").encode(pa.array(["1", " 1", "01"]))
    assert codes.tolist() == [1, 2, 0]


def test_integral_floats_match_integer_classes() -> None:
    assert matcher("1", "3", "7").encode(pa.array([7.0, 1.0, 3.0])).tolist() == [2, 0, 1]
    assert matcher("0", "1", "2").encode(pa.array([2.0, 0.0])).tolist() == [2, 0]


def test_non_integral_float_is_not_a_class() -> None:
    with pytest.raises(InputError, match=r"label '1.5' in row 0"):
        matcher("1", "2").encode(pa.array([1.5, 1.0]))


def test_integers_out_of_range_name_the_row_with_the_offset() -> None:
    with pytest.raises(InputError, match=r"label '5' in row 12 is not a class"):
        matcher("0", "1").encode(pa.array([0, 1, 5]), offset=10)


def test_missing_label_names_the_row() -> None:
    with pytest.raises(InputError, match=r"row 3 has no label"):
        matcher("a", "b").encode(pa.array(["a", "b", None]), offset=1)
    with pytest.raises(InputError, match=r"row 1 has no label"):
        matcher("a", "b").encode(pa.array(["a", "", "b"]))


def test_dictionary_labels() -> None:
    values = pa.array(["b", "a", "b", "c"]).dictionary_encode()
    assert matcher("a", "b", "c").encode(values).tolist() == [1, 0, 1, 2]
    with pytest.raises(InputError, match=r"label 'c' in row 3"):
        matcher("a", "b").encode(values)


# --- through CSV files: label and id columns are text -------------------------------------------


def write_probs(path: Path, names: list[str], n_rows: int) -> None:
    probs = np.full((n_rows, len(names)), 1.0 / len(names), dtype=np.float32)
    pq.write_table(pa.table({name: probs[:, k] for k, name in enumerate(names)}), path)


def test_csv_na_true_none_and_quoted_commas_are_classes(tmp_path: Path) -> None:
    text = 'id,label\n007,NA\n008,TRUE\n009,None\n010,"a, b"\n011,"two\nlines"\n012,NA\n'
    (tmp_path / "y.csv").write_text(text)
    names = ["NA", "TRUE", "None", "a, b", "two\nlines"]
    write_probs(tmp_path / "p.parquet", names, 6)
    inputs = load_audit_inputs(tmp_path / "y.csv", [tmp_path / "p.parquet"], id_column="id")
    assert inputs.labels.tolist() == [0, 1, 2, 3, 4, 0]
    assert inputs.ids.to_pylist() == ["007", "008", "009", "010", "011", "012"]
    assert inputs.classes == names


def test_csv_padded_code_is_an_error_naming_the_row(tmp_path: Path) -> None:
    (tmp_path / "y.csv").write_text("label\n1\n2\n01\n")
    write_probs(tmp_path / "p.parquet", ["1", "2"], 3)
    with pytest.raises(InputError, match=r"y.csv: column 'label': label '01' in row 2"):
        load_audit_inputs(tmp_path / "y.csv", [tmp_path / "p.parquet"])


def test_csv_empty_cell_is_the_only_missing_label(tmp_path: Path) -> None:
    (tmp_path / "y.csv").write_text("label,x\nNA,1\n,2\n")
    write_probs(tmp_path / "p.parquet", ["NA", "b"], 2)
    with pytest.raises(InputError, match=r"row 1 has no label"):
        load_audit_inputs(tmp_path / "y.csv", [tmp_path / "p.parquet"], label_column="label")


def test_parquet_float_labels_match_integer_columns(tmp_path: Path) -> None:
    pq.write_table(pa.table({"label": [1.0, 3.0, 7.0, 3.0]}), tmp_path / "y.parquet")
    write_probs(tmp_path / "p.parquet", ["1", "3", "7"], 4)
    inputs = load_audit_inputs(tmp_path / "y.parquet", [tmp_path / "p.parquet"])
    assert inputs.labels.tolist() == [0, 1, 2, 1]
    assert inputs.classes == [1, 3, 7]


def test_probability_columns_must_be_numeric(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("a,b\n0.5,x\n0.5,y\n")
    np.save(tmp_path / "y.npy", np.array([0, 1]))
    with pytest.raises(InputError, match=r"column 'b' is not numeric"):
        load_audit_inputs(tmp_path / "y.npy", [tmp_path / "p.csv"])
