"""What health leaves out with many classes, so that memory and the JSON stay O(N + K).

With many classes the core holds the K x K matrices sparse (core/sparse.py); these are the
pipeline's limits on what would bring K^2 back: the pruning pass behind find-issues' count, the
noise matrix in the JSON, and the class pairs with no overlap under ``--all-pairs``.
"""

from __future__ import annotations

from typing import Any

MAX_ALL_PAIRS_CLASSES = 1000
"""With ``--all-pairs``, the noise matrix is included and every class pair listed up to this
many classes; above it (K^2 numbers: 400 million at 20,000 classes) the matrix is left out and
only the pairs with a non-zero joint probability are listed (at most N + K of them)."""


def skip_zero_pairs(n_classes: int, all_pairs: bool) -> bool:
    """``--all-pairs`` with more than :data:`MAX_ALL_PAIRS_CLASSES`: no pairs of probability 0."""
    return all_pairs and n_classes > MAX_ALL_PAIRS_CLASSES


def zero_pairs_note(n_classes: int) -> str:
    """The document's ``overlapping_classes_omitted`` when pairs of probability 0 are left out."""
    return (
        f"pairs with a joint probability of 0 are not listed: {n_classes:,} classes is more "
        f"than {MAX_ALL_PAIRS_CLASSES:,} (n_class_pairs counts every pair)"
    )


def matrix_omitted(n_classes: int, all_pairs: bool, max_classes: int) -> str | None:
    """Why the JSON has no noise matrix (more than *max_classes*, or too many even with
    ``--all-pairs``), or ``None`` when it is included."""
    if not all_pairs and n_classes > max_classes:
        return (
            f"{n_classes:,} classes is more than {max_classes} (K x K numbers); pass "
            "--all-pairs to include it"
        )
    if n_classes > MAX_ALL_PAIRS_CLASSES:
        return (
            f"{n_classes:,} classes is more than {MAX_ALL_PAIRS_CLASSES:,}, even with "
            "--all-pairs (K x K numbers); top_confusions lists the largest cells"
        )
    return None


def count_flagged_by_default(stats: Any, n_values: int, limit: int) -> bool:
    """Whether health runs the pruning pass for find-issues' count without being asked.

    Not above *limit* probabilities, nor when the matrices are sparse: pruning holds K x K
    arrays.
    """
    from labelaudit.core.sparse import SparseMatrix

    return n_values <= limit and not isinstance(stats.calibrated_joint, SparseMatrix)


def not_counted_for_classes(counts: dict[str, Any], n_classes: int, template: str) -> None:
    """Say in ``counts.find_issues`` that it was not counted because of the many classes.

    *template* is the count's own description (``COUNT_DESCRIPTIONS['find_issues']``).
    """
    counts["find_issues"]["description"] = (
        template.format(filter_by="prune_by_noise_rate")
        + f"; not counted for {n_classes:,} classes: pruning holds K x K arrays; run "
        "find-issues for it, or pass health --flagged-count"
    )
