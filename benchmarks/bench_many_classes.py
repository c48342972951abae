"""Peak RSS of health, score and find-issues with many classes (issue 11, item 2).

Each run is ``python -m labelaudit COMMAND --labels y.npy --probs p.npy --json`` in a child
process; its peak RSS comes from ``os.wait4`` (the child's own ``ru_maxrss``). Inputs: one
row, or rows of a sharp Dirichlet (most rows confident in one class) with 20% of the labels
flipped, float64. Prints one line per run and the load average.

Usage::

    python benchmarks/bench_many_classes.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CASES = ((20_000, 1), (20_000, 1_000), (2_000, 10_000))


def write_case(folder: Path, n_classes: int, n_rows: int) -> tuple[Path, Path]:
    """``y.npy`` and ``p.npy`` of *n_rows* rows and *n_classes* classes in *folder*."""
    rng = np.random.default_rng(0)
    if n_rows == 1:
        probs = np.zeros((1, n_classes))
        probs[0, 3] = 1.0
        labels = np.array([3])
    else:
        probs = rng.dirichlet(np.full(n_classes, 0.01), size=n_rows)
        labels = probs.argmax(axis=1)
        flipped = rng.random(n_rows) < 0.2
        labels[flipped] = rng.integers(0, n_classes, int(flipped.sum()))
    labels_path = folder / f"y_{n_classes}_{n_rows}.npy"
    probs_path = folder / f"p_{n_classes}_{n_rows}.npy"
    np.save(labels_path, labels)
    np.save(probs_path, probs)
    return labels_path, probs_path


def peak_rss(command: list[str]) -> tuple[int, float, int, int]:
    """(peak RSS in KiB, seconds, exit status, stdout bytes) of *command*."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        size = out.tell()
    return usage.ru_maxrss, elapsed, os.waitstatus_to_exitcode(status), size


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    commands = [("health", ()), ("health", ("--all-pairs",)), ("score", ()), ("find-issues", ())]
    with tempfile.TemporaryDirectory(prefix="bench-many-classes-") as folder:
        for n_classes, n_rows in CASES:
            labels, probs = write_case(Path(folder), n_classes, n_rows)
            for name, extra in commands:
                command = [sys.executable, "-m", "labelaudit", name, "--labels", str(labels),
                           "--probs", str(probs), "--json", *extra]  # fmt: skip
                rss, seconds, code, size = peak_rss(command)
                print(
                    f"{name:<11} {' '.join(extra):<11} K={n_classes:>6,} N={n_rows:>6,}  "
                    f"peak RSS {rss / 1024:8.0f} MB  {seconds:6.1f} s  exit {code}  "
                    f"JSON {size / 1e6:6.2f} MB  load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
