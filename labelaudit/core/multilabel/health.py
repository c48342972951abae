"""Multi-label dataset health: per-class table, common issues, overall score (ALGORITHMS.md s11)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labelaudit.core.health import ClassHealth
from labelaudit.core.multilabel._binary import check_multilabel
from labelaudit.core.multilabel.filtering import find_multilabel_issues

__all__ = ["CommonIssue", "MultilabelClassHealth", "MultilabelHealth", "multilabel_health"]


@dataclass(frozen=True)
class MultilabelClassHealth(ClassHealth):
    """Label health of one class, from the rows its binary filter flags.

    ``label_noise``: rows flagged where the tag was given (probably absent), over all N rows
    (not over the rows with the tag, and not from the confident joint); ``inverse_label_noise``:
    rows flagged where the tag was absent (probably present), over N; ``label_quality = 1 -
    label_noise``. As in the reference, ``n_label_issues = trunc(label_noise * N)`` and
    ``n_inverse_label_issues = trunc(inverse_label_noise * N)``, which can be one less than
    the flagged count. ``n_examples`` is the number of rows with the tag (an extra column).
    The fields are :class:`~labelaudit.core.health.ClassHealth`'s.
    """


@dataclass(frozen=True)
class CommonIssue:
    """Rows whose tag *class_index* is flagged, split by whether the tag was given."""

    class_index: int
    in_given_label: bool
    in_suggested_label: bool
    n_examples: int
    issue_probability: float


@dataclass(frozen=True)
class MultilabelHealth:
    """Overall and per-class label health of a multi-label dataset."""

    n_examples: int
    n_classes: int
    n_label_issues: int
    health_score: float
    classes: list[MultilabelClassHealth]
    common_issues: list[CommonIssue]


def _descending_order(values: np.ndarray) -> np.ndarray:
    """Indices ordering *values* largest first, ties broken as pandas' descending sort does.

    That is numpy's default argsort of the reversed vector, mapped back and reversed; the
    reference's common-issues table is ordered this way (found by parity testing).
    """
    reversed_positions = np.arange(values.shape[0])[::-1]
    return reversed_positions[np.argsort(values[::-1])][::-1]


def _common_issues(
    flagged_given: np.ndarray, flagged_absent: np.ndarray, n_rows: int
) -> tuple[list[CommonIssue], np.ndarray]:
    """Common-issue rows (class k tag given, then absent, for every k), largest first."""
    n_classes = flagged_given.shape[0]
    counts = np.column_stack((flagged_given, flagged_absent)).reshape(-1)
    classes = np.repeat(np.arange(n_classes), 2)
    in_given = np.tile([True, False], n_classes)
    probability = counts / n_rows
    order = _descending_order(probability)
    issues = [
        CommonIssue(
            class_index=int(classes[i]),
            in_given_label=bool(in_given[i]),
            in_suggested_label=not bool(in_given[i]),
            n_examples=int(counts[i]),
            issue_probability=float(probability[i]),
        )
        for i in order
    ]
    return issues, classes[order]


def _class_order(quality: np.ndarray, classes_in_issue_order: np.ndarray) -> np.ndarray:
    """Classes worst first: in order of first appearance in the common issues, then numpy's
    default argsort of their label quality (the reference's order, ties included)."""
    _, first = np.unique(classes_in_issue_order, return_index=True)
    sequence = classes_in_issue_order[np.sort(first)]
    return sequence[np.argsort(quality[sequence])]


def multilabel_health(labels: np.ndarray, pred_probs: np.ndarray) -> MultilabelHealth:
    """Label health of a multi-label dataset.

    Per class k, the default filter (prune_by_noise_rate) on the binary problem
    ``(Y[:, k], [1 - p_k, p_k])`` flags rows; those where the tag was given, and those where it
    was absent, are the class's two common issues (``issue_probability = count / N``) and its
    label issues and inverse label issues (:class:`MultilabelClassHealth`).
    ``health_score = 1 - (rows flagged by any class) / N``. *labels* and *pred_probs* are
    described in :func:`~labelaudit.core.multilabel.validate_multilabel`.

    Returns
    -------
    MultilabelHealth
    """
    labels = check_multilabel(labels, pred_probs)
    n_rows, n_classes = pred_probs.shape
    any_flagged, per_class = find_multilabel_issues(labels, pred_probs, return_per_class=True)
    flagged_given = np.count_nonzero(per_class & (labels == 1), axis=0)
    flagged_absent = np.count_nonzero(per_class, axis=0) - flagged_given
    common, classes_in_issue_order = _common_issues(flagged_given, flagged_absent, n_rows)
    label_noise = flagged_given / n_rows
    inverse_noise = flagged_absent / n_rows
    quality = 1 - label_noise
    # The reference turns the fractions back into counts by truncation: 54 / 1500 * 1500 is
    # 53.99999999999999, reported as 53 issues beside a label noise of 54 / 1500.
    n_label_issues_k = (label_noise * n_rows).astype(np.int64)
    n_inverse_k = (inverse_noise * n_rows).astype(np.int64)
    positives = np.count_nonzero(labels, axis=0)
    classes = MultilabelClassHealth.of_classes(
        _class_order(quality, classes_in_issue_order),
        positives,
        n_label_issues_k,
        n_inverse_k,
        label_noise,
        inverse_noise,
        quality,
    )
    n_label_issues = int(np.count_nonzero(any_flagged))
    return MultilabelHealth(
        n_examples=n_rows,
        n_classes=n_classes,
        n_label_issues=n_label_issues,
        health_score=1 - n_label_issues / n_rows,
        classes=classes,
        common_issues=common,
    )
