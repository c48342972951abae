"""Streamed reading (io/probs.stream_table): batch by batch, equal to reading all at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from labelaudit.errors import InputError
from labelaudit.io import load_audit_inputs
from labelaudit.io import probs as probs_module
from labelaudit.io.labels import ClassMatcher
from labelaudit.io.probs import ProbsColumns, stream_table
from labelaudit.io.sources import resolve_source

CLASSES = ["a", "b", "c"]


def random_table(n_rows: int, dtype: type = np.float32, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    probs = rng.random((n_rows, 3)) + 0.1
    probs = (probs / probs.sum(axis=1, keepdims=True)).astype(dtype)
    columns = {
        "id": pa.array(np.arange(n_rows) * 7),
        "label": pa.array(np.array(CLASSES)[rng.integers(0, 3, n_rows)]),
    }
    columns.update({name: pa.array(probs[:, k]) for k, name in enumerate(CLASSES)})
    return pa.table(columns)


def read(path: Path, **kwargs: object) -> object:
    source = resolve_source(path, "probs")
    matcher = ClassMatcher(CLASSES, f"{path}: column 'label'", str(path))
    return stream_table(
        source,
        probs=ProbsColumns(CLASSES, CLASSES),
        dtype=np.dtype(kwargs.pop("dtype", np.float32)),  # type: ignore[arg-type]
        label=("label", matcher),
        id_column="id",
        **kwargs,  # type: ignore[arg-type]
    )


def test_batches_fill_one_array_in_the_columns_dtype(tmp_path: Path) -> None:
    table = random_table(1000)
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=97)
    streamed = read(tmp_path / "t.parquet")
    assert streamed.probs.dtype == np.float32 and streamed.probs.flags.c_contiguous
    expected = np.column_stack([table.column(name).to_numpy() for name in CLASSES])
    np.testing.assert_array_equal(streamed.probs, expected)
    names = table.column("label").to_pylist()
    assert streamed.codes.tolist() == [CLASSES.index(name) for name in names]
    assert streamed.codes.dtype == np.int8
    assert isinstance(streamed.ids, pa.ChunkedArray)
    assert streamed.ids.to_pylist() == table.column("id").to_pylist()


def test_csv_without_a_row_count_grows_to_the_same_result(tmp_path: Path) -> None:
    table = random_table(500, np.float64)
    pacsv.write_csv(table, tmp_path / "t.csv")
    assert resolve_source(tmp_path / "t.csv", "probs").count_rows() is None
    streamed = read(tmp_path / "t.csv", dtype=np.float64)
    expected = np.column_stack([table.column(name).to_numpy() for name in CLASSES])
    np.testing.assert_array_equal(streamed.probs, expected)
    assert streamed.ids.to_pylist() == [str(i * 7) for i in range(500)]  # ids are text in CSV


def test_spilled_array_equals_the_in_memory_one(tmp_path: Path, monkeypatch) -> None:
    table = random_table(3000)
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=500)
    in_memory = read(tmp_path / "t.parquet")
    monkeypatch.setattr(probs_module, "SPILL_BYTES", 1000)
    spilled = read(tmp_path / "t.parquet")
    assert isinstance(spilled.probs, np.memmap)
    np.testing.assert_array_equal(spilled.probs, in_memory.probs)


def test_bad_value_row_is_counted_from_the_table_start(tmp_path: Path) -> None:
    table = random_table(1000)
    values = table.column("c").to_numpy().copy()
    values[733] = 1.5
    table = table.set_column(4, "c", pa.array(values))
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=100)
    with pytest.raises(InputError, match=r"row 733, column 'c': .*1.5"):
        read(tmp_path / "t.parquet")


def test_row_sum_error_and_normalize_per_batch(tmp_path: Path) -> None:
    table = random_table(600, np.float64)
    scaled = {name: pa.array(table.column(name).to_numpy() * 0.5) for name in CLASSES}
    for name, values in scaled.items():
        table = table.set_column(table.schema.get_field_index(name), name, values)
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=64)
    with pytest.raises(InputError, match=r"(?s)row 0: .*Pass --normalize"):
        read(tmp_path / "t.parquet", dtype=np.float64)
    streamed = read(tmp_path / "t.parquet", dtype=np.float64, normalize=True)
    np.testing.assert_allclose(streamed.probs.sum(axis=1), 1.0)


def test_label_error_row_is_counted_from_the_table_start(tmp_path: Path) -> None:
    table = random_table(300)
    labels = table.column("label").to_pylist()
    labels[250] = "zebra"
    table = table.set_column(1, "label", pa.array(labels))
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=64)
    with pytest.raises(InputError, match=r"label 'zebra' in row 250 is not a class"):
        read(tmp_path / "t.parquet")


def test_every_format_gives_the_npy_arrays(tmp_path: Path) -> None:
    table = random_table(400)
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=50)
    np.save(tmp_path / "p.npy", np.column_stack([table.column(n).to_numpy() for n in CLASSES]))
    np.save(tmp_path / "y.npy", np.array(table.column("label").to_pylist()))
    from_npy = load_audit_inputs(tmp_path / "y.npy", [tmp_path / "p.npy"], classes="a,b,c")
    from_table = load_audit_inputs(tmp_path / "t.parquet", [tmp_path / "t.parquet"], id_column="id")
    np.testing.assert_array_equal(from_npy.labels, from_table.labels)
    np.testing.assert_array_equal(from_npy.pred_probs, from_table.pred_probs)
    assert from_table.pred_probs.dtype == np.float32
    assert from_npy.classes == from_table.classes == CLASSES


def test_releasing_pages_while_pruning_changes_no_flag(monkeypatch) -> None:
    from labelaudit.core import filtering
    from labelaudit.core.counting import compute_label_stats

    rng = np.random.default_rng(4)
    n_rows, n_classes = 5000, 4
    labels = rng.integers(0, n_classes, n_rows)
    probs = rng.random((n_rows, n_classes)).astype(np.float32) + 0.05
    probs /= probs.sum(axis=1, keepdims=True)
    stats = compute_label_stats(labels, probs)
    expected = filtering.find_label_issues(labels, probs, stats=stats)
    released: list[slice] = []
    monkeypatch.setattr(filtering, "_GATHER_SPAN_ROWS", 333)
    monkeypatch.setattr(filtering, "_SMALL_CLASS_ROWS", 10)  # every class takes the gather path
    found = filtering.find_label_issues(labels, probs, stats=stats, release_rows=released.append)
    np.testing.assert_array_equal(found, expected)
    assert released and max(s.stop for s in released) == n_rows
