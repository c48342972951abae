"""Multi-label (one-vs-rest) confident learning on numpy arrays (ALGORITHMS.md section 11).

Labels are an (N, K) 0/1 indicator matrix (empty rows allowed), probabilities an (N, K)
float32/float64 array of per-class probabilities in [0, 1]. Class k is the binary problem
``(Y[:, k], [1 - p_k, p_k])``, solved with the single-label core; results equal cleanlab
2.9.0's ``multilabel_classification``.
"""

from labelaudit.core.multilabel._binary import multilabel_confident_joint, validate_multilabel
from labelaudit.core.multilabel.filtering import find_multilabel_issues, order_multilabel_issues
from labelaudit.core.multilabel.health import (
    CommonIssue,
    MultilabelClassHealth,
    MultilabelHealth,
    multilabel_health,
)
from labelaudit.core.multilabel.ranking import (
    AGGREGATORS,
    aggregate_scores,
    exponential_moving_average,
    multilabel_quality_scores,
    softmin,
)

__all__ = [
    "AGGREGATORS",
    "CommonIssue",
    "MultilabelClassHealth",
    "MultilabelHealth",
    "aggregate_scores",
    "exponential_moving_average",
    "find_multilabel_issues",
    "multilabel_confident_joint",
    "multilabel_health",
    "multilabel_quality_scores",
    "order_multilabel_issues",
    "softmin",
    "validate_multilabel",
]
