"""Dataset label health: per-class quality, overlapping classes, noise rate.

The formulas and the three counts users see: docs/algorithms.md, sections 12-13.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from labelaudit.core._arrays import EPS
from labelaudit.core.counting import (
    LabelStats,
    RowRelease,
    compute_label_stats,
    estimate_joint,
    noise_matrices,
)

__all__ = ["ClassHealth", "ClassOverlap", "HealthReport", "health_report"]


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


@dataclass(frozen=True)
class ClassOverlap:
    """How often two classes are confused: ``Q[a, b] + Q[b, a]`` with ``a < b``."""

    class_a: int
    class_b: int
    n_overlapping: int
    joint_probability: float


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
    joint: np.ndarray = field(repr=False)
    noise_matrix: np.ndarray = field(repr=False)


def _class_health(
    joint: np.ndarray, class_counts: np.ndarray, n_examples: int
) -> list[ClassHealth]:
    """Per-class label noise and quality, worst class first (ties by class index)."""
    diagonal = np.diag(joint)
    row_sums = joint.sum(axis=1)
    column_sums = joint.sum(axis=0)
    given_noise = row_sums - diagonal
    true_noise = column_sums - diagonal
    label_noise = given_noise / np.maximum(row_sums, EPS)
    inverse_label_noise = true_noise / np.maximum(column_sums, EPS)
    label_quality = 1 - label_noise
    n_label_issues = np.round(given_noise * n_examples).astype(np.int64)
    n_inverse_label_issues = np.round(true_noise * n_examples).astype(np.int64)
    order = np.argsort(label_quality, kind="stable")
    return [
        ClassHealth(
            class_index=int(k),
            n_examples=int(class_counts[k]),
            n_label_issues=int(n_label_issues[k]),
            n_inverse_label_issues=int(n_inverse_label_issues[k]),
            label_noise=float(label_noise[k]),
            inverse_label_noise=float(inverse_label_noise[k]),
            label_quality=float(label_quality[k]),
        )
        for k in order
    ]


def _overlapping_classes(joint: np.ndarray, n_examples: int) -> list[ClassOverlap]:
    """Class pairs by symmetric joint probability, largest first (ties by pair order)."""
    class_a, class_b = np.triu_indices(joint.shape[0], k=1)
    joint_probability = joint[class_a, class_b] + joint[class_b, class_a]
    order = np.argsort(-joint_probability, kind="stable")
    n_overlapping = np.round(joint_probability * n_examples).astype(np.int64)
    return [
        ClassOverlap(
            class_a=int(class_a[i]),
            class_b=int(class_b[i]),
            n_overlapping=int(n_overlapping[i]),
            joint_probability=float(joint_probability[i]),
        )
        for i in order
    ]


def health_report(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    stats: LabelStats | None = None,
    chunk_rows: int | None = None,
    n_threads: int | None = None,
    release_rows: RowRelease | None = None,
    assume_valid: bool = False,
) -> HealthReport:
    """Label health of a dataset.

    ``noise_rate = num_label_issues / N`` (the estimate of docs/algorithms.md, section 6),
    ``health_score = 1 - noise_rate``; per class, label noise ``(rowsum_k(Q) - Q[k, k]) /
    rowsum_k(Q)`` and its inverse over the column; overlapping pairs by ``Q[a, b] + Q[b, a]``.

    Parameters
    ----------
    labels : array-like of shape (N,)
        Given labels, integers in ``0..K-1``.
    pred_probs : ndarray of shape (N, K), float32 or float64
        Out-of-sample predicted probabilities.
    stats : LabelStats, optional
        Reuse statistics already computed for these inputs.
    release_rows : callable, optional
        Called with each row slice once it has been read (see ``compute_label_stats``).
    assume_valid : bool
        Skip the pass that checks every probability (finite, in [0, 1], rows summing to 1);
        for callers that already ran :func:`~labelaudit.core.validation.check_pred_probs`.

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
    joint = estimate_joint(stats.calibrated_joint)
    noise_matrix, _, _ = noise_matrices(stats.calibrated_joint)
    noise_rate = stats.num_label_issues / stats.n_examples
    return HealthReport(
        n_examples=stats.n_examples,
        n_classes=stats.n_classes,
        n_label_issues=stats.num_label_issues,
        noise_rate=noise_rate,
        health_score=1 - noise_rate,
        classes=_class_health(joint, stats.class_counts, stats.n_examples),
        overlapping_classes=_overlapping_classes(joint, stats.n_examples),
        joint=joint,
        noise_matrix=noise_matrix,
    )
