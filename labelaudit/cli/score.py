"""``labelaudit score``: the quality of every label, from 1 (surely right) to 0 (surely wrong)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli.app import app
from labelaudit.cli.options import (
    ClassesOption,
    DebugOption,
    Engine,
    EngineOption,
    IdColumnOption,
    JsonOption,
    LabelColumnOption,
    LabelsOption,
    MethodOption,
    NormalizeOption,
    ProbsOption,
    QuietOption,
    SchedulerOption,
    ScoreMethod,
    TopOption,
    output_option,
)
from labelaudit.cli.output import emit, running


@app.command("score")
def score(
    labels: LabelsOption,
    probs: ProbsOption,
    label_column: LabelColumnOption = None,
    id_column: IdColumnOption = None,
    classes: ClassesOption = None,
    normalize: NormalizeOption = False,
    method: MethodOption = ScoreMethod.self_confidence,
    adjust_pred_probs: Annotated[
        bool,
        typer.Option(
            "--adjust-pred-probs",
            help="Score probabilities adjusted by the per-class thresholds (not for "
            "confidence_weighted_entropy).",
        ),
    ] = False,
    output: Annotated[
        Path | None,
        output_option("Write every row's label quality, in input order (.parquet or .csv)."),
    ] = None,
    top: TopOption = 10,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
    debug: DebugOption = False,
    engine: EngineOption = Engine.local,
    scheduler: SchedulerOption = None,
) -> None:
    """Score the quality of every label (1 = surely right, 0 = surely wrong).

    Example: labelaudit score --labels y.parquet --probs p.npy -o scores.parquet
    """
    from labelaudit.cli.engine import dask_sources
    from labelaudit.pipeline.audit import AuditSources, score_labels
    from labelaudit.report import terminal

    sources = AuditSources(labels, probs, label_column, id_column, classes, normalize)
    on_dask = dask_sources(
        engine,
        scheduler,
        labels,
        probs,
        label_column,
        id_column,
        classes=classes,
        normalize=normalize,
    )
    if on_dask is not None:
        from labelaudit.pipeline.dask_audit import score_labels  # type: ignore[assignment]

        sources = on_dask  # type: ignore[assignment]
    with running("Scoring labels…", quiet=quiet, json_output=json_output):
        document = score_labels(
            sources,
            method=method.value,
            adjust_pred_probs=adjust_pred_probs,
            output=output,
            top=top,
        )
    emit(
        document,
        lambda console: terminal.render_score(console, document, document["lowest"]),
        json_output=json_output,
        quiet=quiet,
    )
