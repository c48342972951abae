"""Source resolution (io/sources.py): every kind, schema and metadata without reading rows."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

from labelaudit.errors import InputError
from labelaudit.io.sources import METADATA_KEY, read_table, resolve_source

TABLE = pa.table({"label": ["a", "b", "a"], "p": pa.array([0.5, 0.25, 1.0], pa.float32())})


@pytest.mark.parametrize(
    ("name", "kind", "delimiter"),
    [
        ("x.parquet", "parquet", ","),
        ("x.pq", "parquet", ","),
        ("x.csv", "csv", ","),
        ("x.tsv", "csv", "\t"),
        ("x.csv.gz", "csv", ","),
        ("x.tsv.bz2", "csv", "\t"),
        ("x.arrow", "ipc", ","),
        ("x.feather", "ipc", ","),
        ("x.npy", "npy", ","),
    ],
)
def test_file_kinds(tmp_path: Path, name: str, kind: str, delimiter: str) -> None:
    (tmp_path / name).write_bytes(b"")
    source = resolve_source(tmp_path / name, "labels")
    assert (source.kind, source.delimiter) == (kind, delimiter)


def test_unsupported_and_missing(tmp_path: Path) -> None:
    (tmp_path / "x.parquet.gz").write_bytes(b"")
    with pytest.raises(InputError, match=r"unsupported probs file type '.gz'"):
        resolve_source(tmp_path / "x.parquet.gz", "probs")
    with pytest.raises(InputError, match="no such file"):
        resolve_source(tmp_path / "nope.csv", "labels")


def test_stdin() -> None:
    assert resolve_source("-", "labels").kind == "stdin"


def test_compressed_csv_and_tsv_are_read(tmp_path: Path) -> None:
    (tmp_path / "x.csv.gz").write_bytes(gzip.compress(b"label,p\na,0.5\n01,0.25\n"))
    (tmp_path / "x.tsv").write_text("label\tp\nNA\t0.5\n")
    table = read_table(resolve_source(tmp_path / "x.csv.gz", "labels"))
    assert table.column("p").to_pylist() == [0.5, 0.25]
    source = resolve_source(tmp_path / "x.tsv", "labels")
    batch = next(source.batches(["label"], text=["label"]))
    assert batch.column("label").to_pylist() == ["NA"]


def write_parts(folder: Path, hive: bool = False) -> None:
    for index, start in enumerate((0, 2, 1)):  # written out of order: read in path order
        target = folder / (f"k={index}" if hive else "") / f"part-{index}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(TABLE.slice(start, 1), target)


def test_folder_is_read_in_sorted_path_order(tmp_path: Path) -> None:
    write_parts(tmp_path / "ds")
    (tmp_path / "ds" / "_SUCCESS").write_text("")
    source = resolve_source(tmp_path / "ds", "labels")
    assert [p.name for p in source.paths] == ["part-0.parquet", "part-1.parquet", "part-2.parquet"]
    assert source.count_rows() == 3
    assert read_table(source, ["p"]).column("p").to_pylist() == [0.5, 1.0, 0.25]


def test_hive_partitions_add_text_columns(tmp_path: Path) -> None:
    write_parts(tmp_path / "ds", hive=True)
    source = resolve_source(tmp_path / "ds", "labels")
    assert source.schema().names == ["label", "p", "k"]
    assert read_table(source, ["k", "label"]).column("k").to_pylist() == ["0", "1", "2"]


def test_glob_of_parquet(tmp_path: Path) -> None:
    write_parts(tmp_path / "ds", hive=True)
    source = resolve_source(f"{tmp_path}/ds/*/*.parquet", "labels")
    assert source.kind == "parquet" and len(source.paths) == 3
    assert read_table(source, ["k"]).column("k").to_pylist() == ["0", "1", "2"]


def test_glob_with_other_files(tmp_path: Path) -> None:
    write_parts(tmp_path / "ds")
    (tmp_path / "ds" / "notes.csv").write_text("x\n")
    with pytest.raises(InputError, match="matches files that are not Parquet"):
        resolve_source(f"{tmp_path}/ds/*", "labels")


def test_metadata_is_read_from_the_schema(tmp_path: Path) -> None:
    described = {"classes": [1, 3], "label_column": "y", "id_column": "id"}
    table = TABLE.replace_schema_metadata({METADATA_KEY: json.dumps(described)})
    feather.write_feather(table, tmp_path / "x.arrow")
    pq.write_table(table, tmp_path / "x.parquet")
    for name in ("x.arrow", "x.parquet"):
        assert resolve_source(tmp_path / name, "probs").metadata() == described
    assert resolve_source(tmp_path / "x.arrow", "probs").count_rows() == 3


def test_npy_has_no_columns(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros(3))
    with pytest.raises(InputError, match="has no columns"):
        resolve_source(tmp_path / "x.npy", "labels").schema()
