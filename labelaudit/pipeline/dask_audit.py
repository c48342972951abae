"""find-issues, score and health with ``--engine dask``: the documents of
:mod:`labelaudit.pipeline.audit`, computed by :mod:`labelaudit.pipeline.dask_engine`.

Input: one partitioned Parquet dataset holding the labels and the probabilities. Output (``-o``):
a folder of ``part-NNNNN.parquet`` files, one per input partition, or one ``.parquet`` file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.errors import InputError
from labelaudit.pipeline.checks import CheckResult, flagged_fraction_check, health_checks
from labelaudit.pipeline.dask_engine import (
    MergedStats,
    _offsets,
    dask_client,
    dataset_specs,
    merged_stats,
    noise_rate_cuts,
    output_folder,
    part_name,
    write_single_file,
)
from labelaudit.pipeline.dask_tasks import FinishPlan, PartitionSpec, PartitionWork, finish_task


@dataclass(frozen=True)
class DaskSources:
    """A partitioned Parquet dataset (folder, glob or file) and the cluster to audit it on."""

    dataset: Path
    label_column: str | None = None
    id_column: str | None = None
    scheduler: str | None = None

    def specs(self) -> list[PartitionSpec]:
        """The partitions, their schemas checked (see :func:`dataset_specs`)."""
        return dataset_specs(self.dataset, self.label_column, self.id_column)


def _check_output(output: Path | None, dataset: Path) -> None:
    """A ``.parquet`` file, or a folder (no suffix) that does not exist yet, outside the
    dataset's folder (where it would become a partition of the next run)."""
    if output is None:
        return
    folder = dataset if dataset.is_dir() else dataset.parent
    if output.resolve().parent == folder.resolve():
        raise InputError(
            f"-o/--output {output}: is inside the input dataset's folder {folder}; "
            "write it elsewhere."
        )
    if output.suffix and output.suffix != ".parquet":
        raise InputError(
            f"-o/--output {output}: with --engine dask, name a .parquet file or a new folder."
        )


def _works(
    specs: list[PartitionSpec],
    offsets: np.ndarray,
    folder: Path | None,
    return_columns: bool,
    tied: list[dict[Any, np.ndarray]] | None = None,
    preselected: np.ndarray | None = None,
) -> list[PartitionWork]:
    """Each partition's share of the driver's decisions, and where its part file goes."""
    return [
        PartitionWork(
            offset=int(offsets[p]),
            tied=tied[p] if tied is not None else {},
            preselected=None if preselected is None else preselected[offsets[p] : offsets[p + 1]],
            part_path=None if folder is None else folder / part_name(p),
            return_columns=return_columns,
        )
        for p in range(len(specs))
    ]


def _finish(
    client: Any,
    specs: list[PartitionSpec],
    plan: FinishPlan,
    output: Path | None,
    streamed: bool,
    works_for: Any,
) -> list[dict[str, Any]]:
    """Run the last pass; write a part file per partition (folder output) or, when *streamed*,
    the partitions' columns in order to one file. Nothing is left behind on failure."""
    results: list[dict[str, Any]] = []

    def run(folder: Path | None, return_columns: bool) -> Iterator[dict[str, np.ndarray]]:
        futures = client.map(
            finish_task, specs, [plan] * len(specs), works_for(folder, return_columns), pure=False
        )
        for future in futures:
            result = future.result()
            future.release()
            columns = result.pop("columns", None)
            results.append(result)
            if columns is not None:
                yield columns

    if output is None or (output.suffix == ".parquet" and not streamed):
        for _ in run(None, False):
            pass
    elif output.suffix == ".parquet":
        write_single_file(output, run(None, True))
    else:
        with output_folder(output) as folder:
            for _ in run(folder, False):
                pass
    return results


def _issue_vectors(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The flagged rows of every partition, concatenated in global row order."""
    import pandas as pd

    ids = [r["ids"] for r in results if r["ids"] is not None]
    return {
        "rows": np.concatenate([r["rows"] for r in results]),
        "scores": np.concatenate([r["scores"] for r in results]),
        "labels": np.concatenate([r["labels"] for r in results]),
        "predicted": np.concatenate([r["predicted"] for r in results]),
        "ids": pd.concat(ids, ignore_index=True) if ids else None,
    }


def _issue_columns(
    positions: np.ndarray, issues: dict[str, Any], classes: list[Any], id_column: str | None
) -> dict[str, np.ndarray]:
    """Output columns of the flagged rows at *positions* (of the concatenated issues)."""
    from labelaudit.report.documents import label_rows_columns

    columns = label_rows_columns(
        positions,
        classes=classes,
        labels=issues["labels"],
        predicted=issues["predicted"],
        scores=issues["scores"],
        ids=issues["ids"],
        id_column=id_column,
        is_label_issue=np.ones(issues["rows"].shape[0], dtype=bool),
    )
    columns["row"] = issues["rows"][positions]
    return columns


def _records(columns: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Output columns as JSON-ready records (as ``documents.label_rows_records``)."""
    from labelaudit.report.documents import plain

    names = list(columns)
    values = [columns[name].tolist() for name in names]
    return [plain(dict(zip(names, record, strict=True))) for record in zip(*values, strict=True)]


def _issue_plan(
    client: Any,
    specs: list[PartitionSpec],
    stats: MergedStats,
    *,
    filter_by: str,
    frac_noise: float,
    min_examples_per_class: int,
) -> tuple[dict[Any, Any] | None, list[dict[Any, np.ndarray]] | None, np.ndarray | None]:
    """The driver's decisions for find-issues: cut-offs, tied picks, or a preselected mask."""
    from labelaudit.core._arrays import RowsByClass, select_smallest
    from labelaudit.core.filtering import _prune_by_class, _warn_small_classes, prune_count_matrix
    from labelaudit.pipeline.dask_tasks import scores_task

    if filter_by.startswith("low_"):
        scores = np.concatenate(
            client.gather(
                client.map(
                    scores_task,
                    specs,
                    method=filter_by[len("low_") :],
                    thresholds=None,
                    self_as_input=False,
                    pure=False,
                )
            )
        )
        mask = np.zeros(stats.n_examples, dtype=bool)
        mask[select_smallest(scores, stats.num_label_issues)] = True
        return None, None, mask
    if filter_by in ("confident_learning", "predicted_neq_given"):
        return None, None, None
    prune_counts = prune_count_matrix(
        stats.calibrated_joint,
        stats.class_counts,
        frac_noise=frac_noise,
        min_examples_per_class=min_examples_per_class,
    )
    _warn_small_classes(stats.class_counts, min_examples_per_class)
    cuts, tied, by_class = None, None, None
    if filter_by in ("prune_by_noise_rate", "both"):
        cuts, tied = noise_rate_cuts(client, specs, stats, prune_counts, min_examples_per_class)
    if filter_by in ("prune_by_class", "both"):
        rows_of_class = RowsByClass(stats.labels, stats.n_classes)
        by_class = _prune_by_class(
            stats,  # type: ignore[arg-type]
            prune_counts,
            rows_of_class,
            min_examples_per_class,
        )
    return cuts, tied, by_class


def find_issues(
    sources: DaskSources,
    *,
    filter_by: str = "prune_by_noise_rate",
    rank_by: str = "self_confidence",
    frac_noise: float = 1.0,
    min_examples_per_class: int = 1,
    output: Path | None = None,
    all_rows: bool = False,
    top: int = 10,
    fail_above: float | None = None,
) -> tuple[dict[str, Any], CheckResult]:
    """find-issues with the Dask engine: the local engine's document and rows, bit for bit."""
    from labelaudit.core.ranking import order_label_issues
    from labelaudit.report import documents

    _check_output(output, sources.dataset)
    specs = sources.specs()
    with dask_client(sources.scheduler) as client:
        stats = merged_stats(client, specs)
        cuts, tied, preselected = _issue_plan(
            client,
            specs,
            stats,
            filter_by=filter_by,
            frac_noise=frac_noise,
            min_examples_per_class=min_examples_per_class,
        )
        plan = FinishPlan(
            "find-issues", stats.thresholds, filter_by, cuts, rank_by, all_rows=all_rows
        )
        offsets = _offsets(stats)
        n_examples, n_classes, classes = stats.n_examples, stats.n_classes, stats.classes
        del stats  # the driver's N-vectors are no longer needed

        def works_for(folder: Path | None, return_columns: bool) -> list[PartitionWork]:
            return _works(specs, offsets, folder, return_columns, tied, preselected)

        results = _finish(client, specs, plan, output, all_rows, works_for)
    issues = _issue_vectors(results)
    ranked = order_label_issues(np.ones(issues["rows"].shape[0], dtype=bool), issues["scores"])
    if output is not None and output.suffix == ".parquet" and not all_rows:
        columns = _issue_columns(ranked, issues, classes, sources.id_column)
        write_single_file(output, iter([columns]))
    n_issues = int(ranked.shape[0])
    document = documents.find_issues_document(
        _records(_issue_columns(ranked[:top], issues, classes, sources.id_column)),
        n_examples=n_examples,
        n_classes=n_classes,
        n_label_issues=n_issues,
        filter_by=filter_by,
        rank_by=rank_by,
        output=None if output is None else str(output),
        fail_above=fail_above,
    )
    for record in document["issues"]:
        record.pop("is_label_issue", None)
    return document, flagged_fraction_check(n_issues / n_examples, fail_above)


def score_labels(
    sources: DaskSources,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    output: Path | None = None,
    top: int = 10,
) -> dict[str, Any]:
    """score with the Dask engine: every row's score (written in input order) and the document.

    The N scores are gathered on the driver: the document's mean is numpy's pairwise mean over
    all of them in row order, as the local engine computes it.
    """
    import pandas as pd

    from labelaudit.core.ranking import lowest_scores
    from labelaudit.report import documents

    if adjust_pred_probs and method == "confidence_weighted_entropy":
        raise InputError(
            "--adjust-pred-probs cannot be combined with --method confidence_weighted_entropy."
        )
    _check_output(output, sources.dataset)
    specs = sources.specs()
    with dask_client(sources.scheduler) as client:
        thresholds, offsets = None, None
        if adjust_pred_probs:
            stats = merged_stats(client, specs)
            thresholds, offsets = stats.thresholds, _offsets(stats)
            del stats
        plan = FinishPlan("score", thresholds, method=method, adjust_pred_probs=adjust_pred_probs)

        def works_for(folder: Path | None, return_columns: bool) -> list[PartitionWork]:
            # Offsets come from pass 1 when it ran; else each task's own count, made global here.
            starts = offsets if offsets is not None else _row_offsets(client, specs)
            return _works(specs, starts, folder, return_columns)

        results = _finish(client, specs, plan, output, True, works_for)
    scores = np.concatenate([r["scores"] for r in results])
    ids = [r["ids"] for r in results if r["ids"] is not None]
    facts = {
        "classes": results[0]["classes"],
        "labels": np.concatenate([r["labels"] for r in results]),
        "predicted": np.concatenate([r["predicted"] for r in results]),
        "scores": scores,
        "ids": pd.concat(ids, ignore_index=True) if ids else None,
        "id_column": sources.id_column,
    }
    return documents.score_document(
        documents.label_rows_records(lowest_scores(scores, top), **facts),
        n_examples=int(scores.shape[0]),
        method=method,
        adjust_pred_probs=adjust_pred_probs,
        scores=scores,
        output=None if output is None else str(output),
    )


def _row_offsets(client: Any, specs: list[PartitionSpec]) -> np.ndarray:
    """First global row of each partition, from the files' metadata (no data read)."""
    from labelaudit.pipeline.dask_tasks import row_count_task

    counts = client.gather(client.map(row_count_task, specs, pure=False))
    if sum(counts) == 0:
        raise InputError(f"{specs[0].path.parent}: the dataset has no rows.")
    return np.concatenate(([0], np.cumsum(counts)))


@dataclass(frozen=True)
class DaskHealth:
    """health's result with the Dask engine (the fields of ``audit.HealthResult``)."""

    report: Any
    classes: list[Any]
    document: dict[str, Any]
    checks: CheckResult


def health(
    sources: DaskSources,
    *,
    output: Path | None = None,
    max_noise_rate: float | None = None,
    max_class_noise_rate: float | None = None,
) -> DaskHealth:
    """health with the Dask engine: the local engine's numbers from merged partials."""
    from labelaudit.core.health import health_report
    from labelaudit.io.paths import check_output, write_text
    from labelaudit.report import documents

    if output is not None:
        check_output(output, (".json",))
    specs = sources.specs()
    with dask_client(sources.scheduler) as client:
        stats = merged_stats(client, specs)
    report = health_report(stats.labels, None, stats=stats)  # type: ignore[arg-type]
    document = documents.health_document(report, stats.classes)
    checks = health_checks(
        document["noise_rate"],
        [(c["class"], c["label_noise"]) for c in document["classes"]],
        max_noise_rate=max_noise_rate,
        max_class_noise_rate=max_class_noise_rate,
    )
    document["checks"] = checks.document()
    if output is not None:
        write_text(documents.to_json(document) + "\n", output)
    return DaskHealth(report=report, classes=stats.classes, document=document, checks=checks)
