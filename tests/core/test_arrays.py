"""Exact selection helpers of the core (labelaudit/core/_arrays.py)."""

from __future__ import annotations

import numpy as np
import pytest

from labelaudit.core._arrays import select_largest_per_row, select_smallest


def _argsort_set(row: np.ndarray, count: int, *, largest: bool) -> np.ndarray:
    expected = np.zeros(row.size, dtype=bool)
    expected[(np.argsort(-row) if largest else np.argsort(row))[:count]] = True
    return expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("levels", [3, 20, None], ids=["ties", "some-ties", "distinct"])
def test_select_largest_per_row_is_the_argsort_set(dtype: type, levels: int | None) -> None:
    rng = np.random.default_rng(0)
    values = rng.random((40, 300))
    if levels is not None:  # few distinct values: ties at most cuts
        values = np.round(values * levels) / levels
    values = values.astype(dtype)
    counts = rng.integers(0, 320, 40)
    counts[:4] = (0, 1, 299, 300)
    selected = select_largest_per_row(values, counts)
    assert selected.shape == values.shape
    for row, count, chosen in zip(values, counts, selected, strict=True):
        np.testing.assert_array_equal(chosen, _argsort_set(row, count, largest=True))


def test_select_smallest_is_the_argsort_set() -> None:
    rng = np.random.default_rng(1)
    for levels in (3, 50, None):
        values = rng.random(500)
        if levels is not None:
            values = np.round(values * levels) / levels
        for count in (0, 1, 37, 250, 499, 500):
            chosen = np.zeros(values.size, dtype=bool)
            chosen[select_smallest(values, count)] = True
            np.testing.assert_array_equal(chosen, _argsort_set(values, count, largest=False))
