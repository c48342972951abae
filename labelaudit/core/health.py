"""Dataset label health: per-class quality, overlapping classes, noise rate.

The formulas and the three counts users see: docs/algorithms.md, sections 12-13.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

import numpy as np

from labelaudit.core._arrays import EPS
from labelaudit.core.calibration import estimate_joint, noise_matrices
from labelaudit.core.counting import LabelStats, RowRelease, compute_label_stats
from labelaudit.core.sparse import SparseMatrix, sparse_joint
from labelaudit.core.sparse_health import largest_sparse_cells, symmetric_pairs

__all__ = [
    "ClassConfusion",
    "ClassHealth",
    "ClassOverlap",
    "HealthReport",
    "health_report",
    "top_confusions",
]


@dataclass(frozen=True)
class ClassHealth:
    """Label health of one class, from the joint ``Q`` (rows given, columns true)."""

    class_index: int
    n_examples: int
    n_label_issues: int
    n_inverse_label_issues: int
    label_noise: float
    inverse_label_noise: float
    label_quality: float

    @classmethod
    def of_classes(
        cls,
        order: np.ndarray,
        n_examples: np.ndarray,
        n_label_issues: np.ndarray,
        n_inverse_label_issues: np.ndarray,
        label_noise: np.ndarray,
        inverse_label_noise: np.ndarray,
        label_quality: np.ndarray,
    ) -> list[Self]:
        """One record per class, in *order*, from per-class arrays (as Python ints and floats)."""
        return [
            cls(
                class_index=int(k),
                n_examples=int(n_examples[k]),
                n_label_issues=int(n_label_issues[k]),
                n_inverse_label_issues=int(n_inverse_label_issues[k]),
                label_noise=float(label_noise[k]),
                inverse_label_noise=float(inverse_label_noise[k]),
                label_quality=float(label_quality[k]),
            )
            for k in order
        ]


@dataclass(frozen=True)
class ClassOverlap:
    """How often two classes are confused: ``Q[a, b] + Q[b, a]`` with ``a < b``."""

    class_a: int
    class_b: int
    n_overlapping: int
    joint_probability: float


@dataclass(frozen=True)
class ClassConfusion:
    """One noise-matrix cell off the diagonal: ``P(given | true)`` for ``given != true``."""

    given: int
    true: int
    probability: float


@dataclass(frozen=True)
class HealthReport:
    """Overall and per-class label health of a dataset."""

    n_examples: int
    n_classes: int
    n_label_issues: int
    noise_rate: float
    health_score: float
    classes: list[ClassHealth]
    overlapping_classes: list[ClassOverlap]
    """The pairs with the largest ``Q[a, b] + Q[b, a]`` (every pair unless ``top_pairs``)."""
    joint: np.ndarray | SparseMatrix = field(repr=False)
    noise_matrix: np.ndarray | SparseMatrix = field(repr=False)
    """Dense (K, K), or a :class:`SparseMatrix` with many classes (``np.asarray`` densifies)."""


def _class_health(
    sums: tuple[np.ndarray, np.ndarray, np.ndarray], class_counts: np.ndarray, n_examples: int
) -> list[ClassHealth]:
    """Per-class label noise and quality, worst class first (ties by class index).

    *sums* are the joint's diagonal, row sums and column sums.
    """
    diagonal, row_sums, column_sums = sums
    given_noise = row_sums - diagonal
    true_noise = column_sums - diagonal
    label_noise = given_noise / np.maximum(row_sums, EPS)
    inverse_label_noise = true_noise / np.maximum(column_sums, EPS)
    label_quality = 1 - label_noise
    n_label_issues = np.round(given_noise * n_examples).astype(np.int64)
    n_inverse_label_issues = np.round(true_noise * n_examples).astype(np.int64)
    order = np.argsort(label_quality, kind="stable")
    return ClassHealth.of_classes(
        order,
        class_counts,
        n_label_issues,
        n_inverse_label_issues,
        label_noise,
        inverse_label_noise,
        label_quality,
    )


def _joint_sums(joint: np.ndarray | SparseMatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The joint's diagonal, row sums and column sums, summed as numpy sums the dense matrix."""
    if isinstance(joint, SparseMatrix):
        return joint.diagonal(), joint.row_sums(), joint.column_sums()
    return np.diag(joint), joint.sum(axis=1), joint.sum(axis=0)


def _largest_cells(values: np.ndarray, top: int) -> np.ndarray:
    """Flat indices of the *top* largest entries of *values*, largest first, ties by index.

    Entries below 0 are never chosen (callers mark excluded cells with -1). Selection is
    ``np.partition`` over the values (O(K^2) numbers, no Python objects); the entries tied with
    the smallest chosen value are taken in index order, row by row, so the result equals the
    first *top* entries of a stable sort by decreasing value.
    """
    flat = values.reshape(-1)
    top = min(top, int(np.count_nonzero(flat >= 0)))
    if top <= 0:
        return np.empty(0, dtype=np.int64)
    cutoff = np.partition(flat, flat.size - top)[flat.size - top]
    above = np.flatnonzero(flat > cutoff)
    needed = top - above.size
    tied: list[np.ndarray] = []
    rows = values.reshape(values.shape[0], -1)
    for i in range(rows.shape[0]):  # row by row: never an index array of every tied cell
        if needed <= 0:
            break
        hits = np.flatnonzero(rows[i] == cutoff)[:needed]
        tied.append(hits + i * rows.shape[1])
        needed -= hits.size
    chosen = np.sort(np.concatenate([above, *tied]).astype(np.int64))
    return chosen[np.argsort(-flat[chosen], kind="stable")]


def _overlapping_classes(
    joint: np.ndarray | SparseMatrix,
    n_examples: int,
    top: int | None = None,
    skip_zeros: bool = False,
) -> list[ClassOverlap]:
    """Class pairs by symmetric joint probability, largest first (ties by pair order).

    Only the *top* pairs are listed (every pair when ``None``; with *skip_zeros*, every pair
    with a non-zero probability). Dense: a few K x K arrays of numbers; sparse: the non-zero
    cells. Python objects are made for the listed pairs only.
    """
    n_classes = joint.shape[0]
    if isinstance(joint, SparseMatrix):
        pairs, values = symmetric_pairs(joint)
        chosen, joint_probability = largest_sparse_cells(
            pairs, values, n_classes, top, upper_only=True, skip_zeros=skip_zeros
        )
    else:
        symmetric = joint + joint.T
        for a in range(n_classes):  # in place: no K^2 index arrays for the upper triangle
            symmetric[a, : a + 1] = -1.0
        if skip_zeros:
            symmetric[symmetric == 0] = -1.0
        n_pairs = n_classes * (n_classes - 1) // 2
        chosen = _largest_cells(symmetric, n_pairs if top is None else min(top, n_pairs))
        joint_probability = symmetric.reshape(-1)[chosen]
    class_a, class_b = np.divmod(chosen, n_classes)
    n_overlapping = np.round(joint_probability * n_examples).astype(np.int64)
    return [
        ClassOverlap(
            class_a=int(class_a[i]),
            class_b=int(class_b[i]),
            n_overlapping=int(n_overlapping[i]),
            joint_probability=float(joint_probability[i]),
        )
        for i in range(chosen.size)
    ]


def top_confusions(noise_matrix: np.ndarray, top: int) -> list[ClassConfusion]:
    """The *top* largest off-diagonal cells of the noise matrix, largest first, ties by cell.

    Parameters
    ----------
    noise_matrix : ndarray of shape (K, K), or SparseMatrix
        ``P(given=i | true=j)`` (rows given, columns true).
    top : int
        How many cells to list.

    Returns
    -------
    list of ClassConfusion
        Cells ``(given, true)`` with ``given != true`` and their probability.
    """
    if isinstance(noise_matrix, SparseMatrix):
        n_classes = noise_matrix.n_classes
        off = noise_matrix.rows != noise_matrix.cols
        cells = noise_matrix.rows[off] * n_classes + noise_matrix.cols[off]
        chosen, probabilities = largest_sparse_cells(
            cells, noise_matrix.values[off], n_classes, top, upper_only=False
        )
    else:
        values = np.array(noise_matrix, dtype=np.float64)
        n_classes = values.shape[1]
        np.fill_diagonal(values, -1.0)
        chosen = _largest_cells(values, top)
        probabilities = values.reshape(-1)[chosen]
    given, true = np.divmod(chosen, n_classes)
    return [
        ClassConfusion(given=int(g), true=int(t), probability=float(p))
        for g, t, p in zip(given, true, probabilities, strict=True)
    ]


def health_report(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    stats: LabelStats | None = None,
    top_pairs: int | None = None,
    skip_zero_pairs: bool = False,
    chunk_rows: int | None = None,
    n_threads: int | None = None,
    release_rows: RowRelease | None = None,
    assume_valid: bool = False,
) -> HealthReport:
    """Label health of a dataset.

    ``noise_rate = num_label_issues / N`` (the estimate of docs/algorithms.md, section 6),
    ``health_score = 1 - noise_rate``; per class, label noise ``(rowsum_k(Q) - Q[k, k]) /
    rowsum_k(Q)`` and its inverse over the column; overlapping pairs by ``Q[a, b] + Q[b, a]``.

    Without *stats* (statistics already computed for these inputs) they are computed here, with
    *labels*, *pred_probs*, *chunk_rows*, *n_threads*, *release_rows* and *assume_valid* as
    :func:`~labelaudit.core.counting.compute_label_stats` describes them.

    Parameters
    ----------
    top_pairs : int, optional
        List only this many overlapping pairs (the first ones of the full list); default every
        pair, K (K - 1) / 2 of them.
    skip_zero_pairs : bool
        Leave out the pairs whose joint probability is 0 (with many classes, nearly all).

    With many classes (:func:`~labelaudit.core.sparse.use_sparse`) *stats* holds sparse
    matrices, and so do the report's ``joint`` and ``noise_matrix``: memory is then O(N + K),
    and every number is the dense path's.

    Returns
    -------
    HealthReport
    """
    if stats is None:
        stats = compute_label_stats(
            labels,
            pred_probs,
            chunk_rows=chunk_rows,
            n_threads=n_threads,
            release_rows=release_rows,
            assume_valid=assume_valid,
        )
    return _health_of_stats(stats, top_pairs, skip_zero_pairs)


def _health_of_stats(
    stats: LabelStats, top_pairs: int | None, skip_zero_pairs: bool
) -> HealthReport:
    """:func:`health_report` from the statistics: the joint ``Q``, the noise matrix, the rates."""
    if isinstance(stats.calibrated_joint, SparseMatrix):
        joint, noise_matrix = sparse_joint(stats.calibrated_joint)
    else:
        joint = estimate_joint(stats.calibrated_joint)
        noise_matrix, _, _ = noise_matrices(stats.calibrated_joint)
    noise_rate = stats.num_label_issues / stats.n_examples
    return HealthReport(
        n_examples=stats.n_examples,
        n_classes=stats.n_classes,
        n_label_issues=stats.num_label_issues,
        noise_rate=noise_rate,
        health_score=1 - noise_rate,
        classes=_class_health(_joint_sums(joint), stats.class_counts, stats.n_examples),
        overlapping_classes=_overlapping_classes(
            joint, stats.n_examples, top_pairs, skip_zeros=skip_zero_pairs
        ),
        joint=joint,
        noise_matrix=noise_matrix,
    )
