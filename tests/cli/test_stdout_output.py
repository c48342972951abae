"""``-o -``: find-issues, score and predict write their CSV to standard output (issue 10).

Run as real processes, since standard output is the product: it must hold the CSV only, the
same bytes as ``-o file.csv``, and a reader that stops early (``| head``) ends the run quietly.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.cli.test_hardening_cli import ENV

TIMEOUT = 120


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """y.npy and p.npy (5,000 noisy rows, 3 classes) and features.csv for predict."""
    folder = tmp_path_factory.mktemp("stdout")
    rng = np.random.default_rng(7)
    probs = rng.dirichlet(np.full(3, 0.7), size=5000).astype(np.float32)
    labels = np.where(rng.random(5000) < 0.2, rng.integers(0, 3, 5000), probs.argmax(axis=1))
    np.save(folder / "p.npy", probs)
    np.save(folder / "y.npy", labels)
    features = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    features["label"] = np.where(features["a"] + rng.normal(size=300) > 0, "up", "down")
    features.to_csv(folder / "features.csv", index=False)
    return folder


def run(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "labelaudit", *args],
        cwd=folder, capture_output=True, timeout=TIMEOUT, env=ENV,
    )  # fmt: skip


AUDIT = ("--labels", "y.npy", "--probs", "p.npy")


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("find-issues", *AUDIT), id="find-issues"),
        pytest.param(("find-issues", *AUDIT, "--all-rows"), id="find-issues-all-rows"),
        pytest.param(("score", *AUDIT), id="score"),
        pytest.param(("predict", "features.csv", "--label-column", "label"), id="predict"),
    ],
)
def test_stdout_holds_the_same_csv_as_a_file(folder: Path, args: tuple[str, ...], tmp_path) -> None:
    written = tmp_path / "out.csv"
    assert run(folder, *args, "-o", str(written), "--quiet").returncode == 0
    piped = run(folder, *args, "-o", "-")
    assert piped.returncode == 0, piped.stderr.decode()
    assert piped.stdout == written.read_bytes()
    assert piped.stderr == b""  # no summary, no progress: the run is quiet


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ("find-issues", *AUDIT, "-o", "-", "--json"),
            "Error: -o - writes the flagged rows to standard output; drop --json.",
            id="find-issues-json",
        ),
        pytest.param(
            ("score", *AUDIT, "-o", "-", "--json"),
            "Error: -o - writes the scores to standard output; drop --json.",
            id="score-json",
        ),
        pytest.param(
            ("health", *AUDIT, "-o", "-"),
            "Error: -o/--output -: standard output takes CSV; this output is .json: give a file "
            "name.",
            id="health-json-only",
        ),
    ],
)
def test_what_stdout_cannot_take_is_refused(folder: Path, args, message: str) -> None:
    done = run(folder, *args)
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode().splitlines() == [message]


def test_a_reader_that_stops_early_ends_the_run_quietly(folder: Path) -> None:
    command = [sys.executable, "-m", "labelaudit", "find-issues", *AUDIT, "--all-rows", "-o", "-"]
    with subprocess.Popen(
        command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        header = process.stdout.readline()
        process.stdout.close()  # | head -1: the reader is gone, 5,000 rows still to come
        errors = process.stderr.read()
        assert process.wait(timeout=TIMEOUT) == 0
    assert header.startswith(b"row,given_label,")
    assert b"Traceback" not in errors and b"Error" not in errors


def test_a_failed_run_writes_nothing_to_stdout(folder: Path, tmp_path: Path) -> None:
    probs = np.load(folder / "p.npy")
    probs[4000, 0] = np.nan  # found only once most rows were read
    np.save(tmp_path / "bad.npy", probs)
    np.save(tmp_path / "y.npy", np.load(folder / "y.npy"))
    done = run(tmp_path, "find-issues", "--labels", "y.npy", "--probs", "bad.npy", "-o", "-")
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode().startswith("Error: bad.npy: row 4000")
