"""The cleanlab 2.9.0 side of ``make bench``: what a cleanlab user writes to do labelaudit's work.

Usage: ``python benchmarks/cleanlab_baseline.py MODE LABELS PROBS OUT`` with MODE one of

- ``find-issues``: ``cleanlab.filter.find_label_issues(..., return_indices_ranked_by=
  "self_confidence")`` -> Parquet ``row, given_label, predicted_label, label_quality,
  is_label_issue`` in ranked order (labelaudit find-issues's columns);
- ``score``: ``cleanlab.rank.get_label_quality_scores`` -> Parquet ``row, given_label,
  predicted_label, label_quality`` for every row in input order;
- ``health``: ``cleanlab.dataset.health_summary`` -> a JSON document.

Inputs are ``.npy`` files loaded whole with ``np.load`` (no memory map), as a cleanlab user would.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MODES = ("find-issues", "score", "health")


def _rows_frame(rows: np.ndarray, labels: np.ndarray, pred_probs: np.ndarray) -> dict[str, Any]:
    """The shared columns for ``rows``: position, given and predicted label, self-confidence."""
    given = labels[rows]
    return {
        "row": rows.astype(np.int64),
        "given_label": given.astype(np.int64),
        "predicted_label": pred_probs[rows].argmax(axis=1).astype(np.int64),
    }


def find_issues(labels: np.ndarray, pred_probs: np.ndarray, out: Path) -> None:
    """Flag label issues ranked by self-confidence and write them as Parquet."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_self_confidence_for_each_label

    ranked = np.asarray(
        find_label_issues(labels, pred_probs, return_indices_ranked_by="self_confidence")
    )
    columns = _rows_frame(ranked, labels, pred_probs)
    columns["label_quality"] = get_self_confidence_for_each_label(
        labels[ranked], pred_probs[ranked]
    )
    columns["is_label_issue"] = np.ones(len(ranked), dtype=bool)
    pd.DataFrame(columns).to_parquet(out, index=False)


def score(labels: np.ndarray, pred_probs: np.ndarray, out: Path) -> None:
    """Score every label (self-confidence) and write all rows in input order as Parquet."""
    from cleanlab.rank import get_label_quality_scores

    quality = get_label_quality_scores(labels, pred_probs)
    columns = _rows_frame(np.arange(len(labels)), labels, pred_probs)
    columns["label_quality"] = quality
    pd.DataFrame(columns).to_parquet(out, index=False)


def health(labels: np.ndarray, pred_probs: np.ndarray, out: Path) -> None:
    """Write cleanlab's dataset health summary as JSON (its tables as lists of records)."""
    from cleanlab.dataset import health_summary

    summary = health_summary(labels, pred_probs, verbose=False)
    score_value = float(summary["overall_label_health_score"])
    document = {
        "n_examples": len(labels),
        "n_classes": int(pred_probs.shape[1]),
        "health_score": score_value,
        "noise_rate": 1.0 - score_value,
        # to_dict gives native Python numbers at full precision (to_json rounds to 10 digits)
        "classes_by_label_quality": summary["classes_by_label_quality"].to_dict("records"),
        "overlapping_classes": summary["overlapping_classes"].to_dict("records"),
    }
    out.write_text(json.dumps(document) + "\n")


def main(argv: list[str]) -> int:
    """Run one MODE on LABELS and PROBS, writing OUT; returns the exit code."""
    if len(argv) != 4 or argv[0] not in MODES:
        usage = f"usage: cleanlab_baseline.py {{{','.join(MODES)}}} LABELS PROBS OUT"
        print(usage, file=sys.stderr)
        return 2
    mode, labels_path, probs_path, out = argv
    labels = np.load(labels_path)
    pred_probs = np.load(probs_path)
    {"find-issues": find_issues, "score": score, "health": health}[mode](
        labels, pred_probs, Path(out)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
