"""This tree's labelaudit against an earlier commit's, side by side in one run.

For claims such as "the refactoring made nothing slower": both versions run as whole processes
(``python -m labelaudit``) on the same inputs, alternating round by round, with the same
interpreter and installed libraries; the earlier commit is checked out into a temporary git
worktree and put first on ``PYTHONPATH``. Prints the median wall time and peak RSS of each, and
their ratio (this tree / the earlier commit), for find-issues, score and health on
``run_bench.py``'s seeded ``.npy`` inputs and for ``labelaudit --help``.

    .venv/bin/python benchmarks/bench_versions.py 9b9b697              # before issue 9
    .venv/bin/python benchmarks/bench_versions.py HEAD~3 --sizes 1Mx100 --rounds 5

Not part of ``make bench`` (it answers a question about a change, not about cleanlab).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run_bench  # a sibling module (benchmarks/ is not a package)

COMMANDS = {"10Mx10": ["find-issues", "score", "health"]}


def argv_for(command: str, data: run_bench.Dataset | None, out: Path) -> list[str]:
    """``python -m labelaudit ...`` for *command* (``--help`` when *data* is None)."""
    base = [sys.executable, "-m", "labelaudit"]
    if data is None:
        return [*base, "--help"]
    return [*base, *run_bench.labelaudit_argv(command, data, out)[1:]]


def measure_with(argv: list[str], pythonpath: str | None) -> run_bench.Run:
    """One measured run, with *pythonpath* first on the path (None: this tree)."""
    saved = os.environ.get("PYTHONPATH")
    try:
        if pythonpath is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = pythonpath
        return run_bench.measure(argv)
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def compare(label: str, argv: list[str], old_tree: Path, rounds: int) -> str:
    """Alternate the two versions *rounds* times; one markdown row of medians and ratios."""
    runs: dict[str, list[run_bench.Run]] = {"old": [], "new": []}
    for index in range(rounds):
        order = ("old", "new") if index % 2 == 0 else ("new", "old")
        for side in order:
            run = measure_with(argv, str(old_tree) if side == "old" else None)
            if run.returncode != 0:
                raise SystemExit(f"{label} ({side}) failed: {run.stderr}")
            runs[side].append(run)
            run_bench.log(f"[{label} {index + 1}/{rounds}] {side}  {run.seconds:6.2f} s")
    old_s = statistics.median(r.seconds for r in runs["old"])
    new_s = statistics.median(r.seconds for r in runs["new"])
    old_m = statistics.median(r.rss_mib for r in runs["old"])
    new_m = statistics.median(r.rss_mib for r in runs["new"])
    return (
        f"| {label} | {old_s:.3f} | {new_s:.3f} | {new_s / old_s:.2f} | {old_m:.0f} | "
        f"{new_m:.0f} | {new_m / old_m:.2f} |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the earlier git revision (e.g. 9b9b697)")
    parser.add_argument("--sizes", default="10Mx10,1Mx100,100kx1000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", args.revision],
        cwd=run_bench.REPO, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory(prefix="labelaudit-old-") as folder:
        tree = Path(folder) / "tree"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(tree), commit],
            cwd=run_bench.REPO, check=True,
        )  # fmt: skip
        try:
            run_bench.compile_bytecode(run_bench.REPO / "labelaudit")
            run_bench.compile_bytecode(tree / "labelaudit")
            out = Path(folder) / "out.parquet"
            rows.append(compare("--help", argv_for("", None, out), tree, max(5, args.rounds)))
            for size in filter(None, args.sizes.split(",")):  # --sizes '': --help only
                n, k = run_bench.parse_size(size)
                data = run_bench.generate_inputs(n, k, seed=0)
                run_bench.warm_read([data.labels, data.probs])
                for command in COMMANDS.get(size, ["find-issues"]):
                    label = f"{size} {command}"
                    out = out.with_suffix(".json" if command == "health" else ".parquet")
                    rows.append(compare(label, argv_for(command, data, out), tree, args.rounds))
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=run_bench.REPO,
                check=False,
            )  # fmt: skip
    print(f"\nthis tree against {commit}, {args.rounds} rounds (--help: {max(5, args.rounds)}),")
    print("medians; ratios are this tree / the earlier commit\n")
    print(
        "| run | earlier s | this tree s | time ratio | earlier MiB | this tree MiB | RSS ratio |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
