"""``make bench``: labelaudit against cleanlab 2.9.0, each run as a whole process.

Generates seeded inputs once into ``benchmarks/data/`` (reused while their parameters match),
then, per size, alternates ``labelaudit COMMAND ... --quiet`` with
``benchmarks/cleanlab_baseline.py`` for ``--rounds`` rounds, measuring each child's wall time and
peak RSS (``os.wait4``). Reports the medians and the ratios labelaudit / cleanlab against the
targets of issue 5, checks that both found the same result, prints a markdown table on stdout
and writes it to ``benchmarks/RESULTS.md``.

    .venv/bin/python benchmarks/run_bench.py                 # the full benchmark (about 30 minutes)
    .venv/bin/python benchmarks/run_bench.py --quick         # sizes / 100, a smoke test
    .venv/bin/python benchmarks/run_bench.py --sizes 1Mx100 --rounds 5 --no-write
    .venv/bin/python benchmarks/run_bench.py --sizes 10Mx10,parquet10Mx10  # a subset

Sizes with a mode prefix (``parquet``, ``npy``, ``dataset``) are issue 10's source benchmarks
(see ``benchmarks/bench_sources.py``), in the default sizes since their targets are part of
``make bench``; the 100M-row ones need about 9 GB of disk.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_sources  # a sibling module (benchmarks/ is not a package)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA_DIR = HERE / "data"
OUT_DIR = HERE / "out"
RESULTS = HERE / "RESULTS.md"
BASELINE = HERE / "cleanlab_baseline.py"
BIN = Path(sys.executable).parent
LABELAUDIT = BIN / "labelaudit"

GENERATOR_VERSION = 1
DEFAULT_SIZES = "10Mx10,1Mx100,100kx1000,parquet10Mx10,npy100Mx10,dataset100Mx10"
SMALL_ROWS, SMALL_CLASSES = 500, 5
# Issue 5's targets, ratios labelaudit / cleanlab (medians of the same run).
TIME_TARGETS = {"10Mx10": 0.2, "1Mx100": 0.3, "100kx1000": 0.2}
AUX_TIME_TARGET = 0.3  # score and health at 10M x 10
RSS_TARGET = 0.5
HELP_TARGET_S = 0.25
SMALL_TARGET_S = 0.5
QUALITY_TOL = 1e-6


# --- inputs ------------------------------------------------------------------------------------


def parse_size(text: str) -> tuple[int, int]:
    """``"10Mx10"`` -> ``(10_000_000, 10)``; suffixes k and M, case-insensitive."""
    rows_text, _, classes_text = text.strip().lower().partition("x")
    scale = {"k": 1_000, "m": 1_000_000}.get(rows_text[-1:], 1)
    rows = rows_text[:-1] if scale > 1 else rows_text
    if not rows or not classes_text:
        raise ValueError(f"bad size '{text}': use ROWSxCLASSES such as 10Mx10 or 100kx1000")
    return int(float(rows) * scale), int(classes_text)


def size_name(n: int, k: int) -> str:
    """``(10_000_000, 10)`` -> ``"10Mx10"`` (inverse of :func:`parse_size` for round numbers)."""
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}Mx{k}"
    if n % 1_000 == 0:
        return f"{n // 1_000}kx{k}"
    return f"{n}x{k}"


@dataclass(frozen=True)
class Dataset:
    """Paths of one generated input: integer labels and float32 (N, K) probabilities."""

    name: str
    n: int
    k: int
    labels: Path
    probs: Path


def generate_inputs(
    n: int,
    k: int,
    *,
    seed: int = 0,
    flip_fraction: float = 0.2,
    data_dir: Path = DATA_DIR,
    chunk_elements: int = 4_000_000,
) -> Dataset:
    """Write (or reuse) seeded ``labels.npy`` (int64) and ``probs.npy`` (float32) for N x K.

    Probabilities are a softmax of gaussian logits with the true class boosted by a random margin;
    ``flip_fraction`` of the given labels are flipped to another class. Rows are normalised in
    float64 and cast to float32 chunk by chunk, so memory stays small and rows sum to 1 within
    float32 precision. A ``params.json`` sidecar records the parameters; matching files are reused.
    """
    params = {
        "generator_version": GENERATOR_VERSION,
        "n": n,
        "k": k,
        "seed": seed,
        "flip_fraction": flip_fraction,
        "chunk_elements": chunk_elements,
        "labels_dtype": "int64",
        "probs_dtype": "float32",
    }
    folder = data_dir / f"{size_name(n, k)}-seed{seed}"
    dataset = Dataset(size_name(n, k), n, k, folder / "labels.npy", folder / "probs.npy")
    sidecar = folder / "params.json"
    if (
        sidecar.is_file()
        and dataset.labels.is_file()
        and dataset.probs.is_file()
        and json.loads(sidecar.read_text()) == params
    ):
        return dataset
    folder.mkdir(parents=True, exist_ok=True)
    sidecar.unlink(missing_ok=True)  # a partial write must not look reusable

    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, size=n, dtype=np.int64)
    labels = truth.copy()
    flipped = rng.random(n) < flip_fraction
    labels[flipped] = (truth[flipped] + rng.integers(1, k, size=int(flipped.sum()))) % k
    np.save(dataset.labels, labels)
    del labels, flipped

    probs = np.lib.format.open_memmap(dataset.probs, mode="w+", dtype=np.float32, shape=(n, k))
    step = max(1, chunk_elements // k)
    for start in range(0, n, step):
        stop = min(n, start + step)
        rows = stop - start
        logits = rng.standard_normal((rows, k))
        logits[np.arange(rows), truth[start:stop]] += rng.uniform(0.0, 6.0, size=rows)
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        probs[start:stop] = logits.astype(np.float32)
    probs.flush()
    del probs
    sidecar.write_text(json.dumps(params, indent=2) + "\n")
    return dataset


def warm_read(paths: Sequence[Path]) -> None:
    """Read files once, untimed, so that every measured run sees the same warm page cache."""
    for path in paths:
        with path.open("rb") as handle:
            while handle.read(1 << 24):
                pass


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Run:
    """One child process: wall seconds, peak RSS in MiB, exit code and the tail of its stderr."""

    seconds: float
    rss_mib: float
    returncode: int
    stderr: str


# Linux keeps ru_maxrss across execve: a child forked from this (large) harness would report at
# least the harness's RSS at fork time. So each child is started by this small launcher process,
# whose own RSS (~10 MiB, below any Python child's) is the floor, and which reports the child's
# wall time and rusage as one JSON line.
LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - started
proc.returncode = os.waitstatus_to_exitcode(status)
print(json.dumps({"seconds": seconds, "maxrss": usage.ru_maxrss, "returncode": proc.returncode}))
"""


def measure(argv: Sequence[str]) -> Run:
    """Run ``argv`` as a child of a small launcher: perf_counter wall time, os.wait4 peak RSS."""
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
    if launched.returncode != 0:
        return Run(float("nan"), float("nan"), launched.returncode, stderr[-2000:])
    report = json.loads(launched.stdout)
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    rss_kib = report["maxrss"] / 1024 if sys.platform == "darwin" else report["maxrss"]
    return Run(report["seconds"], rss_kib / 1024, report["returncode"], stderr[-2000:])


def labelaudit_argv(command: str, data: Dataset, out: Path) -> list[str]:
    """The labelaudit command line for ``command`` writing ``out``."""
    return [
        str(LABELAUDIT),
        command,
        "--labels",
        str(data.labels),
        "--probs",
        str(data.probs),
        "-o",
        str(out),
        "--quiet",
    ]


def cleanlab_argv(command: str, data: Dataset, out: Path) -> list[str]:
    """The cleanlab baseline command line for ``command`` writing ``out``."""
    return [sys.executable, str(BASELINE), command, str(data.labels), str(data.probs), str(out)]


def log(message: str) -> None:
    """A progress line on stderr."""
    print(message, file=sys.stderr, flush=True)


# --- comparing results -------------------------------------------------------------------------


def _read_parquet(path: Path) -> dict[str, np.ndarray]:
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["row", "given_label", "label_quality"])
    return {name: table.column(name).to_numpy() for name in table.column_names}


def compare_issues(ours: Path, theirs: Path) -> tuple[bool, str]:
    """Same flagged rows, and the same order wherever the scores are not tied."""
    a, b = _read_parquet(ours), _read_parquet(theirs)
    set_a, set_b = set(a["row"].tolist()), set(b["row"].tolist())
    differ = len(set_a ^ set_b)
    if differ:
        return False, f"no ({differ} rows differ; {len(set_a)} vs {len(set_b)} flagged)"
    quality_a = a["label_quality"].astype(np.float64)
    quality_b = b["label_quality"].astype(np.float64)
    # a position may hold different rows only when both have the same score there (a tie)
    misplaced = (a["row"] != b["row"]) & (np.abs(quality_a - quality_b) > QUALITY_TOL)
    order = int(misplaced.sum())
    by_row = np.empty(0)
    if len(a["row"]):
        sort_a, sort_b = np.argsort(a["row"]), np.argsort(b["row"])
        by_row = np.abs(quality_a[sort_a] - quality_b[sort_b])
    max_diff = float(by_row.max()) if by_row.size else 0.0
    same = order == 0 and max_diff <= QUALITY_TOL
    detail = f"{len(set_a)} rows; {order} out of order; max Δquality {max_diff:.1e}"
    return same, ("yes" if same else "no") + f" ({detail})"


def compare_scores(ours: Path, theirs: Path) -> tuple[bool, str]:
    """Every row in the same order with the same label quality."""
    a, b = _read_parquet(ours), _read_parquet(theirs)
    if len(a["row"]) != len(b["row"]) or not np.array_equal(a["row"], b["row"]):
        return False, f"no (rows differ: {len(a['row'])} vs {len(b['row'])})"
    diff = np.abs(a["label_quality"].astype(np.float64) - b["label_quality"].astype(np.float64))
    max_diff = float(diff.max()) if diff.size else 0.0
    same = max_diff <= QUALITY_TOL
    return same, ("yes" if same else "no") + f" (max Δquality {max_diff:.1e})"


def compare_health(ours: Path, theirs: Path) -> tuple[bool, str]:
    """Same noise rate, health score and per-class label quality / issue counts."""
    a = json.loads(ours.read_text())
    b = json.loads(theirs.read_text())
    noise = abs(a["noise_rate"] - b["noise_rate"])
    health = abs(a["health_score"] - b["health_score"])
    theirs_by_class = {int(r["Class Index"]): r for r in b["classes_by_label_quality"]}
    class_diff, count_diff = 0.0, 0
    for row in a["classes"]:
        other = theirs_by_class.get(int(row["class"]))
        if other is None:
            count_diff += 1
            continue
        class_diff = max(class_diff, abs(row["label_quality"] - other["Label Quality Score"]))
        count_diff += int(row["n_label_issues"] != other["Label Issues"])
    count_diff += abs(len(a["classes"]) - len(theirs_by_class))
    same = max(noise, health, class_diff) <= 1e-9 and count_diff == 0
    detail = f"Δnoise {noise:.1e}, Δhealth {health:.1e}, max Δclass quality {class_diff:.1e}" + (
        f", {count_diff} class counts differ" if count_diff else ""
    )
    return same, ("yes" if same else "no") + f" ({detail})"


COMPARE: dict[str, Callable[[Path, Path], tuple[bool, str]]] = {
    "find-issues": compare_issues,
    "score": compare_scores,
    "health": compare_health,
}
SUFFIX = {"find-issues": ".parquet", "score": ".parquet", "health": ".json"}


# --- the benchmark -----------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the results table: a command at a size, both tools over the rounds."""

    size: str
    command: str
    time_target: float | None
    rss_target: float | None
    ours: list[Run] = field(default_factory=list)
    theirs: list[Run] = field(default_factory=list)
    same: str = "not checked"
    same_ok: bool = False
    failure: str = ""
    rss_limit_mib: float | None = None  # an absolute limit, for rows without a baseline


def _median(runs: list[Run], attr: str) -> float | None:
    return statistics.median(getattr(r, attr) for r in runs) if runs else None


def bench_command(command: str, data: Dataset, rounds: int, row: Row) -> None:
    """Alternate labelaudit and cleanlab for ``rounds`` rounds; compare the last outputs."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    ours_out = OUT_DIR / f"{data.name}-{command}-labelaudit{SUFFIX[command]}"
    theirs_out = OUT_DIR / f"{data.name}-{command}-cleanlab{SUFFIX[command]}"
    tools = [
        ("labelaudit", labelaudit_argv(command, data, ours_out), ours_out, row.ours),
        ("cleanlab", cleanlab_argv(command, data, theirs_out), theirs_out, row.theirs),
    ]
    if alternate(tools, rounds, row, f"{data.name} {command}"):
        row.same_ok, row.same = COMPARE[command](ours_out, theirs_out)


def alternate(
    tools: list[tuple[str, list[str], Path, list[Run]]], rounds: int, row: Row, label: str
) -> bool:
    """Run the tools in alternating order for ``rounds`` rounds; False after a failure."""
    for round_no in range(rounds):
        order = tools if round_no % 2 == 0 else tools[::-1]
        for tool, argv, out, runs in order:
            out.unlink(missing_ok=True)
            run = measure(argv)
            if run.returncode != 0 or not out.exists():
                row.failure = f"{tool} exited {run.returncode}: {run.stderr.strip()[-500:]}"
                log(f"[{label}] {tool} FAILED ({run.returncode})\n{run.stderr}")
                return False
            runs.append(run)
            log(
                f"[{label} round {round_no + 1}/{rounds}] {tool:<10} "
                f"{run.seconds:7.2f} s {run.rss_mib:8.0f} MiB"
            )
    return True


def bench_source_mode(mode: str, data: Dataset, rounds: int) -> Row:
    """One of issue 10's source benchmarks (see bench_sources.py) at the size of *data*."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    folder = data.labels.parent
    labels, probs = data.labels, data.probs
    if mode == "parquet":
        tables = bench_sources.write_parquet_inputs(data.labels, data.probs, folder)
        labels, probs = tables.labels, tables.probs
    elif mode == "dataset":
        labels = probs = bench_sources.write_dataset(data.labels, data.probs, folder)
    warm_read([p for p in (labels, probs) if p.is_file()])
    row = Row(f"{mode} {data.name}", "find-issues", None, None)
    row.time_target = bench_sources.TIME_TARGETS.get(mode)
    row.rss_target = bench_sources.RSS_TARGETS.get(mode)
    ours_out = OUT_DIR / f"{mode}-{data.name}-find-issues-labelaudit.parquet"
    tools = [
        (
            "labelaudit",
            bench_sources.labelaudit_argv(LABELAUDIT, mode, labels, probs, ours_out),
            ours_out,
            row.ours,
        )
    ]
    baseline = bench_sources.baseline_mode(mode)
    theirs_out = OUT_DIR / f"{mode}-{data.name}-find-issues-cleanlab.parquet"
    if baseline is not None:
        argv = [sys.executable, str(BASELINE), baseline, str(labels), str(probs), str(theirs_out)]
        tools.append(("cleanlab", argv, theirs_out, row.theirs))
    else:
        row.rss_limit_mib = bench_sources.DATASET_RSS_LIMIT_MIB
        theirs_out = OUT_DIR / f"npy-{data.name}-find-issues-labelaudit.parquet"
    if not alternate(tools, rounds, row, f"{mode} {data.name}"):
        return row
    if theirs_out.exists():
        row.same_ok, row.same = compare_issues(ours_out, theirs_out)
        if baseline is None:
            row.same = f"vs labelaudit on .npy: {row.same}"
    return row


def bench_small(rounds: int, seed: int) -> tuple[list[Run], list[Run], list[Run]]:
    """``labelaudit --help`` and find-issues on 500 x 5 (plus the cleanlab script there)."""
    help_runs = []
    for _ in range(rounds):
        run = measure([str(LABELAUDIT), "--help"])
        if run.returncode != 0:
            log(f"[--help] FAILED ({run.returncode})\n{run.stderr}")
            break
        help_runs.append(run)
        log(f"[--help] {run.seconds:.3f} s")
    data = generate_inputs(SMALL_ROWS, SMALL_CLASSES, seed=seed)
    ours_out = OUT_DIR / "small-find-issues-labelaudit.parquet"
    theirs_out = OUT_DIR / "small-find-issues-cleanlab.parquet"
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    ours: list[Run] = []
    theirs: list[Run] = []
    for _ in range(rounds):
        for runs, argv, out in (
            (ours, labelaudit_argv("find-issues", data, ours_out), ours_out),
            (theirs, cleanlab_argv("find-issues", data, theirs_out), theirs_out),
        ):
            out.unlink(missing_ok=True)
            run = measure(argv)
            if run.returncode != 0:
                log(f"[500x5] {argv[0]} FAILED ({run.returncode})\n{run.stderr}")
                continue
            runs.append(run)
        log(
            f"[500x5 find-issues] labelaudit {ours[-1].seconds if ours else float('nan'):.3f} s, "
            f"cleanlab {theirs[-1].seconds if theirs else float('nan'):.3f} s"
        )
    return help_runs, ours, theirs


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def render_table(
    rows: list[Row], help_runs: list[Run], small_ours: list[Run], small_theirs: list[Run]
) -> str:
    """The markdown results table (medians of the rounds, ratios labelaudit / cleanlab)."""
    lines = [
        "| size | command | labelaudit median s | cleanlab median s | time ratio | target "
        "| labelaudit peak RSS MiB | cleanlab peak RSS MiB | RSS ratio | target | met? "
        "| same result? |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|",
    ]
    for row in rows:
        t_ours, t_theirs = _median(row.ours, "seconds"), _median(row.theirs, "seconds")
        m_ours, m_theirs = _median(row.ours, "rss_mib"), _median(row.theirs, "rss_mib")
        if row.rss_limit_mib is not None and not row.failure and m_ours is not None:
            met = f"RSS {'yes' if m_ours <= row.rss_limit_mib else 'NO'}"
            lines.append(
                f"| {row.size} | {row.command} | {_fmt(t_ours, '.2f')} | — | — | — "
                f"| {_fmt(m_ours, '.0f')} | — | — | < {row.rss_limit_mib:.0f} MiB | {met} "
                f"| {row.same} |"
            )
            continue
        complete = not row.failure and t_ours is not None and t_theirs is not None
        t_ratio = t_ours / t_theirs if complete and t_ours and t_theirs else None
        m_ratio = m_ours / m_theirs if complete and m_ours and m_theirs else None
        met_parts = []
        if complete and t_ratio is not None and m_ratio is not None:
            if row.time_target is not None:
                met_parts.append(f"time {'yes' if t_ratio <= row.time_target else 'NO'}")
            if row.rss_target is not None:
                met_parts.append(f"RSS {'yes' if m_ratio <= row.rss_target else 'NO'}")
            met = ", ".join(met_parts)
        else:
            met = "failed: " + (row.failure.splitlines()[0] if row.failure else "no runs")
        lines.append(
            f"| {row.size} | {row.command} | {_fmt(t_ours, '.2f')} | {_fmt(t_theirs, '.2f')} "
            f"| {_fmt(t_ratio, '.3f')} | ≤ {_fmt(row.time_target, 'g')} "
            f"| {_fmt(m_ours, '.0f')} | {_fmt(m_theirs, '.0f')} | {_fmt(m_ratio, '.3f')} "
            f"| ≤ {_fmt(row.rss_target, 'g')} | {met} | {row.same} |"
        )
    help_s = _median(help_runs, "seconds")
    small_s = _median(small_ours, "seconds")
    small_theirs_s = _median(small_theirs, "seconds")
    lines += [
        "",
        "| end to end | runs | labelaudit median s | target | met? | cleanlab script median s |",
        "|---|--:|--:|--:|---|--:|",
        f"| `labelaudit --help` | {len(help_runs)} | {_fmt(help_s, '.3f')} | ≤ {HELP_TARGET_S} "
        f"| {_met(help_s, HELP_TARGET_S)} | — |",
        f"| find-issues, {SMALL_ROWS} x {SMALL_CLASSES} | {len(small_ours)} "
        f"| {_fmt(small_s, '.3f')} | ≤ {SMALL_TARGET_S} | {_met(small_s, SMALL_TARGET_S)} "
        f"| {_fmt(small_theirs_s, '.3f')} |",
    ]
    return "\n".join(lines)


def _met(value: float | None, target: float) -> str:
    if value is None:
        return "failed"
    return "yes" if value <= target else "NO"


def machine_info() -> dict[str, str]:
    """Date (UTC), cores, CPU model, memory, versions and the commit measured."""
    cpu = "unknown"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "labelaudit"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit += " (labelaudit/ has uncommitted changes)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "date (UTC)": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "cores (nproc)": str(cores),
        "CPU": cpu,
        "memory": memory,
        "load average at start (1/5/15 min)": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "Python": platform.python_version(),
        "numpy": version("numpy"),
        "cleanlab": version("cleanlab"),
        "labelaudit": f"{version('labelaudit')} at commit {commit}",
    }


SOURCES_NOTE = (
    " Sizes with a prefix are issue 10's source benchmarks (`benchmarks/bench_sources.py`): "
    "`parquet` reads class-name labels and one float32 column per class from Parquet and writes "
    "Parquet, against a pandas + cleanlab script; `npy` compares the exact find-issues with "
    "cleanlab's approximate `find_label_issues_batched` on memory-mapped files (batch_size 1M; "
    "its flagged rows differ by design); `dataset` audits a 100-file partitioned Parquet dataset "
    "against an absolute peak-memory limit."
)
MULTILABEL_SECTION = "<!-- multilabel benchmark"


def write_results(text: str) -> None:
    """Write RESULTS.md, keeping the multi-label section that bench_multilabel.py appends."""
    current = RESULTS.read_text() if RESULTS.is_file() else ""
    at = current.find(MULTILABEL_SECTION)
    kept = current[at:] if at >= 0 else ""
    RESULTS.write_text(text + ("\n" + kept if kept else ""))


def compile_bytecode(package: Path) -> None:
    """Write the package's ``.pyc`` files, as installing a wheel does.

    An editable install run with ``PYTHONDONTWRITEBYTECODE`` set (or from a read-only tree) would
    otherwise compile every module from source in each measured process: measured, +30 ms on
    ``--help`` and more on a small find-issues, which a user's installed labelaudit never pays.
    """
    if not compileall.compile_dir(str(package), quiet=1):
        log(f"warning: could not compile every module of {package}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size (default 3)")
    parser.add_argument(
        "--sizes", default=DEFAULT_SIZES, help=f"comma-separated sizes (default {DEFAULT_SIZES})"
    )
    parser.add_argument(
        "--quick", action="store_true", help="sizes / 100, a smoke test (implies --no-write)"
    )
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated inputs")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when every run succeeded (targets are reported, not enforced)."""
    args = parse_args(argv)
    if not LABELAUDIT.exists():
        log(f"Error: {LABELAUDIT} not found; run `make venv` first.")
        return 2
    info = machine_info()
    log("; ".join(f"{key}: {value}" for key, value in info.items()))

    compile_bytecode(REPO / "labelaudit")
    help_runs, small_ours, small_theirs = bench_small(max(5, args.rounds), args.seed)

    rows: list[Row] = []
    sizes = args.sizes.split(",")
    for spec in sizes:
        mode, size_text = bench_sources.split_mode(spec)
        n, k = parse_size(size_text)
        name = size_name(n, k)
        if args.quick:
            n //= 100
        log(f"[{mode}{size_name(n, k)}] preparing inputs…")
        data = generate_inputs(n, k, seed=args.seed)
        if mode:
            # As many rounds at 100M rows as elsewhere: single 100M runs of the same code on
            # this shared VM took 17.7 s and 23.4 s, enough to move the ratio across its target.
            rows.append(bench_source_mode(mode, data, args.rounds))
            continue
        warm_read([data.labels, data.probs])
        commands = ["find-issues"] + (["score", "health"] if name == "10Mx10" else [])
        for command in commands:
            time_target = TIME_TARGETS.get(name) if command == "find-issues" else AUX_TIME_TARGET
            row = Row(data.name, command, time_target, RSS_TARGET)
            rows.append(row)
            bench_command(command, data, args.rounds, row)

    table = render_table(rows, help_runs, small_ours, small_theirs)
    header = "\n".join(f"- {key}: {value}" for key, value in info.items())
    print(header + "\n\n" + table)
    if not (args.no_write or args.quick):
        write_results(
            "# Benchmark: labelaudit vs cleanlab 2.9.0\n\n"
            "Produced by `make bench` (`benchmarks/run_bench.py`): every number below was measured "
            "in this one run.\n"
            f"Each size: {args.rounds} rounds alternating labelaudit and the cleanlab script "
            "(`benchmarks/cleanlab_baseline.py`), each a whole process on `.npy` inputs after an "
            "untimed read warmed the page cache; wall time from perf_counter, peak RSS from "
            "`os.wait4` (ru_maxrss). Medians over the rounds; ratios are labelaudit / cleanlab. "
            "Inputs: seeded float32 probabilities (softmax of gaussian logits, true class "
            "boosted) and int64 labels with 20% flipped."
            + (SOURCES_NOTE if any(bench_sources.split_mode(s)[0] for s in sizes) else "")
            + f"\n\n{header}\n\n{table}\n"
        )
        log(f"wrote {RESULTS.relative_to(REPO)}")
    failed = any(row.failure for row in rows) or not help_runs or not small_ours
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
