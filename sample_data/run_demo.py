"""Demo (``make run``): audit the shipped digits sample and score it against the ground truth.

Runs the installed ``labelaudit`` (as ``python -m labelaudit``) on sample_data/: predict (5-fold
out-of-fold probabilities from the features), then find-issues, health and clean on them,
writing into a temporary folder, and prints how many of the injected label errors were found
(recall) and how many flagged rows were injected errors (precision).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
FEATURES = HERE / "digits_features.csv"
TRUTH = HERE / "digits_truth.csv"


def labelaudit(*args: str | Path) -> None:
    """Run one labelaudit command, showing its output; stop the demo if it fails."""
    command = [sys.executable, "-m", "labelaudit", *map(str, args)]
    print(f"\n$ labelaudit {' '.join(map(str, args))}", flush=True)
    done = subprocess.run(command, check=False)
    if done.returncode != 0:
        sys.exit(f"labelaudit exited with {done.returncode}")


def main() -> None:
    """Run the audit and print recall and precision against the injected errors."""
    if not all(path.exists() for path in (FEATURES, TRUTH)):
        subprocess.run([sys.executable, str(HERE / "make_sample.py")], check=True)
    with tempfile.TemporaryDirectory(prefix="labelaudit-demo-") as folder:
        probs_path = Path(folder) / "digits_probs.parquet"
        issues_path = Path(folder) / "issues.parquet"
        cleaned_path = Path(folder) / "digits_relabelled.csv"
        labelaudit("predict", FEATURES, "--label-column", "label", "--id-column", "id",
                   "--model", "logistic_regression", "-o", probs_path)  # fmt: skip
        inputs = ["--labels", FEATURES, "--probs", probs_path, "--id-column", "id"]
        labelaudit("find-issues", *inputs, "--top", "10", "-o", issues_path)
        labelaudit("health", *inputs, "--top", "5")
        labelaudit("clean", FEATURES, "--issues", issues_path, "--action", "relabel", "-o",
                   cleaned_path)  # fmt: skip

        truth = pd.read_csv(TRUTH)
        issues = pd.read_parquet(issues_path)
        cleaned = pd.read_csv(cleaned_path)

    flipped = truth["is_flipped"].to_numpy()
    flagged = issues["row"].to_numpy()
    true_positives = int(flipped[flagged].sum())
    n_injected = int(flipped.sum())
    recall = true_positives / n_injected
    precision = true_positives / len(flagged) if len(flagged) else 0.0
    restored = int((cleaned["label"] == truth["original_label"])[flipped].sum())
    broken = int((cleaned["label"] != truth["original_label"])[~flipped].sum())

    print("\nAgainst the ground truth (sample_data/digits_truth.csv):")
    print(f"  injected label errors:  {n_injected} of {len(truth)} rows")
    print(f"  flagged by find-issues: {len(flagged)}")
    print(f"  recall:    {true_positives}/{n_injected} = {recall:.1%} of the injected errors found")
    print(f"  precision: {true_positives}/{len(flagged)} = {precision:.1%} of the flagged rows")
    print(f"  clean --action relabel restored {restored} original labels and changed {broken} "
          "correct ones")  # fmt: skip


if __name__ == "__main__":
    main()
