"""labelaudit.io.paths: output path checks and atomic writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from labelaudit import io
from labelaudit.errors import InputError
from tests.messages import whole


def test_check_output_path(tmp_path: Path) -> None:
    assert io.check_output_path(tmp_path / "o.csv", io.TABLE_SUFFIXES) == tmp_path / "o.csv"
    message = f"-o/--output {tmp_path}/o.txt: unsupported output type '.txt'; use .parquet or .csv."
    with pytest.raises(InputError, match=whole(message)):
        io.check_output_path(tmp_path / "o.txt", io.TABLE_SUFFIXES)
    message = f"-o/--output {tmp_path}/missing/o.csv: the folder {tmp_path}/missing does not exist."
    with pytest.raises(InputError, match=whole(message)):
        io.check_output_path(tmp_path / "missing" / "o.csv", io.TABLE_SUFFIXES)


def test_refuse_overwrite_sees_through_spelling_and_links(tmp_path: Path, monkeypatch) -> None:
    source = tmp_path / "y.csv"
    source.write_text("label\n1\n")
    monkeypatch.chdir(tmp_path)
    message = "sub/../y.csv: is also an input; choose another output path."
    with pytest.raises(InputError, match=whole(message)):
        io.refuse_overwrite(Path("./sub/../y.csv"), [source])
    link = tmp_path / "link.csv"
    link.symlink_to(source)
    message = f"{link}: is also an input; choose another output path."
    with pytest.raises(InputError, match=whole(message)):
        io.refuse_overwrite(link, [source])
    io.refuse_overwrite(tmp_path / "other.csv", [source])


def test_outputs_get_the_usual_permissions_not_mkstemps_0600(tmp_path: Path) -> None:
    old_mask = os.umask(0o022)
    try:
        io.write_table(pd.DataFrame({"a": [1]}), tmp_path / "out.parquet")
        io.write_table({"a": np.arange(3)}, tmp_path / "columns.parquet")
        io.write_text("{}", tmp_path / "out.json")
    finally:
        os.umask(old_mask)
    for name in ("out.parquet", "columns.parquet", "out.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


def test_stdout_output_comes_whole_or_not_at_all(
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    """``-o -``: the bytes reach standard output only once the output is complete."""
    from labelaudit.io.paths import STDOUT, atomic_path, check_output_path, output_suffix

    with pytest.raises(RuntimeError), atomic_path(STDOUT) as tmp:
        tmp.write_text("row\n1\n")
        raise RuntimeError("the run fails half way")
    assert capsysbinary.readouterr().out == b"" and not tmp.exists()
    with atomic_path(STDOUT) as tmp:
        tmp.write_text("row\n1\n")
    assert capsysbinary.readouterr().out == b"row\n1\n" and not tmp.exists()
    assert output_suffix(STDOUT) == ".csv" and check_output_path(STDOUT, (".csv",)) == STDOUT
