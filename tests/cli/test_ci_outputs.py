"""``--junit-xml`` and ``--markdown`` on find-issues and health, from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from labelaudit.cli import app

CLASSES = ["<script>alert(1)</script>", "[/]", "\x1b[2J"]
N_ROWS = 150
runner = CliRunner()


@pytest.fixture
def inputs(tmp_path: Path) -> list[str]:
    """--labels/--probs arguments of a small noisy dataset with hostile class names."""
    rng = np.random.default_rng(11)
    true = rng.integers(0, len(CLASSES), N_ROWS)
    given = true.copy()
    flipped = rng.random(N_ROWS) < 0.15
    given[flipped] = (true[flipped] + 1) % len(CLASSES)
    logits = rng.normal(size=(N_ROWS, len(CLASSES)))
    logits[np.arange(N_ROWS), true] += 2.5
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    ids = [f"<i>{i}</i>" for i in range(N_ROWS)]
    labels = pd.DataFrame({"id": ids, "label": np.array(CLASSES, dtype=object)[given]})
    labels.to_csv(tmp_path / "labels.csv", index=False)
    columns = {name: probs[:, k] for k, name in enumerate(CLASSES)}
    pd.DataFrame({"id": ids, **columns}).to_parquet(tmp_path / "probs.parquet")
    return [
        "--labels", str(tmp_path / "labels.csv"), "--probs", str(tmp_path / "probs.parquet"),
        "--id-column", "id",
    ]  # fmt: skip


def suite(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    (testsuite,) = root.findall("testsuite")
    return testsuite


def test_health_writes_both_files_when_its_gate_fails(inputs: list[str], tmp_path: Path) -> None:
    junit, summary = tmp_path / "health.xml", tmp_path / "step_summary"  # no extension, like CI's
    result = runner.invoke(
        app,
        ["health", *inputs, "--max-noise-rate", "0.01", "--junit-xml", str(junit),
         "--markdown", str(summary), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: noise rate")
    testsuite = suite(junit)
    assert testsuite.get("name") == "labelaudit health"
    assert testsuite.get("tests") == str(2 + len(CLASSES))
    assert testsuite.get("failures") == "1" and testsuite.get("skipped") == "1"
    failure = testsuite.find("testcase[@name='max_noise_rate']/failure")
    assert failure is not None and "above --max-noise-rate 0.01" in failure.get("message")
    names = {case.get("name") for case in testsuite.iter("testcase")}
    assert {"class <script>alert(1)</script>", "class [/]", "class \\x1b[2J"} <= names
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## labelaudit health: ❌ failed\n")
    assert "&lt;script&gt;" in text and "<script>" not in text and "\x1b" not in text


def test_find_issues_writes_both_files(inputs: list[str], tmp_path: Path) -> None:
    junit, summary = tmp_path / "issues.xml", tmp_path / "summary.md"
    result = runner.invoke(
        app,
        ["find-issues", *inputs, "--fail-above", "0.5", "--junit-xml", str(junit),
         "--markdown", str(summary), "-o", str(tmp_path / "issues.csv"), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    gate, *class_cases = suite(junit).iter("testcase")
    assert gate.get("name") == "fail_above" and gate.find("failure") is None
    # One case per class: the rows flagged in it, equal to the written issues per given class.
    issues = pd.read_csv(tmp_path / "issues.csv", keep_default_na=False)
    labels = pd.read_csv(tmp_path / "labels.csv", keep_default_na=False)
    assert len(class_cases) == len(CLASSES)
    for case in class_cases:
        assert case.get("classname") == "labelaudit.find-issues.classes"
        assert case.find("failure") is None
    for name in CLASSES[:2]:  # printable names: the third is shown escaped
        (case,) = [c for c in class_cases if c.get("name") == f"class {name}"]
        flagged = int((issues["given_label"] == name).sum())
        rows = int((labels["label"] == name).sum())
        assert case.findtext("system-out").startswith(f"{flagged:,} of {rows:,} rows flagged")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## labelaudit find-issues: ✅ passed\n")
    assert "| row | id | given | predicted | quality |" in text
    assert "&lt;i&gt;" in text  # the hostile ids, escaped


def test_outputs_replace_an_existing_file_atomically(inputs: list[str], tmp_path: Path) -> None:
    junit = tmp_path / "old.xml"
    junit.write_text("stale", encoding="utf-8")
    result = runner.invoke(app, ["health", *inputs, "--junit-xml", str(junit), "--quiet"])
    assert result.exit_code == 0
    assert junit.read_text(encoding="utf-8").startswith("<?xml")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".old.xml")]


@pytest.mark.parametrize(
    ("command", "option", "target", "expected"),
    [
        pytest.param("health", "--junit-xml", "missing/x.xml", "does not exist", id="no-folder"),
        pytest.param("health", "--junit-xml", "x.txt", "unsupported output type", id="suffix"),
        pytest.param("health", "--markdown", "labels.csv", "is also an input", id="input"),
        pytest.param("find-issues", "--markdown", "issues.csv", "another output", id="same-as-o"),
        pytest.param("find-issues", "--junit-xml", "UNWRITABLE", "cannot write in", id="locked"),
    ],
)
def test_bad_output_paths_fail_before_any_work(
    inputs: list[str], tmp_path: Path, command: str, option: str, target: str, expected: str
) -> None:
    path = tmp_path / target
    if target == "UNWRITABLE":
        if os.geteuid() == 0:
            path = Path("/sys/labelaudit.xml")  # root ignores permission bits; sysfs refuses
        else:
            locked = tmp_path / "locked"
            locked.mkdir(mode=0o500)
            path = locked / "x.xml"
    before = sorted(p.name for p in tmp_path.iterdir())
    extra = ["-o", str(tmp_path / "issues.csv")] if command == "find-issues" else []
    result = runner.invoke(app, [command, *inputs, option, str(path), *extra])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {option}"), result.stderr
    assert expected in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written, not even -o


def test_exit_codes_from_the_installed_command(inputs: list[str], tmp_path: Path) -> None:
    junit = tmp_path / "gate.xml"
    command = [sys.executable, "-m", "labelaudit", "health", *inputs, "--max-class-noise-rate",
               "0.001", "--junit-xml", str(junit), "--quiet"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("Error: class")
    assert int(suite(junit).get("failures")) >= 2  # the gate and at least one class
