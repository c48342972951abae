"""Result documents: JSON-ready dicts and result columns, with class names put back for indices.

Nothing here computes label statistics or draws anything: it arranges what the core returned.
The same documents feed ``--json``, the terminal tables (:mod:`~labelaudit.report.terminal`) and
the files a command writes.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from labelaudit.core.health import HealthReport


def to_json(document: dict[str, Any]) -> str:
    """Serialise a report document (numpy scalars included) as indented JSON."""
    return json.dumps(plain(document), indent=2, allow_nan=False)


def plain(value: Any) -> Any:
    """Convert numpy and pandas values into JSON-serialisable Python values."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return [plain(item) for item in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    pandas = sys.modules.get("pandas")  # only present if something already needed it
    if pandas is not None and (value is pandas.NA or value is pandas.NaT):
        return None
    return value


# --- result tables ----------------------------------------------------------------------------


def class_values(classes: Sequence[Any], codes: np.ndarray) -> np.ndarray:
    """The class of each index in *codes* (ints stay ints, names stay strings)."""
    if list(classes) == list(range(len(classes))):
        return codes.astype(np.int64)  # classes 0..K-1: the codes are the classes
    lookup = np.asarray(classes) if all(isinstance(c, int) for c in classes) else None
    if lookup is None:
        lookup = np.empty(len(classes), dtype=object)
        lookup[:] = list(classes)
    return lookup[codes]


def label_rows_columns(
    rows: np.ndarray | slice,
    *,
    classes: Sequence[Any],
    labels: np.ndarray,
    predicted: np.ndarray,
    scores: np.ndarray,
    ids: pd.Series | None = None,
    id_column: str | None = None,
    is_label_issue: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """One output row per position in *rows*: ``row``, id, given/predicted class, quality.

    Returned as named numpy columns, so large outputs can be written without a DataFrame.

    Parameters
    ----------
    rows
        Row positions (0-based) to include, in the order to write them, or a slice of
        consecutive rows (no index array is built).
    labels, predicted
        ``(N,)`` class indices of every row (given, argmax of the probabilities).
    scores
        ``(N,)`` label quality of every row.
    is_label_issue
        ``(N,)`` flags; adds an ``is_label_issue`` column when given.
    """
    if isinstance(rows, slice):
        positions: np.ndarray = np.arange(rows.start, rows.stop, dtype=np.int64)
    else:
        positions = rows = np.asarray(rows, dtype=np.int64)
    columns: dict[str, Any] = {"row": positions}
    if ids is not None and id_column is not None:
        columns[id_column] = ids.to_numpy()[rows]
    columns["given_label"] = class_values(classes, labels[rows])
    columns["predicted_label"] = class_values(classes, predicted[rows])
    columns["label_quality"] = np.asarray(scores)[rows].astype(np.float64)
    if is_label_issue is not None:
        columns["is_label_issue"] = np.asarray(is_label_issue, dtype=bool)[rows]
    return columns


def label_rows_records(rows: np.ndarray, **kwargs: Any) -> list[dict[str, Any]]:
    """:func:`label_rows_columns` as JSON-ready dicts, one per row (for the few rows shown)."""
    columns = label_rows_columns(rows, **kwargs)
    names = list(columns)
    values = [columns[name].tolist() for name in names]
    return [plain(dict(zip(names, record, strict=True))) for record in zip(*values, strict=True)]


def percent(fraction: float) -> str:
    """``0.0734`` -> ``'7.3%'``."""
    return f"{100 * fraction:.1f}%"


def issues_summary(n_issues: int, n_examples: int) -> str:
    """``'N label issues in M rows (x%)'``."""
    noun = "label issue" if n_issues == 1 else "label issues"
    return f"{n_issues:,} {noun} in {n_examples:,} rows ({percent(n_issues / n_examples)})"


def find_issues_document(
    top_rows: list[dict[str, Any]],
    *,
    n_examples: int,
    n_classes: int,
    n_label_issues: int,
    filter_by: str,
    rank_by: str,
    output: str | None,
    fail_above: float | None,
    warnings: Sequence[str] = (),
    classes: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The ``find-issues --json`` document; ``issues`` holds the ``--top`` most likely errors.

    ``n_label_issues`` is the number of rows the *filter_by* filter flagged; ``warnings`` are
    the sentences also printed on stderr (e.g. a model no better than the majority class);
    ``classes`` are the flagged rows per given class (:func:`flagged_by_class`).
    """
    fraction = n_label_issues / n_examples
    return {
        "n_examples": n_examples,
        "n_classes": n_classes,
        "n_label_issues": n_label_issues,
        "fraction": fraction,
        "filter_by": filter_by,
        "rank_by": rank_by,
        "output": output,
        "fail_above": fail_above,
        "passed": None if fail_above is None else fraction <= fail_above,
        "warnings": list(warnings),
        "classes": list(classes),
        "issues": top_rows,
    }


def flagged_by_class(
    classes: Sequence[Any], class_counts: np.ndarray, flagged_counts: np.ndarray
) -> list[dict[str, Any]]:
    """Per given class: its rows, the rows flagged and their fraction, most flagged first.

    Ties keep the class order (a stable sort).
    """
    fractions = flagged_counts / np.maximum(class_counts, 1)
    order = np.argsort(-fractions, kind="stable")
    return [
        {
            "class": classes[int(k)],
            "n_examples": int(class_counts[k]),
            "n_flagged": int(flagged_counts[k]),
            "flagged_fraction": float(fractions[k]),
        }
        for k in order
    ]


def score_document(
    lowest_rows: list[dict[str, Any]],
    *,
    n_examples: int,
    method: str,
    adjust_pred_probs: bool,
    scores: np.ndarray,
    output: str | None,
) -> dict[str, Any]:
    """The ``score --json`` document; ``lowest`` holds the ``--top`` lowest-quality rows."""
    return {
        "n_examples": n_examples,
        "method": method,
        "adjust_pred_probs": adjust_pred_probs,
        "mean_label_quality": float(np.mean(scores)),
        "min_label_quality": float(np.min(scores)),
        "output": output,
        "lowest": lowest_rows,
    }


COUNT_DESCRIPTIONS = {
    "find_issues": "rows find-issues flags with its default filter ({filter_by}); "
    "--fail-above gates on their fraction",
    "confident_learning_estimate": "confident learning's estimate of the label issues, health's "
    "headline: noise rate = this / rows, gated by --max-noise-rate",
    "per_class_sum": "sum of the per-class 'issues' (each class's estimate, rounded); each "
    "class's share is gated by --max-class-noise-rate",
}
"""One line per count of ``health``'s ``counts``, saying what it is and what gates on it."""


FLAGGED_NOT_COUNTED = (
    "not counted for inputs of more than {limit:,} probabilities: it needs a second, full "
    "pruning pass over them; run find-issues for it, or pass health --flagged-count"
)
"""Why ``counts.find_issues`` is ``null`` on large inputs."""


def counts_document(
    *, flagged: int | None, filter_by: str, estimate: int, per_class_sum: int, limit: int = 0
) -> dict[str, dict[str, Any]]:
    """health's three label-issue counts, each with the sentence that tells them apart.

    *flagged* is ``None`` when it was not counted (over *limit* probabilities); its value is
    then ``null`` and its description says why.
    """
    values = {
        "find_issues": flagged,
        "confident_learning_estimate": estimate,
        "per_class_sum": per_class_sum,
    }
    counts = {
        name: {
            "value": None if value is None else int(value),
            "description": COUNT_DESCRIPTIONS[name].format(filter_by=filter_by),
        }
        for name, value in values.items()
    }
    if flagged is None:
        counts["find_issues"]["description"] += "; " + FLAGGED_NOT_COUNTED.format(limit=limit)
    return counts


def noise_matrix_document(
    noise_matrix: np.ndarray,
    classes: Sequence[Any],
    order: Sequence[int] | None,
    *,
    omitted: str | None,
) -> dict[str, Any]:
    """``noise_matrix`` (rows given, columns true, in *order*) or ``None`` with the reason."""
    if omitted is not None:
        return {"noise_matrix": None, "noise_matrix_omitted": omitted}
    indices = np.arange(len(classes)) if order is None else np.asarray(order, dtype=np.int64)
    matrix = np.asarray(noise_matrix, dtype=np.float64)[np.ix_(indices, indices)]
    return {
        "noise_matrix": {
            "classes": [classes[int(k)] for k in indices],
            "given_by_true": matrix,
        },
        "noise_matrix_omitted": None,
    }


def health_document(
    report: HealthReport,
    classes: Sequence[Any],
    *,
    counts: dict[str, Any] | None = None,
    confusions: Sequence[Any] = (),
    noise_matrix: dict[str, Any] | None = None,
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``health --json`` document (DESIGN.md section 3), with class names for indices.

    ``overlapping_classes`` holds the pairs the report lists (``--top``, or all of them);
    ``n_class_pairs`` says how many there are in all.
    """
    n_classes = int(report.n_classes)
    return plain(
        {
            "n_examples": int(report.n_examples),
            "n_classes": n_classes,
            "n_label_issues": int(report.n_label_issues),
            "noise_rate": float(report.noise_rate),
            "health_score": float(report.health_score),
            **({} if counts is None else {"counts": counts}),
            "classes": [
                {
                    "class": classes[int(c.class_index)],
                    "n_examples": int(c.n_examples),
                    "n_label_issues": int(c.n_label_issues),
                    "n_inverse_label_issues": int(c.n_inverse_label_issues),
                    "label_noise": float(c.label_noise),
                    "inverse_label_noise": float(c.inverse_label_noise),
                    "label_quality": float(c.label_quality),
                }
                for c in report.classes
            ],
            "n_class_pairs": n_classes * (n_classes - 1) // 2,
            "overlapping_classes": [
                {
                    "class_a": classes[int(o.class_a)],
                    "class_b": classes[int(o.class_b)],
                    "n_overlapping": int(o.n_overlapping),
                    "joint_probability": float(o.joint_probability),
                }
                for o in report.overlapping_classes
            ],
            "top_confusions": [
                {
                    "given": classes[int(c.given)],
                    "true": classes[int(c.true)],
                    "probability": float(c.probability),
                }
                for c in confusions
            ],
            **({} if noise_matrix is None else noise_matrix),
            "warnings": list(warnings),
        }
    )


def clean_document(
    *,
    action: str,
    given: Sequence[Any] | None,
    changed: np.ndarray,
    n_flagged: int,
    output: str,
) -> dict[str, Any]:
    """The ``clean --json`` document: rows removed or relabelled, overall and per given class.

    Parameters
    ----------
    given
        The given label of every row of DATA, or ``None`` when unknown (no per-class counts).
    changed
        ``(N,)`` bool: rows removed, or rows whose label was changed.
    """
    changed = np.asarray(changed, dtype=bool)
    n_changed = int(changed.sum())
    per_class: list[dict[str, Any]] = []
    if given is not None:
        import pandas as pd

        given_series = pd.Series(np.asarray(given, dtype=object))
        totals = given_series.value_counts(sort=False)
        changed_counts = given_series[changed].value_counts(sort=False)
        per_class = [
            {
                "class": value,
                "n_examples": int(count),
                "n_changed": int(changed_counts.get(value, 0)),
            }
            for value, count in totals.items()
        ]
        per_class.sort(key=lambda item: (-item["n_changed"], str(item["class"])))
    n_examples = len(changed)
    return plain(
        {
            "action": action,
            "n_examples": n_examples,
            "n_flagged": n_flagged,
            "n_changed": n_changed,
            "n_rows_written": n_examples - n_changed if action == "remove" else n_examples,
            "output": output,
            "classes": per_class,
        }
    )
