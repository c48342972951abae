"""``labelaudit find-issues``: the rows whose given label is probably wrong, most likely first."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import multilabel
from labelaudit.cli.app import app
from labelaudit.cli.options import (
    FILTER_GUIDE,
    AggregatorOption,
    AlphaOption,
    ClassesOption,
    CsvSafeOption,
    DebugOption,
    Engine,
    EngineOption,
    FilterBy,
    FilterByOption,
    FracNoiseOption,
    IdColumnOption,
    JsonOption,
    JunitXmlOption,
    LabelColumnOption,
    LabelSeparatorOption,
    LabelsOption,
    MarkdownOption,
    MinExamplesOption,
    MultiLabelOption,
    NormalizeOption,
    ProbColumnsOption,
    ProbsOption,
    QuietOption,
    RankByOption,
    SchedulerOption,
    ScoreMethod,
    TemperatureOption,
    TopOption,
    output_option,
)
from labelaudit.cli.output import emit, raise_if_failed, running


@app.command("find-issues", epilog=FILTER_GUIDE)
def find_issues(
    labels: LabelsOption,
    probs: ProbsOption = None,  # type: ignore[assignment]
    label_column: LabelColumnOption = None,
    id_column: IdColumnOption = None,
    classes: ClassesOption = None,
    normalize: NormalizeOption = False,
    prob_columns: ProbColumnsOption = None,
    filter_by: FilterByOption = FilterBy.prune_by_noise_rate,
    rank_by: RankByOption = ScoreMethod.self_confidence,
    frac_noise: FracNoiseOption = 1.0,
    min_examples_per_class: MinExamplesOption = 1,
    output: Annotated[
        Path | None,
        output_option("Write the flagged rows (.parquet or .csv), most likely errors first."),
    ] = None,
    all_rows: Annotated[
        bool,
        typer.Option(
            "--all-rows",
            help="With -o, write every row in input order (is_label_issue marks the issues).",
        ),
    ] = False,
    top: TopOption = 10,
    fail_above: Annotated[
        float | None,
        typer.Option(
            "--fail-above",
            metavar="FRACTION",
            min=0.0,
            max=1.0,
            help="Exit 1 when the fraction of rows flagged is above this, in [0, 1] (a CI gate).",
            show_default=False,
        ),
    ] = None,
    junit_xml: JunitXmlOption = None,
    markdown: MarkdownOption = None,
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
    """Find the rows whose given label is probably wrong, most likely errors first.

    Example: labelaudit find-issues --labels y.parquet --probs p.npy -o issues.parquet
    """
    from labelaudit.cli.engine import engine_pipeline

    pipeline, sources = engine_pipeline(locals())
    if multilabel.run("find-issues", locals()):
        return
    from labelaudit.pipeline.ci import CiOutputs
    from labelaudit.report import terminal

    ci_outputs = CiOutputs(junit_xml, markdown)
    ci_outputs.check(sources.paths(), [output])
    started = time.perf_counter()
    with running("Finding label issues…", quiet=quiet, json_output=json_output):
        document, checks = pipeline.find_issues(
            sources,
            filter_by=filter_by.value,
            rank_by=rank_by.value,
            frac_noise=frac_noise,
            min_examples_per_class=min_examples_per_class,
            output=output,
            all_rows=all_rows,
            top=top,
            fail_above=fail_above,
            csv_safe=csv_safe,
        )
    ci_outputs.write(
        "find-issues", document, checks, argv=sys.argv, seconds=time.perf_counter() - started
    )
    emit(
        document,
        lambda console: terminal.render_find_issues(console, document, document["issues"]),
        json_output=json_output,
        quiet=quiet,
    )
    raise_if_failed(checks)
