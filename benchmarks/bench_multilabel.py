"""Multi-label find-issues: the installed ``labelaudit`` command against cleanlab 2.9.0.

Generates seeded inputs once into ``benchmarks/data/`` (an (N, K) uint8 label matrix and float32
per-class probabilities, reused while their parameters match), then runs each side as a child
of a small launcher that measures its wall time and peak RSS with ``os.wait4`` (as
``run_bench.py`` does), alternating sides for ``--rounds`` rounds. The labelaudit side is the
product: ``labelaudit find-issues --multi-label --labels labels.npy --probs probs.npy -o
issues.parquet --quiet`` (reading, validation, issues, ranking and the written output). The
cleanlab side loads the ``.npy`` files whole, turns the matrix into the list of label lists its
API takes (part of a cleanlab user's work, timed separately), calls
``multilabel_classification.filter.find_label_issues`` ranked by self-confidence and saves the
mask. Prints times, peak RSS, ratios labelaudit / cleanlab and whether the flagged rows are the
same; with ``--write``, replaces the multi-label section of ``benchmarks/RESULTS.md``. Targets
(issue 12): time ratio <= 0.2, RSS ratio <= 0.5. ``make bench`` runs it after ``run_bench.py``.

    .venv/bin/python benchmarks/bench_multilabel.py                  # 1M x 20, one round
    .venv/bin/python benchmarks/bench_multilabel.py --rows 100000 --rounds 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
LABELAUDIT = Path(sys.executable).parent / "labelaudit"
RESULTS = HERE / "RESULTS.md"
SECTION = "<!-- multilabel benchmark (benchmarks/bench_multilabel.py) -->"
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


def child(labels_path: str, probs_path: str, out: str) -> None:
    """The cleanlab side: load, find issues (default filter, ranked), save the ranked rows."""
    from cleanlab.multilabel_classification.filter import find_label_issues

    started = time.perf_counter()
    labels = np.load(labels_path)
    pred_probs = np.load(probs_path)
    timings = {"load": time.perf_counter() - started}
    started = time.perf_counter()
    label_lists = [np.flatnonzero(row).tolist() for row in labels]
    timings["to_lists"] = time.perf_counter() - started
    started = time.perf_counter()
    ranked = find_label_issues(label_lists, pred_probs, return_indices_ranked_by="self_confidence")
    timings["find"] = time.perf_counter() - started
    np.save(out, ranked)
    Path(out).with_suffix(".json").write_text(json.dumps(timings))


def labelaudit_argv(labels_path: Path, probs_path: Path, out: Path) -> list[str]:
    """The product run: the installed command on the ``.npy`` inputs."""
    return [
        str(LABELAUDIT),
        "find-issues",
        "--multi-label",
        "--labels",
        str(labels_path),
        "--probs",
        str(probs_path),
        "-o",
        str(out),
        "--quiet",
    ]


def cleanlab_argv(labels_path: Path, probs_path: Path, out: Path) -> list[str]:
    script = str(Path(__file__).resolve())
    return [sys.executable, script, "--child", str(labels_path), str(probs_path), str(out)]


def ranked_rows(side: str) -> np.ndarray:
    """The flagged rows, most likely errors first, as each side wrote them."""
    if side == "labelaudit":
        import pyarrow.parquet as pq

        table = pq.read_table(OUT_DIR / "multilabel-labelaudit.parquet", columns=["row"])
        return table.column("row").to_numpy()
    return np.load(OUT_DIR / "multilabel-cleanlab.npy")


def measure(argv: list[str], out: Path) -> dict:
    """Run *argv* under the launcher: wall seconds, peak RSS (MiB), in-process timings if any."""
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
        raise RuntimeError(f"{' '.join(argv[:3])} failed:\n{stderr[-2000:]}")
    report["rss_mib"] = report.pop("maxrss") / 1024  # KiB on Linux
    timings = out.with_suffix(".json")
    report["timings"] = json.loads(timings.read_text()) if timings.is_file() else {}
    return report


def write_section(text: str) -> None:
    """Replace (or append) the multi-label section of RESULTS.md, leaving the rest as it is."""
    current = RESULTS.read_text() if RESULTS.is_file() else ""
    kept = current.split(SECTION)[0].rstrip()
    RESULTS.write_text(f"{kept}\n\n{SECTION}\n{text}\n" if kept else f"{SECTION}\n{text}\n")


def summary(args: argparse.Namespace, runs: dict[str, list[dict]]) -> tuple[str, bool]:
    """The markdown summary of the medians and ratios; whether the flagged rows are the same."""

    def median(side: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[side])

    ours, theirs = ranked_rows("labelaudit"), ranked_rows("cleanlab")
    equal = ours.shape == theirs.shape and bool((ours == theirs).all())
    time_ratio = median("labelaudit", "seconds") / median("cleanlab", "seconds")
    rss_ratio = median("labelaudit", "rss_mib") / median("cleanlab", "rss_mib")
    cleanlab_find = statistics.median(run["timings"]["find"] for run in runs["cleanlab"])
    lines = [
        f"## Multi-label find-issues, {args.rows:,} rows x {args.classes} classes",
        "",
        "`make bench` (`benchmarks/bench_multilabel.py`), measured "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {args.rounds} round(s), medians. "
        "labelaudit: the installed `labelaudit find-issues --multi-label` on `.npy` inputs, "
        "writing the ranked issues to Parquet; cleanlab 2.9.0: load, label lists, "
        "`multilabel_classification.filter.find_label_issues` ranked by self-confidence. "
        f"Load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}.",
        "",
        "| side | wall s | peak RSS MiB |",
        "|---|--:|--:|",
        f"| labelaudit (CLI, whole process) | {median('labelaudit', 'seconds'):.2f} | "
        f"{median('labelaudit', 'rss_mib'):.0f} |",
        f"| cleanlab (whole process; find call {cleanlab_find:.2f} s) | "
        f"{median('cleanlab', 'seconds'):.2f} | {median('cleanlab', 'rss_mib'):.0f} |",
        "",
        f"- time ratio {time_ratio:.3f} (target <= {TIME_TARGET}: "
        f"{'met' if time_ratio <= TIME_TARGET else 'NOT met'})",
        f"- peak RSS ratio {rss_ratio:.3f} (target <= {RSS_TARGET}: "
        f"{'met' if rss_ratio <= RSS_TARGET else 'NOT met'})",
        f"- same ranked rows: {equal} ({ours.shape[0]} vs {theirs.shape[0]} rows flagged)",
    ]
    return "\n".join(lines), equal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    parser.add_argument("--child", nargs=3, metavar=("LABELS", "PROBS", "OUT"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    if not LABELAUDIT.exists():
        print(f"Error: {LABELAUDIT} not found; run `make venv` first.", file=sys.stderr)
        return 2

    labels_path, probs_path = generate_inputs(args.rows, args.classes, args.seed)
    for path in (labels_path, probs_path):  # warm the page cache for both sides alike
        path.read_bytes()
    OUT_DIR.mkdir(exist_ok=True)
    outputs = {
        "labelaudit": OUT_DIR / "multilabel-labelaudit.parquet",
        "cleanlab": OUT_DIR / "multilabel-cleanlab.npy",
    }
    builders = {"labelaudit": labelaudit_argv, "cleanlab": cleanlab_argv}
    runs: dict[str, list[dict]] = {"labelaudit": [], "cleanlab": []}
    for round_index in range(args.rounds):
        for side in runs:
            out = outputs[side]
            runs[side].append(measure(builders[side](labels_path, probs_path, out), out))
            run = runs[side][-1]
            print(
                f"round {round_index + 1} {side:10s} wall {run['seconds']:7.2f} s  "
                f"peak RSS {run['rss_mib']:7.0f} MiB  in-process {run['timings']}",
                flush=True,
            )
    text, equal = summary(args, runs)
    print("\n" + text)
    if args.write:
        write_section(text)
        print(f"wrote {RESULTS.relative_to(REPO)}")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
