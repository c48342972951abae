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
