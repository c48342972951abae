"""``labelaudit report``: one self-contained HTML page to read the audit and send it on."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli.app import app
from labelaudit.cli.groups import Display, EngineChoice, expand_groups
from labelaudit.cli.options import (
    ClassesOption,
    DataOption,
    FilterBy,
    FilterByOption,
    FracNoiseOption,
    IdColumnOption,
    LabelColumnOption,
    LabelsOption,
    MinExamplesOption,
    NormalizeOption,
    ProbsOption,
    RankByOption,
    ScoreMethod,
    TextColumnOption,
    output_option,
)
from labelaudit.cli.output import Outcome, perform

RowsTopOption = Annotated[
    int,
    typer.Option("--top", metavar="N", min=0, help="Flagged rows (and class pairs) listed."),
]
ReportOutputOption = Annotated[Path, output_option("The HTML report to write (.html).")]


@app.command("report")
@expand_groups
def report(
    *,
    labels: LabelsOption,
    probs: ProbsOption,
    output: ReportOutputOption,
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
    top: RowsTopOption = 50,
    engine: EngineChoice,
    display: Display,
) -> None:
    """Write an HTML report: health, classes, noise matrix, and the flagged rows with DATA.

    One file with its styles and charts inline: it opens offline, prints, and can be sent on.
    Needs the 'report' extra: pip install 'labelaudit\\[report]'.

    Example: labelaudit report --labels y.csv --probs p.parquet --data y.csv -o report.html
    """
    from labelaudit.pipeline.audit import AuditSources
    from labelaudit.pipeline.options import IssueOptions, ReportOptions
    from labelaudit.report.html import written_summary

    local = AuditSources(labels, probs, label_column, id_column, classes, normalize)
    pipeline, sources = engine.pipeline(local)
    options = IssueOptions(filter_by.value, rank_by.value, frac_noise, min_examples_per_class)

    def work() -> Outcome:
        document = pipeline.report(
            sources, ReportOptions(output, data, text_column, top, options, sys.argv)
        )
        return Outcome(
            document,
            lambda console: console.print(
                written_summary(document, output), markup=False, highlight=False, soft_wrap=True
            ),
        )

    perform("Writing the report…", work, display)
