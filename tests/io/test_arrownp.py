"""Arrow <-> numpy without pandas: the same values as pyarrow's own conversions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from labelaudit.io.arrownp import from_numpy, text_array, to_numpy

ARRAYS = [
    pa.array([1, None, 3], pa.int32()),
    pa.array([1.5, None, 2.0], pa.float32()),
    pa.array([None, 1.0, None] * 7, pa.float64()).slice(5, 11),
    pa.array(list(range(20)), pa.uint16()).slice(3, 9),
    pa.array([True, None, False, True] * 5).slice(1),
    pa.array([True, False] * 9).slice(3),
    pa.array([], pa.int64()),
    pa.array([-(2**40), 0, 2**40], pa.int64()),
]


@pytest.mark.parametrize("array", ARRAYS, ids=lambda a: str(a.type))
def test_to_numpy_matches_pyarrow(array: pa.Array) -> None:
    fill = np.nan if pa.types.is_floating(array.type) else -1
    if pa.types.is_boolean(array.type):
        fill = False
    got = to_numpy(array, fill=fill)
    filled = array.fill_null(fill) if array.null_count else array
    expected = filled.to_numpy(zero_copy_only=False)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_to_numpy_without_fill_keeps_nulls_to_pyarrow() -> None:
    array = pa.array([1.0, None])
    np.testing.assert_array_equal(to_numpy(array), [1.0, np.nan])
    chunked = pa.chunked_array([pa.array([1, 2]), pa.array([3])])
    np.testing.assert_array_equal(to_numpy(chunked), [1, 2, 3])


def test_to_numpy_other_types_fall_back() -> None:
    array = pa.array(["a", "b"])
    assert list(to_numpy(array)) == ["a", "b"]


@pytest.mark.parametrize(
    "values",
    [np.arange(5, dtype=np.int8), np.array([0.5, -1.0]), np.array([True, False, True])],
)
def test_from_numpy_matches_pa_array(values: np.ndarray) -> None:
    assert from_numpy(values).equals(pa.array(values))


def test_text_array_matches_pa_array() -> None:
    names = ["cat", "", "é", " 1"]
    assert text_array(names).equals(pa.array(names, pa.string()))
    assert text_array([]).equals(pa.array([], pa.string()))
