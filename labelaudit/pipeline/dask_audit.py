"""find-issues, score and health with ``--engine dask``: the numbers of
:mod:`labelaudit.pipeline.dask_engine`, made into documents by :mod:`labelaudit.pipeline.audit`.

The use cases take the same sources-free arguments (:mod:`labelaudit.pipeline.options`) as
:mod:`labelaudit.pipeline.audit`'s and :mod:`labelaudit.pipeline.health`'s and hand their
numbers to the same functions (``issues_document``, ``rows_records``, ``health_result``...), so
the documents, gates and CI outputs are the local engine's. Input: one partitioned Parquet
dataset holding the labels and the probabilities. Output (``-o``): a folder of
``part-NNNNN.parquet`` files, one per input partition, or one ``.parquet`` file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.errors import InputError
from labelaudit.pipeline import audit
from labelaudit.pipeline import health as health_module
from labelaudit.pipeline.checks import CheckResult
from labelaudit.pipeline.dask_engine import (
    MergedStats,
    by_class_selections,
    dask_client,
    dataset_specs,
    lowest_selections,
    merged_stats,
    noise_rate_cuts,
)
from labelaudit.pipeline.dask_finish import assemble_file, fetch, last_pass, top_rows
from labelaudit.pipeline.dask_tasks import FinishPlan, PartitionSpec, PartitionWork, finish_task
from labelaudit.pipeline.options import HealthOptions, IssueOptions, ResultOptions, ScoreOptions


@dataclass(frozen=True)
class DaskSources:
    """A partitioned Parquet dataset (folder, glob or file) and the cluster to audit it on."""

    dataset: Path
    label_column: str | None = None
    id_column: str | None = None
    scheduler: str | None = None
    prob_columns: str | None = None
    probs: tuple[Path, ...] = ()

    def specs(self) -> list[PartitionSpec]:
        """The partitions, their schemas checked (see :func:`dataset_specs`)."""
        return dataset_specs(self.dataset, self.label_column, self.id_column, self.prob_columns)

    def paths(self) -> list[Path]:
        """The dataset's path (an output must not be it); not a glob."""
        return [] if any(c in str(self.dataset) for c in "*?[") else [self.dataset]


def _check_output(output: Path | None, sources: DaskSources) -> None:
    """A ``.parquet`` file, or a folder (no suffix) that does not exist yet, outside the
    dataset's folder (where it would become a partition of the next run)."""
    from labelaudit.io.paths import is_stdout

    if output is None:
        return
    if is_stdout(output):
        raise InputError(
            "-o -: the Dask engine writes Parquet, not CSV on standard output; give a .parquet "
            "file or a new folder."
        )
    dataset = sources.dataset
    folder = dataset if dataset.is_dir() else dataset.parent
    if output.resolve().parent == folder.resolve() or output.resolve() == folder.resolve():
        raise InputError(
            f"-o/--output {output}: is inside the input dataset's folder {folder}; "
            "write it elsewhere."
        )
    if output.suffix and output.suffix.lower() != ".parquet":
        raise InputError(
            f"-o/--output {output}: with --engine dask, name a .parquet file or a new folder."
        )


def gathered_facts(
    results: list[dict[str, Any]], classes: list[Any], id_column: str | None
) -> dict:
    """Every row of the partitions (score's results), concatenated in global row order, as the
    row facts of :func:`audit.rows_columns`."""
    import pyarrow as pa

    ids = [r["ids"] for r in results if r["ids"] is not None]
    facts = {
        "classes": classes,
        "labels": np.concatenate([r["labels"] for r in results]),
        "predicted": np.concatenate([r["predicted"] for r in results]),
        "scores": np.concatenate([r["scores"] for r in results]),
        "ids": pa.chunked_array([c for i in ids for c in i.chunks], ids[0].type) if ids else None,
        "id_column": id_column,
    }
    return facts


def top_records(
    top: dict[str, Any], classes: list[Any], id_column: str | None
) -> list[dict[str, Any]]:
    """:func:`audit.rows_records` of the fetched top rows (in their order), ``row`` global."""
    facts = {name: values for name, values in top.items() if name != "rows"}
    positions = np.arange(top["rows"].shape[0])
    records = audit.rows_records(positions, classes=classes, id_column=id_column, **facts)
    for record, row in zip(records, top["rows"], strict=True):
        record["row"] = int(row)
    return records


def issue_works(
    client: Any, specs: list[PartitionSpec], stats: MergedStats, options: IssueOptions
) -> tuple[dict[Any, Any] | None, list[PartitionWork]]:
    """The driver's decisions for find-issues: the noise-rate cut-offs, and per partition its
    tied picks, prune-by-class picks or ``low_*`` selection."""
    from labelaudit.core.filtering import prune_counts_of_stats

    filter_by, minimum = options.filter_by, options.min_examples_per_class
    offsets = stats.offsets
    works = [PartitionWork(offset=int(offsets[p]), tied={}) for p in range(len(specs))]
    if filter_by.startswith("low_"):
        selected = lowest_selections(client, specs, stats, filter_by[len("low_") :])
        return None, [
            PartitionWork(w.offset, {}, selected=s) for w, s in zip(works, selected, strict=True)
        ]
    if filter_by in ("confident_learning", "predicted_neq_given"):
        return None, works
    prune_counts = prune_counts_of_stats(stats, options.frac_noise, minimum)
    cuts, tied, by_class = None, None, None
    if filter_by in ("prune_by_noise_rate", "both"):
        cuts, tied = noise_rate_cuts(client, specs, stats, prune_counts, minimum)
    if filter_by in ("prune_by_class", "both"):
        by_class = by_class_selections(client, stats, prune_counts, minimum)
    works = [
        PartitionWork(
            w.offset,
            tied[p] if tied is not None else {},
            by_class=None if by_class is None else by_class[p],
        )
        for p, w in enumerate(works)
    ]
    return cuts, works


def find_issues(
    sources: DaskSources, options: IssueOptions | None = None, results: ResultOptions | None = None
) -> tuple[dict[str, Any], CheckResult]:
    """find-issues with the Dask engine: the local engine's document and rows, bit for bit.

    The driver holds the flagged rows' scores (to rank them globally), never N-vectors.
    ``results.csv_safe`` is unused: there is no CSV output with ``--engine dask``.
    """
    from labelaudit.pipeline.model_quality import counts_accuracy_warning
    from labelaudit.report import documents

    options, results = options or IssueOptions(), results or ResultOptions()
    _check_output(results.output, sources)
    specs = sources.specs()
    with dask_client(sources.scheduler) as client:
        stats = merged_stats(client, specs, options.filter_by)
        issues = _flagged_and_ranked(client, specs, stats, options, results)
    warning = audit.raise_warning(counts_accuracy_warning(stats.n_correct, stats.class_counts))
    per_class = documents.flagged_by_class(stats.classes, stats.class_counts, issues.by_class)
    return audit.issues_document(
        top_records(issues.top, stats.classes, sources.id_column),
        options,
        results,
        n_examples=stats.n_examples,
        n_classes=stats.n_classes,
        n_label_issues=int(issues.ranked.shape[0]),
        warning=warning,
        per_class=per_class,
    )


def _flagged_and_ranked(
    client: Any,
    specs: list[PartitionSpec],
    stats: MergedStats,
    options: IssueOptions,
    results: ResultOptions,
) -> RankedIssues:
    """find-issues' last pass: flag each partition's rows, write ``results.output`` (a folder
    of parts, or one file assembled from them), and rank the flagged rows globally."""
    output = results.output
    one_file = output is not None and bool(output.suffix)
    cuts, works = issue_works(client, specs, stats, options)
    plan = FinishPlan(
        "find-issues",
        stats.thresholds,
        options.filter_by,
        cuts,
        method=options.rank_by,
        all_rows=results.all_rows,
        ranked_parts=not one_file,
    )
    with last_pass(client, specs, plan, works, output) as (futures, folder):
        issues = ranked_issues(client, futures, results.top)
        if one_file:
            order = None if results.all_rows else issues.ranked
            assemble_file(output, folder, len(specs), order)  # type: ignore[arg-type]
    return issues


@dataclass(frozen=True)
class RankedIssues:
    """The flagged rows as the driver holds them: their global ranking (indices of the
    flagged rows in row order, most likely errors first), their count per class, and the
    facts of the top ones in ranking order (``rows`` global)."""

    ranked: np.ndarray
    by_class: np.ndarray
    top: dict[str, Any]


def ranked_issues(client: Any, futures: list[Any], top: int) -> RankedIssues:
    """Rank the flagged rows of every partition exactly as the local engine (numpy's argsort
    of all their scores in row order); the driver holds their scores, not their other facts."""
    from labelaudit.core.ranking import order_label_issues

    scores = np.concatenate(fetch(client, futures, "scores"))
    ranked = order_label_issues(np.ones(scores.shape[0], dtype=bool), scores)
    del scores
    by_class = fetch(client, futures, "by_class")
    counts = [int(c.sum()) for c in by_class]
    rows = top_rows(client, futures, counts, ranked[:top])
    return RankedIssues(ranked, np.sum(by_class, axis=0), rows)


def score_labels(
    sources: DaskSources, options: ScoreOptions | None = None, results: ResultOptions | None = None
) -> dict[str, Any]:
    """score with the Dask engine: every row's score (written in input order) and the document.

    The N scores, labels and predictions are gathered on the driver: the document's mean is
    numpy's pairwise mean over all of them in row order, as the local engine computes it.
    ``results.csv_safe`` is unused: there is no CSV output with ``--engine dask``.
    """
    options, results = options or ScoreOptions(), results or ResultOptions()
    options.check()
    output = results.output
    _check_output(output, sources)
    specs = sources.specs()
    with dask_client(sources.scheduler) as client:
        thresholds, offsets = None, _row_offsets(client, specs)
        if options.adjust_pred_probs:
            thresholds = merged_stats(client, specs).thresholds
        plan = FinishPlan(
            "score", thresholds, method=options.method, adjust_pred_probs=options.adjust_pred_probs
        )
        works = [PartitionWork(offset=int(offsets[p]), tied={}) for p in range(len(specs))]
        with last_pass(client, specs, plan, works, output) as (futures, folder):
            parts = client.gather(futures)
            if output is not None and output.suffix:
                assemble_file(output, folder, len(specs))  # type: ignore[arg-type]
    classes = next((r["classes"] for r in parts if r["n_rows"]), parts[0]["classes"])
    facts = gathered_facts(parts, classes, sources.id_column)
    scores = facts["scores"]
    return audit.score_document(options, results, scores, facts, n_examples=int(scores.shape[0]))


def _row_offsets(client: Any, specs: list[PartitionSpec]) -> np.ndarray:
    """First global row of each partition, from the files' metadata (no data read)."""
    from labelaudit.pipeline.dask_tasks import row_count_task

    counts = client.gather(client.map(row_count_task, specs, pure=False))
    if sum(counts) == 0:
        raise InputError(f"{specs[0].path.parent}: the dataset has no rows.")
    return np.concatenate(([0], np.cumsum(counts)))


def _flagged_count(client: Any, specs: list[PartitionSpec], stats: MergedStats) -> int:
    """Rows find-issues flags with its default filter (a counting pass, no rows gathered)."""
    import warnings

    with warnings.catch_warnings():  # find-issues' warnings (small classes) are not health's
        warnings.simplefilter("ignore")
        cuts, works = issue_works(client, specs, stats, IssueOptions())
    plan = FinishPlan("find-issues", stats.thresholds, "prune_by_noise_rate", cuts)
    counting = [PartitionWork(w.offset, w.tied, count_only=True) for w in works]
    futures = client.map(finish_task, specs, [plan] * len(specs), counting, pure=False)
    return sum(r["n_issues"] for r in client.gather(futures))


def health(
    sources: DaskSources, options: HealthOptions | None = None
) -> health_module.HealthResult:
    """health with the Dask engine: the local engine's result, from merged partials."""
    from labelaudit.core.health import health_report
    from labelaudit.io.paths import check_output
    from labelaudit.pipeline.health_limits import skip_zero_pairs
    from labelaudit.pipeline.model_quality import counts_accuracy_warning

    options = options or HealthOptions()
    if options.output is not None:
        check_output(options.output, (".json",), sources.paths())
    specs = sources.specs()
    with dask_client(sources.scheduler) as client:
        stats = merged_stats(client, specs)
        flagged = None
        if health_module.counts_flagged(stats.n_examples, stats.n_classes, options.flagged_count):
            flagged = _flagged_count(client, specs, stats)
    order = None
    if options.class_order is not None:
        order = health_module.resolve_class_order(stats.classes, options.class_order)
    report = health_report(
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        stats=stats,  # type: ignore[arg-type]
        top_pairs=None if options.all_pairs else options.top,
        skip_zero_pairs=skip_zero_pairs(stats.n_classes, options.all_pairs),
    )
    return health_module.health_result(
        report,
        stats.classes,
        options,
        counts=health_module.health_counts(report, flagged),
        warning=audit.raise_warning(counts_accuracy_warning(stats.n_correct, stats.class_counts)),
        order=order,
    )
