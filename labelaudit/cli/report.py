"""``labelaudit report``: one self-contained HTML page to read the audit and send it on."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli.app import app
from labelaudit.cli.options import (
    ClassesOption,
    DataOption,
    DebugOption,
    Engine,
    EngineOption,
    FilterBy,
    FilterByOption,
    FracNoiseOption,
    IdColumnOption,
    JsonOption,
    LabelColumnOption,
    LabelsOption,
    MinExamplesOption,
    NormalizeOption,
    ProbsOption,
    QuietOption,
    RankByOption,
    SchedulerOption,
    ScoreMethod,
    TextColumnOption,
    output_option,
)
from labelaudit.cli.output import emit, running


@app.command("report")
def report(
    labels: LabelsOption,
    probs: ProbsOption,
    output: Annotated[Path, output_option("The HTML report to write (.html).")],
    data: DataOption = None,
    text_column: TextColumnOption = None,
    label_column: LabelColumnOption = None,
    id_column: IdColumnOption = None,
    classes: ClassesOption = None,
    normalize: NormalizeOption = False,
    filter_by: FilterByOption = FilterBy.prune_by_noise_rate,
    rank_by: RankByOption = ScoreMethod.self_confidence,
    frac_noise: FracNoiseOption = 1.0,
    min_examples_per_class: MinExamplesOption = 1,
    top: Annotated[
        int,
        typer.Option("--top", metavar="N", min=0, help="Flagged rows (and class pairs) listed."),
    ] = 50,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
    debug: DebugOption = False,
    engine: EngineOption = Engine.local,
    scheduler: SchedulerOption = None,
) -> None:
    """Write an HTML report: health, classes, noise matrix, and the flagged rows with DATA.

    One file with its styles and charts inline: it opens offline, prints, and can be sent on.
    Needs the 'report' extra: pip install 'labelaudit\\[report]'.

    Example: labelaudit report --labels y.csv --probs p.parquet --data y.csv -o report.html
    """
    from labelaudit.cli.engine import engine_pipeline
    from labelaudit.pipeline.report import IssueOptions
    from labelaudit.pipeline.report import report as run_report
    from labelaudit.report.html import written_summary

    _, sources = engine_pipeline(locals())
    if engine == "dask":
        from labelaudit.pipeline.dask_report import report as run_report  # type: ignore[assignment]
    options = IssueOptions(filter_by.value, rank_by.value, frac_noise, min_examples_per_class)
    with running("Writing the report…", quiet=quiet, json_output=json_output):
        document = run_report(
            sources,
            output=output,
            data=data,
            text_column=text_column,
            top=top,
            options=options,
            argv=sys.argv,
        )
    emit(
        document,
        lambda console: console.print(
            written_summary(document, output), markup=False, highlight=False, soft_wrap=True
        ),
        json_output=json_output,
        quiet=quiet,
    )
