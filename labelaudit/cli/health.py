"""``labelaudit health``: the dataset's label health, with gates for CI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli.app import app
from labelaudit.cli.options import (
    ClassesOption,
    DebugOption,
    IdColumnOption,
    JsonOption,
    LabelColumnOption,
    LabelsOption,
    NormalizeOption,
    ProbColumnsOption,
    ProbsOption,
    QuietOption,
    output_option,
)
from labelaudit.cli.output import emit, raise_if_failed, running


@app.command("health")
def health(
    labels: LabelsOption,
    probs: ProbsOption = None,  # type: ignore[assignment]
    label_column: LabelColumnOption = None,
    id_column: IdColumnOption = None,
    classes: ClassesOption = None,
    normalize: NormalizeOption = False,
    prob_columns: ProbColumnsOption = None,
    max_noise_rate: Annotated[
        float | None,
        typer.Option(
            "--max-noise-rate",
            min=0.0,
            max=1.0,
            help="Exit 1 when the estimated noise rate is above this, in [0, 1].",
            show_default=False,
        ),
    ] = None,
    max_class_noise_rate: Annotated[
        float | None,
        typer.Option(
            "--max-class-noise-rate",
            min=0.0,
            max=1.0,
            help="Exit 1 when any class's label noise is above this, in [0, 1].",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None, output_option("Also write the JSON report to this .json file.")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=0, help="Overlapping class pairs shown.")] = 10,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Report the dataset's label health: noise rate, per class, overlapping classes.

    Example: labelaudit health --labels y.parquet --probs p.npy --max-noise-rate 0.05
    """
    from labelaudit.pipeline.audit import AuditSources
    from labelaudit.pipeline.audit import health as run_health
    from labelaudit.report import terminal

    sources = AuditSources(
        labels, probs or [], label_column, id_column, classes, normalize, prob_columns
    )
    with running("Estimating label health…", quiet=quiet, json_output=json_output):
        result = run_health(
            sources,
            output=output,
            max_noise_rate=max_noise_rate,
            max_class_noise_rate=max_class_noise_rate,
        )
    emit(
        result.document,
        lambda console: terminal.render_health(console, result.report, result.classes, top=top),
        json_output=json_output,
        quiet=quiet,
    )
    raise_if_failed(result.checks)
