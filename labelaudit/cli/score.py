"""``labelaudit score``: the quality of every label, from 1 (surely right) to 0 (surely wrong)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import multilabel
from labelaudit.cli.app import app
from labelaudit.cli.options import (
    AggregatorOption,
    AlphaOption,
    ClassesOption,
    CsvSafeOption,
    DebugOption,
    Engine,
    EngineOption,
    IdColumnOption,
    JsonOption,
    LabelColumnOption,
    LabelSeparatorOption,
    LabelsOption,
    MethodOption,
    MultiLabelOption,
    NormalizeOption,
    ProbColumnsOption,
    ProbsOption,
    QuietOption,
    SchedulerOption,
    ScoreMethod,
    TemperatureOption,
    TopOption,
    output_option,
)
from labelaudit.cli.output import emit, running


@app.command("score")
def score(
    labels: LabelsOption,
    probs: ProbsOption = None,  # type: ignore[assignment]
    label_column: LabelColumnOption = None,
    id_column: IdColumnOption = None,
    classes: ClassesOption = None,
    normalize: NormalizeOption = False,
    prob_columns: ProbColumnsOption = None,
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
    multi_label: MultiLabelOption = False,
    label_separator: LabelSeparatorOption = None,
    aggregator: AggregatorOption = None,
    alpha: AlphaOption = None,
    temperature: TemperatureOption = None,
    csv_safe: CsvSafeOption = False,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
    debug: DebugOption = False,
    engine: EngineOption = Engine.local,
    scheduler: SchedulerOption = None,
) -> None:
    """Score the quality of every label (1 = surely right, 0 = surely wrong).

    Example: labelaudit score --labels y.parquet --probs p.npy -o scores.parquet
    """
    from labelaudit.cli.engine import engine_pipeline

    pipeline, sources = engine_pipeline(locals())
    if multilabel.run("score", locals()):
        return
    from labelaudit.report import terminal

    with running("Scoring labels…", quiet=quiet, json_output=json_output):
        document = pipeline.score_labels(
            sources,
            method=method.value,
            adjust_pred_probs=adjust_pred_probs,
            output=output,
            top=top,
            csv_safe=csv_safe,
        )
    emit(
        document,
        lambda console: terminal.render_score(console, document, document["lowest"]),
        json_output=json_output,
        quiet=quiet,
    )
