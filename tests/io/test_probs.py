"""labelaudit.io.probs: probability files and their validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelaudit import io
from labelaudit.errors import InputError
from tests.datasets import CLASSES, random_probs
from tests.messages import whole

FINITE = "probabilities must be finite numbers in [0, 1]."


def probs_file(array: np.ndarray, names: list[str] | None = None) -> io.ProbsFile:
    return io.ProbsFile(path=Path("p.npy"), array=array, class_names=names, ids=None)


def test_read_probs_npy_other_dtypes_become_float64(tmp_path: Path) -> None:
    path = tmp_path / "p.npy"
    np.save(path, random_probs(4).astype(np.float16))
    probs = io.read_probs(path)
    assert probs.array.dtype == np.float64 and probs.array.flags.c_contiguous


def test_read_probs_npy_must_be_2d(tmp_path: Path) -> None:
    path = tmp_path / "p.npy"
    np.save(path, np.array([0.2, 0.8]))
    message = (
        f"{path}: probabilities must be a 2-D (rows, classes) array, got shape (2,). For two "
        "classes save both columns, e.g. np.column_stack([1 - p, p])."
    )
    with pytest.raises(InputError, match=whole(message)):
        io.read_probs(path)


def test_read_probs_table_class_columns_and_id(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    probs = random_probs(4).astype(np.float32)
    frame = pd.DataFrame({"id": list("abcd"), **{n: probs[:, k] for k, n in enumerate(CLASSES)}})
    frame.to_parquet(path)
    read = io.read_probs(path, id_column="id")
    assert read.class_names == CLASSES
    assert read.array.dtype == np.float32 and read.array.flags.c_contiguous
    np.testing.assert_array_equal(read.array, probs)
    assert read.ids is not None and read.ids.tolist() == list("abcd")


def test_read_probs_table_non_numeric_column_suggests_id_column(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    pd.DataFrame({"name": ["x"], "a": [0.5], "b": [0.5]}).to_csv(path, index=False)
    message = (
        f"{path}: column 'name' is not numeric (str); every column except the id column must hold "
        "one class's probabilities. If it is an id column, pass --id-column name."
    )
    with pytest.raises(InputError, match=whole(message)):
        io.read_probs(path)


@pytest.mark.parametrize(
    ("bad_value", "problem"),
    [
        pytest.param(np.nan, "is NaN", id="nan"),
        pytest.param(np.inf, "is +infinite", id="infinite"),
        pytest.param(-0.25, "is -0.25, outside [0, 1]", id="negative"),
        pytest.param(1.5, "is 1.5, outside [0, 1]", id="above-1"),
    ],
)
def test_validate_reports_first_bad_row_across_chunks(bad_value: float, problem: str) -> None:
    probs = random_probs(50)
    probs[37, 2] = bad_value
    probs[49, 1] = bad_value  # a later chunk fails too: the first bad row is reported
    message = f"p.npy: row 37, column 2: probability {problem}; {FINITE}"
    with pytest.raises(InputError, match=whole(message)):
        io.validate_probs(probs_file(probs), chunk_rows=16)


def test_validate_names_the_class_column_of_tables() -> None:
    probs = random_probs(5)
    probs[3, 1] = np.nan
    message = f"p.npy: row 3, column 'dog': probability is NaN; {FINITE}"
    with pytest.raises(InputError, match=whole(message)):
        io.validate_probs(probs_file(probs, CLASSES))


def test_validate_row_sums_suggest_normalize() -> None:
    probs = random_probs(30)
    probs[21] *= 1.01
    message = (
        "p.npy: row 21: probabilities sum to 1.01, not 1 (tolerance 0.0001).\n"
        "Pass --normalize to rescale every row to sum to 1 (or --multi-label if these are "
        "per-class probabilities of label sets)."
    )
    with pytest.raises(InputError, match=whole(message)):
        io.validate_probs(probs_file(probs), chunk_rows=8)


def test_validate_accepts_sums_within_tolerance_without_copying() -> None:
    probs = random_probs(10)
    probs[4] *= 1 + 5e-5
    assert io.validate_probs(probs_file(probs)) is probs
    assert io.validate_probs(probs_file(probs), normalize=True) is probs


def test_validate_normalize_rescales_rows_keeping_dtype() -> None:
    probs = random_probs(20).astype(np.float32)
    probs[::3] *= 0.5
    fixed = io.validate_probs(probs_file(probs), normalize=True, chunk_rows=7)
    assert fixed.dtype == np.float32
    np.testing.assert_allclose(fixed.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(fixed, probs / probs.sum(axis=1, keepdims=True), rtol=1e-6)


def test_validate_normalize_still_rejects_bad_values_and_zero_rows() -> None:
    probs = random_probs(6)
    probs[2] = 0.0
    message = "p.npy: row 2: all probabilities are 0; cannot normalise it."
    with pytest.raises(InputError, match=whole(message)):
        io.validate_probs(probs_file(probs), normalize=True)
    probs[2, 0] = -1.0
    message = f"p.npy: row 2, column 0: probability is -1, outside [0, 1]; {FINITE}"
    with pytest.raises(InputError, match=whole(message)):
        io.validate_probs(probs_file(probs), normalize=True)


def test_validate_works_on_a_memmap_and_returns_it(tmp_path: Path) -> None:
    path = tmp_path / "p.npy"
    np.save(path, random_probs(40).astype(np.float32))
    probs = io.read_probs(path)
    assert io.validate_probs(probs, chunk_rows=9) is probs.array


def test_validate_needs_rows_and_two_classes() -> None:
    with pytest.raises(InputError, match=whole("p.npy: has no rows; at least one row is needed.")):
        io.validate_probs(probs_file(np.zeros((0, 3))))
    message = "p.npy: has 1 class column; at least two classes are needed."
    with pytest.raises(InputError, match=whole(message)):
        io.validate_probs(probs_file(np.ones((4, 1))))
