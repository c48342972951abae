"""Issue 11, item 2: health and find-issues at 20,000 classes stay far below 1 GB, sane JSON.

The real ``python -m labelaudit health`` in a subprocess under a 4 GB address-space cap, its
peak RSS read from ``getrusage`` (the old code took 24 GB here and was killed). Each run takes
about two seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.cli.test_hardening_health import MEASURE

N_CLASSES = 20_000


@pytest.fixture(scope="module")
def one_row(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("many_classes")
    probs = np.zeros((1, N_CLASSES))
    probs[0, 3] = 1.0
    np.save(folder / "y.npy", np.array([3]))
    np.save(folder / "p.npy", probs)
    return folder


def measured(folder: Path, *args: str) -> tuple[dict, int]:
    """The JSON document and the peak RSS (KiB) of ``health --json ARGS``."""
    command = [sys.executable, "-c", MEASURE, sys.executable, "-m", "labelaudit", "health",
               "--labels", str(folder / "y.npy"), "--probs", str(folder / "p.npy"), "--json",
               *args]  # fmt: skip
    done = subprocess.run(command, capture_output=True, timeout=300, check=False)
    stderr = done.stderr.decode()
    assert "RC=0" in stderr, stderr
    assert len(done.stdout) < 10_000_000  # per-class rows (20,000 of them), no K^2 listing
    return json.loads(done.stdout), int(stderr.split("PEAK_KB=")[1].split()[0])


def test_twenty_thousand_classes_one_row(one_row: Path) -> None:
    document, peak_kb = measured(one_row)
    assert peak_kb < 1024 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"
    assert len(document["classes"]) == N_CLASSES and len(document["overlapping_classes"]) == 10
    assert document["n_class_pairs"] == N_CLASSES * (N_CLASSES - 1) // 2
    assert document["noise_matrix"] is None
    assert document["counts"]["find_issues"]["value"] == 0  # pruning is sparse too


def test_all_pairs_with_many_classes_lists_only_overlapping_pairs(one_row: Path) -> None:
    document, peak_kb = measured(one_row, "--all-pairs")
    assert peak_kb < 1024 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"
    assert document["overlapping_classes"] == []  # one row: no two classes overlap
    assert "joint probability of 0 are not listed" in document["overlapping_classes_omitted"]
    assert document["noise_matrix"] is None
    assert "even with --all-pairs" in document["noise_matrix_omitted"]


def test_find_issues_with_many_classes(one_row: Path) -> None:
    inputs = ["--labels", str(one_row / "y.npy"), "--probs", str(one_row / "p.npy"), "--json"]
    command = [sys.executable, "-c", MEASURE, sys.executable, "-m", "labelaudit", "find-issues",
               *inputs]  # fmt: skip
    done = subprocess.run(command, capture_output=True, timeout=300, check=False)
    stderr = done.stderr.decode()
    assert "RC=0" in stderr, stderr
    assert int(stderr.split("PEAK_KB=")[1].split()[0]) < 1024 * 1024
    assert json.loads(done.stdout)["n_label_issues"] == 0
