"""``labelaudit health``: the dataset's label health, with gates for CI."""

from __future__ import annotations

import sys
import time
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
    JunitXmlOption,
    LabelColumnOption,
    LabelsOption,
    MarkdownOption,
    NormalizeOption,
    ProbsOption,
    QuietOption,
    SchedulerOption,
    output_option,
)
from labelaudit.cli.output import emit, raise_if_failed, running


@app.command("health")
def health(
    labels: LabelsOption,
    probs: ProbsOption,
    label_column: LabelColumnOption = None,
    id_column: IdColumnOption = None,
    classes: ClassesOption = None,
    normalize: NormalizeOption = False,
    max_noise_rate: Annotated[
        float | None,
        typer.Option(
            "--max-noise-rate",
            metavar="FRACTION",
            min=0.0,
            max=1.0,
            help="Exit 1 when the estimated fraction of wrong labels is above this, in [0, 1].",
            show_default=False,
        ),
    ] = None,
    max_class_noise_rate: Annotated[
        float | None,
        typer.Option(
            "--max-class-noise-rate",
            metavar="FRACTION",
            min=0.0,
            max=1.0,
            help="Exit 1 when the estimated fraction of wrong labels in any class is above this, "
            "in [0, 1].",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None, output_option("Also write the JSON report to this .json file.")
    ] = None,
    top: Annotated[
        int, typer.Option("--top", metavar="N", min=0, help="Overlapping class pairs shown.")
    ] = 10,
    junit_xml: JunitXmlOption = None,
    markdown: MarkdownOption = None,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
    debug: DebugOption = False,
    engine: EngineOption = Engine.local,
    scheduler: SchedulerOption = None,
) -> None:
    """Report the dataset's label health: noise rate, per class, overlapping classes.

    Example: labelaudit health --labels y.parquet --probs p.npy --max-noise-rate 0.05
    """
    from labelaudit.cli.engine import dask_sources
    from labelaudit.pipeline.audit import AuditSources
    from labelaudit.pipeline.audit import health as run_health
    from labelaudit.pipeline.ci import CiOutputs
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
        from labelaudit.pipeline.dask_audit import health as run_health  # type: ignore[assignment]

        sources = on_dask  # type: ignore[assignment]
    ci_outputs = CiOutputs(junit_xml, markdown)
    ci_outputs.check([labels, *probs], [output])
    started = time.perf_counter()
    with running("Estimating label health…", quiet=quiet, json_output=json_output):
        result = run_health(
            sources,
            output=output,
            max_noise_rate=max_noise_rate,
            max_class_noise_rate=max_class_noise_rate,
        )
    ci_outputs.write(
        "health",
        result.document,
        result.checks,
        argv=sys.argv,
        seconds=time.perf_counter() - started,
    )
    emit(
        result.document,
        lambda console: terminal.render_health(console, result.report, result.classes, top=top),
        json_output=json_output,
        quiet=quiet,
    )
    raise_if_failed(result.checks)
