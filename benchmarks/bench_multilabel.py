"""Multi-label find-issues: labelaudit's core against cleanlab 2.9.0, each side a whole process.

Generates seeded inputs once into ``benchmarks/data/`` (an (N, K) uint8 label matrix and float32
per-class probabilities, reused while their parameters match), then runs each side as a child
of a small launcher that measures its wall time and peak RSS with ``os.wait4`` (as
``run_bench.py`` does), alternating sides for ``--rounds`` rounds. Each child loads the ``.npy``
files whole, finds the issues with the default filter and saves the (N,) mask; the cleanlab
child first turns the matrix into the list of label lists its API takes (part of a cleanlab
user's work, timed separately). Prints times, peak RSS, ratios labelaudit / cleanlab and
whether the masks are equal. Targets (issue 12): time ratio <= 0.2, RSS ratio <= 0.5.

    .venv/bin/python benchmarks/bench_multilabel.py                  # 1M x 20, one round
    .venv/bin/python benchmarks/bench_multilabel.py --rows 100000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA_DIR = HERE / "data"
OUT_DIR = HERE / "out"
GENERATOR_VERSION = 1
TIME_TARGET = 0.2
RSS_TARGET = 0.5

# Linux keeps ru_maxrss across execve, so children are started from this small launcher rather
# than from the harness (see run_bench.py); it prints the child's wall time and rusage as JSON.
LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "maxrss": usage.ru_maxrss,
                  "returncode": os.waitstatus_to_exitcode(status)}))
"""


def generate_inputs(n_rows: int, n_classes: int, seed: int) -> tuple[Path, Path]:
    """Write (or reuse) seeded ``labels.npy`` (uint8, (N, K)) and ``probs.npy`` (float32).

    Each class has a prevalence in [0.05, 0.4]; probabilities are sigmoids of gaussian logits
    shifted by +-2 around the true tags; 10% of true tags are dropped and about as many absent
    tags added; 10% of rows have no tags. Generated in chunks of 100k rows.
    """
    params = {"version": GENERATOR_VERSION, "n": n_rows, "k": n_classes, "seed": seed}
    folder = DATA_DIR / f"multilabel-{n_rows}x{n_classes}-seed{seed}"
    labels_path, probs_path, sidecar = (
        folder / "labels.npy",
        folder / "probs.npy",
        folder / "params.json",
    )
    if sidecar.is_file() and json.loads(sidecar.read_text()) == params:
        return labels_path, probs_path
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    prevalence = rng.uniform(0.05, 0.4, n_classes)
    shift = np.log(prevalence / (1 - prevalence))
    labels = np.lib.format.open_memmap(labels_path, "w+", np.uint8, (n_rows, n_classes))
    probs = np.lib.format.open_memmap(probs_path, "w+", np.float32, (n_rows, n_classes))
    for start in range(0, n_rows, 100_000):
        rows = slice(start, min(start + 100_000, n_rows))
        size = (rows.stop - rows.start, n_classes)
        true = rng.random(size) < prevalence
        logits = rng.normal(0.0, 1.0, size) + np.where(true, 2.0, -2.0) + shift
        given = true ^ (true & (rng.random(size) < 0.1))
        given |= ~true & (rng.random(size) < 0.1 * prevalence / (1 - prevalence))
        given[rng.random(size[0]) < 0.1] = False
        labels[rows] = given
        probs[rows] = 1 / (1 + np.exp(-logits))
    labels.flush()
    probs.flush()
    del labels, probs
    sidecar.write_text(json.dumps(params))
    return labels_path, probs_path


def child(side: str, labels_path: str, probs_path: str, out: str) -> None:
    """One side's work: load, find issues (default filter), save the mask and timings."""
    started = time.perf_counter()
    labels = np.load(labels_path)
    pred_probs = np.load(probs_path)
    timings = {"load": time.perf_counter() - started}
    if side == "labelaudit":
        from labelaudit.core.multilabel import find_multilabel_issues

        started = time.perf_counter()
        mask = find_multilabel_issues(labels, pred_probs)
    else:
        from cleanlab.multilabel_classification.filter import find_label_issues

        started = time.perf_counter()
        label_lists = [np.flatnonzero(row).tolist() for row in labels]
        timings["to_lists"] = time.perf_counter() - started
        started = time.perf_counter()
        mask = find_label_issues(label_lists, pred_probs)
    timings["find"] = time.perf_counter() - started
    np.save(out, mask)
    Path(out).with_suffix(".json").write_text(json.dumps(timings))


def measure(argv: list[str]) -> dict:
    """Run *argv* under the launcher: wall seconds, peak RSS (MiB), in-process timings."""
    with tempfile.TemporaryFile(mode="w+b") as err:
        launched = subprocess.run(
            [sys.executable, "-I", "-c", LAUNCHER, *argv],
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=REPO,
            check=False,
        )
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    report = json.loads(launched.stdout) if launched.returncode == 0 else {"returncode": -1}
    if report["returncode"] != 0:
        raise RuntimeError(f"{argv[2]} failed:\n{stderr[-2000:]}")
    report["rss_mib"] = report.pop("maxrss") / 1024  # KiB on Linux
    report["timings"] = json.loads(Path(argv[-1]).with_suffix(".json").read_text())
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", nargs=4, metavar=("SIDE", "LABELS", "PROBS", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0

    labels_path, probs_path = generate_inputs(args.rows, args.classes, args.seed)
    for path in (labels_path, probs_path):  # warm the page cache for both sides alike
        path.read_bytes()
    OUT_DIR.mkdir(exist_ok=True)
    runs: dict[str, list[dict]] = {"labelaudit": [], "cleanlab": []}
    for round_index in range(args.rounds):
        for side in runs:
            out = OUT_DIR / f"multilabel-{side}.npy"
            argv = [sys.executable, str(Path(__file__).resolve()), "--child", side]
            runs[side].append(measure([*argv, str(labels_path), str(probs_path), str(out)]))
            run = runs[side][-1]
            print(
                f"round {round_index + 1} {side:10s} wall {run['seconds']:7.2f} s  "
                f"peak RSS {run['rss_mib']:7.0f} MiB  in-process {run['timings']}",
                flush=True,
            )

    def median(side: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[side])

    def median_find(side: str) -> float:
        return statistics.median(run["timings"]["find"] for run in runs[side])

    ours = np.load(OUT_DIR / "multilabel-labelaudit.npy")
    theirs = np.load(OUT_DIR / "multilabel-cleanlab.npy")
    time_ratio = median("labelaudit", "seconds") / median("cleanlab", "seconds")
    find_ratio = median_find("labelaudit") / median_find("cleanlab")
    rss_ratio = median("labelaudit", "rss_mib") / median("cleanlab", "rss_mib")
    print(f"\n{args.rows} rows x {args.classes} classes, float32, {args.rounds} round(s), medians")
    for side in runs:
        print(
            f"  {side:10s} process {median(side, 'seconds'):7.2f} s, find call "
            f"{median_find(side):7.2f} s, peak RSS {median(side, 'rss_mib'):7.0f} MiB"
        )
    print(f"  time ratio (process) {time_ratio:.3f}  target <= {TIME_TARGET}")
    print(f"  time ratio (find call only) {find_ratio:.3f}")
    print(f"  peak RSS ratio {rss_ratio:.3f}  target <= {RSS_TARGET}")
    equal = ours.shape == theirs.shape and bool((ours == theirs).all())
    print(f"  masks equal: {equal} ({int(ours.sum())} vs {int(theirs.sum())} rows flagged)")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
