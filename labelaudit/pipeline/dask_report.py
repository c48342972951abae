"""``report --engine dask``: the report's numbers from the cluster, written by
:func:`labelaudit.pipeline.report.write_report` as the local engine writes them.

Find-issues' flags and ranking and health's report come from the same passes as
:mod:`labelaudit.pipeline.dask_audit`; the last pass also counts each partition's
label-quality histograms, and a chain of small tasks sums each class's label quality over the
partitions in row order (the local engine's float64 sum, bit for bit).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labelaudit.errors import InputError
from labelaudit.pipeline.dask_audit import DaskSources, issue_works, ranked_issues, top_records
from labelaudit.pipeline.dask_engine import MergedStats, dask_client, merged_stats
from labelaudit.pipeline.dask_finish import fetch, last_pass
from labelaudit.pipeline.dask_tasks import FinishPlan, PartitionSpec
from labelaudit.pipeline.options import IssueOptions, ReportOptions
from labelaudit.pipeline.report import AuditNumbers


def report(sources: DaskSources, options: ReportOptions) -> dict[str, Any]:
    """The local engine's :func:`~labelaudit.pipeline.report.report`, computed on the cluster.

    DATA (``options.data``) is not taken: it would be read whole on this machine (and checked
    against every id).
    """
    from labelaudit.pipeline import report as local
    from labelaudit.report import html

    html.require_report_extra()
    if options.data is not None:
        raise InputError(
            "--data: not available with --engine dask (DATA would be read whole on this "
            "machine); join the flagged rows of find-issues --engine dask -o with your data."
        )
    local.check_paths(sources, options)  # type: ignore[arg-type]
    numbers = audit_numbers(sources, options.issues, options.top)
    inputs = {"labels": str(sources.dataset), "probs": [str(path) for path in sources.probs]}
    return local.write_report(numbers, options, inputs=inputs, data_columns=None)


def audit_numbers(sources: DaskSources, options: IssueOptions, top: int) -> AuditNumbers:
    """The report's numbers: merged statistics, the flagging pass with its histograms, and
    the label-quality sums."""
    from labelaudit.core.health import health_report

    specs = sources.specs()
    with dask_client(sources.scheduler) as client:
        stats = merged_stats(client, specs, options.filter_by)
        cuts, works = issue_works(client, specs, stats, options)
        plan = FinishPlan("report", stats.thresholds, options.filter_by, cuts, options.rank_by)
        with last_pass(client, specs, plan, works, None) as (futures, _):
            issues = ranked_issues(client, futures, top)
            histograms = fetch(client, futures, "histograms")
        quality_sum = _quality_sums(client, specs, stats, options.rank_by)
    return AuditNumbers(
        classes=stats.classes,
        health=health_report(None, None, stats=stats),  # type: ignore[arg-type]
        n_flagged=int(issues.ranked.shape[0]),
        flagged=issues.by_class,
        quality_sum=quality_sum,
        accuracy=float(stats.n_correct) / stats.n_examples,
        class_counts=stats.class_counts,
        histograms=(sum(h[0] for h in histograms), sum(h[1] for h in histograms)),
        top_records=top_records(issues.top, stats.classes, sources.id_column),
        top_rows=issues.top["rows"].tolist(),
        id_column=sources.id_column,
    )


def _quality_sums(
    client: Any, specs: list[PartitionSpec], stats: MergedStats, method: str
) -> np.ndarray:
    """Each class's label quality summed in global row order: the partitions' scores are
    computed in parallel and kept on the workers; a chain of tasks adds them in turn."""
    from labelaudit.pipeline.dask_tasks import labelled_scores_task, quality_sums_task

    scored = client.map(labelled_scores_task, specs, method=method, pure=False)
    running = client.scatter(np.zeros(stats.n_classes))
    for part in scored:
        running = client.submit(quality_sums_task, running, part, stats.n_classes, pure=False)
    return np.asarray(running.result())
