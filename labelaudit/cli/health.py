"""``labelaudit health``: the dataset's label health, with gates for CI."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import multilabel
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
    LabelSeparatorOption,
    LabelsOption,
    MarkdownOption,
    MultiLabelOption,
    NormalizeOption,
    ProbColumnsOption,
    ProbsOption,
    QuietOption,
    SchedulerOption,
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
        int,
        typer.Option(
            "--top",
            metavar="N",
            min=0,
            help="Overlapping class pairs and confusions listed (JSON too).",
        ),
    ] = 10,
    all_pairs: Annotated[
        bool,
        typer.Option(
            "--all-pairs",
            help="List every class pair in the JSON and include the noise matrix whatever the "
            "number of classes (both grow as K^2; by default pairs are the --top ones and the "
            "matrix is included up to 100 classes).",
        ),
    ] = False,
    class_order: Annotated[
        str | None,
        typer.Option(
            "--class-order",
            metavar="NAMES",
            help="Comma-separated class names, each once: the order of the noise matrix and "
            "the per-class table (e.g. for ordinal classes).",
            show_default=False,
        ),
    ] = None,
    flagged_count: Annotated[
        bool | None,
        typer.Option(
            "--flagged-count/--no-flagged-count",
            help="Also count the rows find-issues would flag (a second, full pass over the "
            "probabilities). Default: only for inputs of at most 20,000,000 probabilities.",
            show_default=False,
        ),
    ] = None,
    junit_xml: JunitXmlOption = None,
    markdown: MarkdownOption = None,
    multi_label: MultiLabelOption = False,
    label_separator: LabelSeparatorOption = None,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
    debug: DebugOption = False,
    engine: EngineOption = Engine.local,
    scheduler: SchedulerOption = None,
) -> None:
    """Report the dataset's label health: noise rate, per class, overlapping classes.

    Example: labelaudit health --labels y.parquet --probs p.npy --max-noise-rate 0.05
    """
    from labelaudit.cli.engine import engine_pipeline

    pipeline, sources = engine_pipeline(locals())
    if multilabel.run("health", locals()):
        return
    from labelaudit.pipeline.ci import CiOutputs
    from labelaudit.report import terminal

    ci_outputs = CiOutputs(junit_xml, markdown)
    ci_outputs.check(sources.paths(), [output])
    started = time.perf_counter()
    with running("Estimating label health…", quiet=quiet, json_output=json_output):
        result = pipeline.health(
            sources,
            output=output,
            max_noise_rate=max_noise_rate,
            max_class_noise_rate=max_class_noise_rate,
            top=top,
            all_pairs=all_pairs,
            class_order=None if class_order is None else class_order.split(","),
            flagged_count=flagged_count,
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
        lambda console: terminal.render_health(
            console,
            result.report,
            result.classes,
            top=top,
            counts=result.document["counts"],
            order=result.order,
            all_pairs=all_pairs,
        ),
        json_output=json_output,
        quiet=quiet,
    )
    raise_if_failed(result.checks)
