"""labelaudit: audit the labels of a classification dataset with confident learning.

The public Python API re-exports the numpy core::

    from labelaudit import find_label_issues, label_quality_scores, health_report

Attributes are loaded on first use so that ``import labelaudit`` (and the CLI's ``--help``)
does not pay for numpy.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.2.0.dev0"

_CORE_EXPORTS = {
    "find_label_issues",
    "label_quality_scores",
    "ensemble_label_quality_scores",
    "order_label_issues",
    "health_report",
    "compute_label_stats",
    "HealthReport",
    "LabelStats",
    "FILTERS",
    "SCORE_METHODS",
}

__all__ = ["__version__", *sorted(_CORE_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name in _CORE_EXPORTS:
        from labelaudit import core

        return getattr(core, name)
    raise AttributeError(f"module 'labelaudit' has no attribute {name!r}")
