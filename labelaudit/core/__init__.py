"""Pure numpy core of labelaudit: no files, no pandas, no printing.

Inputs are integer labels ``0..K-1`` and an (N, K) float32 or float64 probability array
(possibly memory-mapped); every pass over the rows is chunked.
"""

from labelaudit.core.calibration import calibrate_confident_joint, estimate_joint, noise_matrices
from labelaudit.core.counting import LabelStats, compute_label_stats
from labelaudit.core.filtering import FILTERS, find_label_issues
from labelaudit.core.health import ClassHealth, ClassOverlap, HealthReport, health_report
from labelaudit.core.prune_counts import prune_count_matrix
from labelaudit.core.ranking import (
    SCORE_METHODS,
    ensemble_label_quality_scores,
    label_quality_scores,
    order_label_issues,
)

__all__ = [
    "FILTERS",
    "SCORE_METHODS",
    "ClassHealth",
    "ClassOverlap",
    "HealthReport",
    "LabelStats",
    "calibrate_confident_joint",
    "compute_label_stats",
    "ensemble_label_quality_scores",
    "estimate_joint",
    "find_label_issues",
    "health_report",
    "label_quality_scores",
    "noise_matrices",
    "order_label_issues",
    "prune_count_matrix",
]
