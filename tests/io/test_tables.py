"""labelaudit.io.tables: Parquet and CSV tables, read and written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from labelaudit import io
from labelaudit.errors import InputError
from tests.messages import whole


def test_read_labels_corrupt_parquet(tmp_path: Path) -> None:
    path = tmp_path / "y.parquet"
    path.write_bytes(b"this is not parquet at all")
    with pytest.raises(InputError, match=whole(f"{path}: not a readable Parquet file (…).")):
        io.read_labels(path)


def test_write_table_failure_leaves_no_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "out.parquet"

    def explode(self, *args, **kwargs):
        Path(args[0]).write_bytes(b"partial")
        raise RuntimeError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", explode)
    with pytest.raises(RuntimeError):
        io.write_table(pd.DataFrame({"a": [1]}), target)
    assert list(tmp_path.iterdir()) == []


def test_write_table_round_trips_csv_and_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame({"row": [3, 1], "given_label": ["a", "b"], "q": [0.25, 0.5]})
    for name in ("o.csv", "o.parquet"):
        io.write_table(frame, tmp_path / name)
        pd.testing.assert_frame_equal(io.read_table(tmp_path / name), frame, check_dtype=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.csv", "o.parquet"]


def test_write_rows_stores_dictionary_columns_as_plain_strings(tmp_path: Path) -> None:
    """Class-name columns given as dictionary arrays come back as strings, with the file's
    Arrow schema and metadata exactly those of writing the decoded table."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from labelaudit.io.tables import write_rows

    names = pa.array(["cat", "dog", "never used"])
    codes = np.array([0, 1, 1, 0, 1], dtype=np.int32)
    when = pa.array(np.arange(5), pa.int64()).cast(pa.timestamp("ms", tz="Europe/Paris"))

    def columns(rows):
        given = pa.DictionaryArray.from_arrays(pa.array(codes[rows]), names)
        return {
            "row": np.arange(5)[rows],
            "given_label": given,
            "when": when[rows.start : rows.stop],
        }

    ours = tmp_path / "ours.parquet"
    write_rows(ours, 5, columns, dictionary_columns=["given_label"])
    expected = pa.table(
        {"row": np.arange(5), "given_label": names.take(pa.array(codes)), "when": when}
    )
    plain = tmp_path / "plain.parquet"
    pq.write_table(expected, plain, use_dictionary=["given_label"])
    assert pq.read_table(ours).equals(expected)
    assert pq.read_schema(ours).field("given_label").type == pa.string()
    assert pq.read_metadata(ours).metadata == pq.read_metadata(plain).metadata
    statistics = pq.read_metadata(ours).row_group(0).column(1).statistics
    assert (statistics.min, statistics.max) == ("cat", "dog")  # not the unused dictionary entry
