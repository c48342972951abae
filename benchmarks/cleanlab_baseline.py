"""The cleanlab 2.9.0 side of ``make bench``: what a cleanlab user writes to do labelaudit's work.

Usage: ``python benchmarks/cleanlab_baseline.py MODE LABELS PROBS OUT`` with MODE one of

- ``find-issues``: ``cleanlab.filter.find_label_issues(..., return_indices_ranked_by=
  "self_confidence")`` -> Parquet ``row, given_label, predicted_label, label_quality,
  is_label_issue`` in ranked order (labelaudit find-issues's columns);
- ``score``: ``cleanlab.rank.get_label_quality_scores`` -> Parquet ``row, given_label,
  predicted_label, label_quality`` for every row in input order;
- ``health``: ``cleanlab.dataset.health_summary`` -> a JSON document;
- ``find-issues-parquet``: the same as ``find-issues`` for ``labels.parquet`` (a ``label`` column
  of class names) and ``probs.parquet`` (one float32 column per class), read with pandas, labels
  mapped to the columns' class order, class names written back (issue 10's pandas + cleanlab
  script);
- ``find-issues-batched``: cleanlab's large-data path,
  ``cleanlab.experimental.label_issues_batched.find_label_issues_batched`` on the memory-mapped
  ``.npy`` files with ``batch_size`` 1M (approximate: its thresholds and counts differ from
  ``find_label_issues``); rows written ranked by self-confidence.

Other inputs are ``.npy`` files loaded whole with ``np.load`` (no memory map), as a cleanlab user
would.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MODES = ("find-issues", "score", "health", "find-issues-parquet", "find-issues-batched")
BATCH_SIZE = 1_000_000


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


def find_issues_parquet(labels_path: str, probs_path: str, out: Path) -> None:
    """find-issues from Parquet with pandas: class-name labels, one float32 column per class."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_self_confidence_for_each_label

    label_names = pd.read_parquet(labels_path)["label"]
    probs_frame = pd.read_parquet(probs_path)
    classes = pd.Index(probs_frame.columns)
    pred_probs = probs_frame.to_numpy(dtype=np.float32)
    labels = classes.get_indexer(label_names)
    ranked = np.asarray(
        find_label_issues(labels, pred_probs, return_indices_ranked_by="self_confidence")
    )
    names = np.asarray(classes, dtype=object)
    columns: dict[str, Any] = {
        "row": ranked.astype(np.int64),
        "given_label": names[labels[ranked]],
        "predicted_label": names[pred_probs[ranked].argmax(axis=1)],
        "label_quality": get_self_confidence_for_each_label(labels[ranked], pred_probs[ranked]),
        "is_label_issue": np.ones(len(ranked), dtype=bool),
    }
    pd.DataFrame(columns).to_parquet(out, index=False)


def find_issues_batched(labels_path: str, probs_path: str, out: Path) -> None:
    """cleanlab's batched large-data path on memory-mapped ``.npy`` files, batch_size 1M."""
    from cleanlab.experimental.label_issues_batched import find_label_issues_batched

    rows = find_label_issues_batched(
        labels_file=labels_path,
        pred_probs_file=probs_path,
        batch_size=BATCH_SIZE,
        verbose=False,
    )
    labels = np.load(labels_path, mmap_mode="r")
    pred_probs = np.load(probs_path, mmap_mode="r")
    given = np.asarray(labels[rows])
    flagged_probs = np.asarray(pred_probs[rows])
    quality = flagged_probs[np.arange(len(rows)), given]
    order = np.argsort(quality, kind="stable")
    columns = {
        "row": rows[order].astype(np.int64),
        "given_label": given[order].astype(np.int64),
        "predicted_label": flagged_probs[order].argmax(axis=1).astype(np.int64),
        "label_quality": quality[order],
        "is_label_issue": np.ones(len(rows), dtype=bool),
    }
    pd.DataFrame(columns).to_parquet(out, index=False)


def main(argv: list[str]) -> int:
    """Run one MODE on LABELS and PROBS, writing OUT; returns the exit code."""
    if len(argv) != 4 or argv[0] not in MODES:
        usage = f"usage: cleanlab_baseline.py {{{','.join(MODES)}}} LABELS PROBS OUT"
        print(usage, file=sys.stderr)
        return 2
    mode, labels_path, probs_path, out = argv
    if mode == "find-issues-parquet":
        find_issues_parquet(labels_path, probs_path, Path(out))
        return 0
    if mode == "find-issues-batched":
        find_issues_batched(labels_path, probs_path, Path(out))
        return 0
    labels = np.load(labels_path)
    pred_probs = np.load(probs_path)
    {"find-issues": find_issues, "score": score, "health": health}[mode](
        labels, pred_probs, Path(out)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
