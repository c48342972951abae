"""What health leaves out with many classes, so that memory and the JSON stay O(N + K).

With many classes the core holds the K x K matrices sparse (core/sparse.py); these are the
pipeline's limits on what would bring K^2 back into the JSON: the noise matrix, and the class
pairs with no overlap under ``--all-pairs``.
"""

from __future__ import annotations

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
