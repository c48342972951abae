"""Hardening of the CLI (issue 11, items 1, 3 and 8): hostile strings and bad inputs.

Every case runs the real ``python -m labelaudit`` (exit codes and bytes as a shell sees them).
The bad-input catalogue, :data:`BAD_INPUTS`, lists each refused input with the words the
``Error:`` line must contain; every one must exit 2 with one plain line, no traceback, no
"This may be a bug" and no raw escape byte. Signals, pipes and full disks are in
``test_hardening_cli_runtime.py``, which shares the helpers defined here.
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

HOSTILE_CLASSES = ["[/]", "[link=http://x]y[/link]", "[bold]x", "\x1b[2J\r\x07evil"]
"""Class names that are rich markup or terminal control sequences."""

SHOWN_AS = ["[/]", "[link=http://x]y[/link]", "[bold]x", "\\x1b[2J\\x0d\\x07evil"]
"""How each of :data:`HOSTILE_CLASSES` must appear in human output."""

ENV = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "LC_ALL": "C.UTF-8"}
"""Wide enough that no cell is cut; no colour, so any ESC byte on the output comes from data."""


def labelaudit(folder: Path, *args: str | Path, **kwargs: object) -> subprocess.CompletedProcess:
    """Run the real ``python -m labelaudit ARGS`` in *folder*; bytes in and out."""
    return subprocess.run(
        [sys.executable, "-m", "labelaudit", *map(str, args)],
        cwd=folder,
        capture_output=True,
        timeout=300,
        env=ENV,
        **kwargs,  # type: ignore[arg-type]
    )


def default_signals() -> None:
    """``preexec_fn``: the child starts with default signal handling, whatever pytest set."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)


def noisy_dataset(folder: Path, classes: list[str], n_rows: int, seed: int = 0) -> None:
    """``y.parquet``, ``p.parquet``, ``data.parquet`` (with an ``id`` column) in *folder*."""
    rng = np.random.default_rng(seed)
    n_classes = len(classes)
    true = rng.integers(0, n_classes, n_rows)
    given = true.copy()
    flipped = rng.random(n_rows) < 0.15
    given[flipped] = (true[flipped] + 1) % n_classes
    logits = rng.normal(size=(n_rows, n_classes))
    logits[np.arange(n_rows), true] += 2.5
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    ids = [f"[red]r{i}\x1b[0m" for i in range(n_rows)]
    names = np.array(classes, dtype=object)[given]
    pd.DataFrame({"id": ids, "label": names}).to_parquet(folder / "y.parquet")
    pd.DataFrame({c: probs[:, k] for k, c in enumerate(classes)}).to_parquet(folder / "p.parquet")
    pd.DataFrame({"id": ids, "x": rng.normal(size=n_rows), "label": names}).to_parquet(
        folder / "data.parquet"
    )
    np.save(folder / "y.npy", given)
    np.save(folder / "p.npy", probs)


def write_npy_header(path: Path, header: str, payload: bytes = b"") -> None:
    """A version 1.0 ``.npy`` file with *header* (a dict literal) and *payload* after it."""
    text = header.encode("latin1")
    padding = 64 - (10 + len(text) + 1) % 64
    text += b" " * padding + b"\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + payload)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if not value:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def claim_rows(source: Path, target: Path, n_rows: int, claimed: int) -> None:
    """Copy the Parquet file *source* to *target* with its footer claiming *claimed* rows.

    In the footer (Thrift compact protocol), the file's, the row group's and the column chunk's
    counts are each an i64 field following field 2 (header byte 0x16) holding *n_rows* as a
    zigzag varint; they are replaced and the footer length updated. Data pages are unchanged.
    """
    raw = source.read_bytes()
    footer_length = struct.unpack("<I", raw[-8:-4])[0]
    footer = raw[-8 - footer_length : -8]
    old = b"\x16" + _varint(n_rows << 1)
    assert old in footer, "the row count was not found in the footer"
    footer = footer.replace(old, b"\x16" + _varint(claimed << 1))
    target.write_bytes(
        raw[: -8 - footer_length] + footer + struct.pack("<I", len(footer)) + b"PAR1"
    )


def assert_plain_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit 2 with an ``Error:`` line holding every fragment; no traceback, bug hint or ESC."""
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert stderr.startswith("Error: "), stderr
    for fragment in fragments:
        assert fragment in stderr, stderr
    assert "Traceback" not in stderr and "may be a bug" not in stderr, stderr
    assert b"\x1b" not in result.stderr + result.stdout
    return stderr


# --- 1. data is text, never markup ---------------------------------------------------------


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A dataset whose classes and ids are rich markup and terminal control sequences."""
    noisy_dataset(tmp_path, HOSTILE_CLASSES, 300)
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(
            ["find-issues", "--labels", "y.parquet", "--probs", "p.parquet", "--id-column", "id"],
            id="find-issues",
        ),
        pytest.param(
            ["find-issues", "--labels", "y.parquet", "--probs", "p.parquet", "-o", "[bold]o.csv"],
            id="find-issues-output-path",
        ),
        pytest.param(
            ["score", "--labels", "y.parquet", "--probs", "p.parquet", "--id-column", "id"],
            id="score",
        ),
        pytest.param(["health", "--labels", "y.parquet", "--probs", "p.parquet"], id="health"),
        pytest.param(
            ["clean", "data.parquet", "--probs", "p.parquet", "-o", "clean.parquet"], id="clean"
        ),
        pytest.param(
            ["clean", "data.parquet", "--probs", "p.parquet", "-o", "c.csv", "--action", "relabel"],
            id="clean-relabel",
        ),
    ],
)
def test_class_names_and_ids_are_shown_literally(hostile: Path, args: list[str]) -> None:
    result = labelaudit(hostile, *args)
    stdout = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    assert b"\x1b" not in result.stdout + result.stderr  # nothing reaches the terminal raw
    assert b"\r" not in result.stdout and b"\x07" not in result.stdout
    for shown in SHOWN_AS:
        assert shown in stdout, (shown, stdout)
    if "--id-column" in args:
        assert "[red]r" in stdout and "\\x1b[0m" in stdout
    if "[bold]o.csv" in args:
        assert "Wrote [bold]o.csv" in stdout


def test_warnings_show_their_text_literally(capsys: pytest.CaptureFixture[str]) -> None:
    from labelaudit.report import terminal

    terminal.warn("class [/] and [bold]x and \x1b[2J", quiet=False)
    err = capsys.readouterr().err
    assert "Warning: class [/] and [bold]x and \\x1b[2J" in err
    assert "\x1b" not in err


def test_printable_makes_every_control_character_visible() -> None:
    from labelaudit.errors import printable

    assert printable("[/] [bold]x café 猫") == "[/] [bold]x café 猫"
    assert printable("\x1b[2J\r\x07\t\x00\x7f\x9b") == "\\x1b[2J\\x0d\\x07\\x09\\x00\\x7f\\x9b"
    assert printable("a\u202eb\u2028c") == "a\\u202eb\\u2028c"
    assert printable("one\ntwo\x1b", keep_newlines=True) == "one\ntwo\\x1b"
    assert printable("one\ntwo") == "one\\x0atwo"


# --- the bad-input catalogue ---------------------------------------------------------------


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """Plain inputs, and crafted bad ones, in one folder."""
    noisy_dataset(tmp_path, ["a", "b", "c"], 300)
    write_npy_header(
        tmp_path / "huge.npy",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }",
        b"\0" * 64,
    )
    write_npy_header(
        tmp_path / "huge_probs.npy",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (50000000000, 2), }",
        b"\0" * 64,
    )
    for name in ("y", "p"):
        raw = (tmp_path / f"{name}.npy").read_bytes()
        (tmp_path / f"truncated_{name}.npy").write_bytes(raw[: len(raw) - 100])
        claim_rows(tmp_path / f"{name}.parquet", tmp_path / f"huge_{name}.parquet", 300, 2**50)
    (tmp_path / "folder.parquet").mkdir()
    pd.DataFrame({"x": np.arange(40.0), "label": ["a", "b"] * 20}).to_csv(
        tmp_path / "features.csv", index=False
    )
    return tmp_path


FIND = ["find-issues", "--labels", "y.parquet", "--probs", "p.parquet"]
HEALTH = ["health", "--labels", "y.parquet", "--probs", "p.parquet"]

BAD_INPUTS = [
    # 3. thresholds: NaN would turn a CI gate off; infinities and values outside [0, 1] too.
    pytest.param(
        [*HEALTH, "--max-noise-rate", "nan"], "'--max-noise-rate'", id="nan-max-noise-rate"
    ),
    pytest.param(
        [*HEALTH, "--max-noise-rate", "NaN"], "not a finite number", id="NaN-max-noise-rate"
    ),
    pytest.param(
        [*HEALTH, "--max-class-noise-rate", "nan"],
        "'--max-class-noise-rate'",
        id="nan-max-class-noise-rate",
    ),
    pytest.param([*FIND, "--fail-above", "nan"], "'--fail-above'", id="nan-fail-above"),
    pytest.param([*FIND, "--frac-noise", "nan"], "'--frac-noise'", id="nan-frac-noise"),
    pytest.param(
        [*HEALTH, "--max-noise-rate", "inf"], "'--max-noise-rate'", id="inf-max-noise-rate"
    ),
    pytest.param([*FIND, "--fail-above", "-inf"], "'--fail-above'", id="minus-inf-fail-above"),
    pytest.param([*FIND, "--frac-noise", "inf"], "'--frac-noise'", id="inf-frac-noise"),
    pytest.param(
        [*HEALTH, "--max-class-noise-rate", "1.5"],
        "'--max-class-noise-rate'",
        id="above-one-max-class-noise-rate",
    ),
    pytest.param([*FIND, "--fail-above", "-0.1"], "'--fail-above'", id="negative-fail-above"),
    pytest.param([*FIND, "--frac-noise", "0"], "'--frac-noise'", id="zero-frac-noise"),
    # 8. files that claim more than they hold: refused before anything is allocated or mapped.
    pytest.param(
        ["score", "--labels", "huge.npy", "--probs", "p.npy"],
        ("huge.npy: truncated or corrupt", "(745 GiB)"),
        id="npy-labels-header-745-gib",
    ),
    pytest.param(
        ["score", "--labels", "y.npy", "--probs", "huge_probs.npy"],
        ("huge_probs.npy: truncated or corrupt", "(745 GiB)"),
        id="npy-probs-header-745-gib",
    ),
    pytest.param(
        ["score", "--labels", "truncated_y.npy", "--probs", "p.npy"],
        "truncated_y.npy: truncated or corrupt",
        id="npy-labels-truncated",
    ),
    pytest.param(
        ["score", "--labels", "y.npy", "--probs", "truncated_p.npy"],
        "truncated_p.npy: truncated or corrupt",
        id="npy-probs-truncated-memory-mapped",
    ),
    pytest.param(
        ["score", "--labels", "huge_y.parquet", "--probs", "p.parquet"],
        "huge_y.parquet: too large to read into memory: it declares 1,125,899,906,842,624 rows",
        id="parquet-labels-declares-2**50-rows",
    ),
    pytest.param(
        ["score", "--labels", "y.parquet", "--probs", "huge_p.parquet"],
        "huge_p.parquet: too large",
        id="parquet-probs-declares-2**50-rows",
    ),
    # 8. predict -o a folder: refused before the features are even read (missing.csv).
    pytest.param(
        ["predict", "missing.csv", "--label-column", "label", "-o", "folder.parquet"],
        "folder.parquet: is a folder",
        id="predict-output-is-a-folder",
    ),
    pytest.param(
        ["predict", "features.csv", "--label-column", "label", "-o", "folder.parquet"],
        "folder.parquet: is a folder",
        id="predict-output-is-a-folder-valid-features",
    ),
    # 1. error lines quote data: shown, never obeyed.
    pytest.param(
        ["score", "--labels", "y\x1b[2J.parquet", "--probs", "p.parquet"],
        "y\\x1b[2J.parquet: no file matches this pattern",
        id="escape-in-missing-path",
    ),
    pytest.param(
        [*FIND, "--id-column", "\x1b]0;owned\x07"],
        "\\x1b]0;owned\\x07",
        id="escape-in-id-column",
    ),
    pytest.param(
        [*FIND, "--filter-by", "\x1b[2Jx"],
        "'--filter-by'",
        id="escape-in-choice",
    ),
]


@pytest.mark.parametrize(("args", "expected"), BAD_INPUTS)
def test_bad_input_is_one_plain_error_line(
    inputs: Path, args: list[str], expected: str | tuple[str, ...]
) -> None:
    fragments = (expected,) if isinstance(expected, str) else expected
    assert_plain_error(labelaudit(inputs, *args), *fragments)
