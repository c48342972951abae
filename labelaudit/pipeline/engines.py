"""The two engines as objects: each one's find-issues, score, health and report use cases.

The commands call ``engine.find_issues(sources, options, results)`` (and the others) without
knowing which engine runs them: :func:`local` runs them in this process
(:mod:`~labelaudit.pipeline.audit`, :mod:`~labelaudit.pipeline.health`,
:mod:`~labelaudit.pipeline.report`), :func:`dask` on a Dask cluster
(:mod:`~labelaudit.pipeline.dask_audit`, :mod:`~labelaudit.pipeline.dask_report`). Both take the
same options (:mod:`~labelaudit.pipeline.options`) and return the same documents; only their
sources differ (``AuditSources`` or ``DaskSources``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Engine:
    """One engine's use cases (see the module's docstring)."""

    name: str
    find_issues: Callable[..., tuple[dict[str, Any], Any]]
    score_labels: Callable[..., dict[str, Any]]
    health: Callable[..., Any]
    report: Callable[..., dict[str, Any]]


def local() -> Engine:
    """The local engine (``--engine local``)."""
    from labelaudit.pipeline import audit, health, report

    return Engine("local", audit.find_issues, audit.score_labels, health.health, report.report)


def dask() -> Engine:
    """The Dask engine (``--engine dask``); needs the ``dask`` extra."""
    from labelaudit.pipeline import dask_audit, dask_report

    return Engine(
        "dask",
        dask_audit.find_issues,
        dask_audit.score_labels,
        dask_audit.health,
        dask_report.report,
    )
