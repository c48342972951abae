"""Issue 11, item 10: inputs that are not regular files are read once; missing ids are refused.

A FIFO, ``/dev/stdin`` or ``<(...)`` used to hang (the readers open a file twice, and a pipe's
second open waits for a writer that is gone). Each is run on the real ``python -m labelaudit``
with a timeout, and must give the same output as the regular files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from labelaudit.cli import app
from labelaudit.io.streams import is_stream, read_once
from tests.cli.test_hardening_cli import ENV

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs need a POSIX system")

CLASSES = ["cat", "dog", "bird"]
TIMEOUT = 120


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """labels.csv, probs.npy, probs.parquet and data.csv of 300 noisy rows."""
    folder = tmp_path_factory.mktemp("streams")
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.full(3, 0.5), size=300)
    given = probs.argmax(axis=1)
    flipped = rng.random(300) < 0.2
    given[flipped] = (given[flipped] + 1) % 3
    names = np.array(CLASSES)[given]
    pd.DataFrame({"label": names}).to_csv(folder / "labels.csv", index=False)
    np.save(folder / "probs.npy", probs)
    pd.DataFrame({c: probs[:, k] for k, c in enumerate(CLASSES)}).to_parquet(
        folder / "probs.parquet"
    )
    pd.DataFrame({"x": np.arange(300), "label": names}).to_csv(folder / "data.csv", index=False)
    return folder


def run(folder: Path, *args: str | Path, stdin: object = None) -> subprocess.CompletedProcess:
    """The real ``python -m labelaudit ARGS`` in *folder*, failing the test if it hangs."""
    return subprocess.run(
        [sys.executable, "-m", "labelaudit", *map(str, args)],
        cwd=folder,
        capture_output=True,
        timeout=TIMEOUT,
        env=ENV,
        stdin=stdin,
    )


@pytest.fixture
def fifos(folder: Path, tmp_path: Path) -> Iterator[dict[str, Path]]:
    """FIFOs fed by ``cat`` once each: labels.csv, probs.npy and a suffix-less one of data.csv."""
    writers = []
    made = {}
    for name, source in (("labels.csv", "labels.csv"), ("probs.npy", "probs.npy"),
                         ("data", "data.csv")):  # fmt: skip
        fifo = tmp_path / name
        os.mkfifo(fifo)
        made[name] = fifo
        writers.append(subprocess.Popen(["sh", "-c", f"cat '{folder / source}' > '{fifo}'"]))
    yield made
    for writer in writers:
        if writer.poll() is None:
            writer.kill()
        writer.wait()


@pytest.mark.parametrize("command", ["find-issues", "health", "score"])
def test_fifo_inputs_are_read_once(folder: Path, fifos: dict[str, Path], command: str) -> None:
    classes = ("--classes", ",".join(CLASSES), "--json")
    expected = run(folder, command, "--labels", "labels.csv", "--probs", "probs.npy", *classes)
    done = run(folder, command, "--labels", fifos["labels.csv"], "--probs", fifos["probs.npy"],
               *classes)  # fmt: skip
    assert done.returncode == expected.returncode == 0, done.stderr.decode()
    assert done.stdout.replace(str(fifos["labels.csv"]).encode(), b"labels.csv").replace(
        str(fifos["probs.npy"]).encode(), b"probs.npy"
    ) == expected.stdout.replace(b"\\/", b"/")


def test_clean_reads_a_fifo_data_once(folder: Path, fifos: dict[str, Path], tmp_path: Path) -> None:
    expected = tmp_path / "expected.csv"
    cleaned = tmp_path / "cleaned.csv"
    base = ("--labels", "labels.csv", "--probs", "probs.npy", "--classes", ",".join(CLASSES), "-o")
    assert run(folder, "clean", "data.csv", *base, expected).returncode == 0
    done = run(folder, "clean", fifos["data"], *base, cleaned)
    assert done.returncode == 0, done.stderr.decode()
    assert cleaned.read_bytes() == expected.read_bytes()


def test_clean_errors_name_the_fifos_not_their_copies(
    folder: Path, fifos: dict[str, Path], tmp_path: Path
) -> None:
    issues = tmp_path / "issues.csv"
    os.mkfifo(issues)
    writer = subprocess.Popen(["sh", "-c", f"printf 'row,given_label\\n500,cat\\n' > '{issues}'"])
    try:
        done = run(folder, "clean", fifos["data"], "--issues", issues, "-o", tmp_path / "out.csv")
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait()
    message = done.stderr.decode()
    assert done.returncode == 2 and message.startswith(f"Error: {issues}: row 500 is outside")
    assert "labelaudit-streams" not in message and not (tmp_path / "out.csv").exists()


@pytest.mark.skipif(shutil.which("bash") is None, reason="process substitution needs bash")
def test_process_substitution_and_dev_stdin(folder: Path) -> None:
    expected = run(folder, "find-issues", "--labels", "labels.csv", "--probs", "probs.parquet")
    command = (
        f"'{sys.executable}' -m labelaudit find-issues --labels <(cat labels.csv) "
        "--probs <(cat probs.parquet)"  # no suffix: Parquet is recognised by its first bytes
    )
    substituted = subprocess.run(["bash", "-c", command], cwd=folder, capture_output=True,
                                 timeout=TIMEOUT, env=ENV)  # fmt: skip
    assert substituted.returncode == 0, substituted.stderr.decode()
    piped = subprocess.run(
        [sys.executable, "-m", "labelaudit", "find-issues", "--labels", "/dev/stdin",
         "--probs", "probs.parquet"],
        cwd=folder, input=(folder / "labels.csv").read_bytes(), capture_output=True,
        timeout=TIMEOUT, env=ENV,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr.decode()
    assert substituted.stdout == piped.stdout == expected.stdout


def test_same_fifo_twice_is_one_copy(folder: Path, fifos: dict[str, Path]) -> None:
    fifo = fifos["labels.csv"]
    assert is_stream(fifo) and not is_stream(folder / "labels.csv")
    copy = read_once(fifo)
    assert read_once(fifo) == copy and not is_stream(copy)
    assert copy.name == "labels.csv" and copy.read_bytes() == (folder / "labels.csv").read_bytes()
    assert read_once(folder / "labels.csv") == folder / "labels.csv"


# --- missing ids ------------------------------------------------------------------------------


def with_ids(folder: Path, labels_ids: pa.Array, probs_ids: pa.Array, suffix: str) -> None:
    """y and p tables in *folder*, with the given id columns."""
    rng = np.random.default_rng(0)
    n_rows = len(labels_ids)
    probs = rng.dirichlet(np.ones(3), size=n_rows)
    labels = pa.table({"id": labels_ids, "label": probs.argmax(axis=1)})
    table = pa.table({"id": probs_ids, **{c: probs[:, k] for k, c in enumerate("012")}})
    if suffix == ".parquet":
        pq.write_table(labels, folder / "y.parquet")
        pq.write_table(table, folder / "p.parquet")
    else:
        labels.to_pandas().to_csv(folder / "y.csv", index=False)
        table.to_pandas().to_csv(folder / "p.csv", index=False)


@pytest.mark.parametrize(
    ("ids", "suffix"),
    [
        pytest.param(["a", "b", None, "d", None], ".parquet", id="null-text"),
        pytest.param([0.0, 1.0, float("nan"), 3.0, 4.0], ".parquet", id="nan-float"),
        pytest.param([0.0, 1.0, None, 3.0, None], ".csv", id="empty-csv-cell"),
        pytest.param(["a", "b", " ", "d", "e"], ".parquet", id="blank-text"),
    ],
)
def test_missing_id_in_both_files_is_named(tmp_path: Path, ids: list, suffix: str) -> None:
    with_ids(tmp_path, pa.array(ids), pa.array(ids), suffix)
    result = CliRunner().invoke(
        app,
        ["find-issues", "--labels", str(tmp_path / f"y{suffix}"), "--probs",
         str(tmp_path / f"p{suffix}"), "--id-column", "id"],
    )  # fmt: skip
    message = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert message.startswith(f"Error: {tmp_path / f'y{suffix}'}: --id-column 'id'")
    assert "no id at row 2" in message and "nan vs nan" not in message.lower()
    assert len(result.output.strip().splitlines()) <= 2


def test_missing_id_in_probs_only_names_the_probs(tmp_path: Path) -> None:
    with_ids(tmp_path, pa.array(["a", "b", "c"]), pa.array(["a", None, "c"]), ".parquet")
    result = CliRunner().invoke(
        app,
        ["health", "--labels", str(tmp_path / "y.parquet"), "--probs",
         str(tmp_path / "p.parquet"), "--id-column", "id"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"{tmp_path / 'p.parquet'}: --id-column 'id' has no id at row 1" in " ".join(
        result.output.split()
    )
