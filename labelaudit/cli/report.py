"""``labelaudit report``: one self-contained HTML page to read the audit and send it on."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli.app import app
from labelaudit.cli.groups import (
    Display,
    EngineChoice,
    IssueSelection,
    TableColumns,
    expand_groups,
)
from labelaudit.cli.options import (
    DataOption,
    LabelsOption,
    ProbsOption,
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
    columns: TableColumns,
    selection: IssueSelection,
    top: RowsTopOption = 50,
    engine: EngineChoice,
    display: Display,
) -> None:
    """Write an HTML report: health, classes, noise matrix, and the flagged rows with DATA.

    One file with its styles and charts inline: it opens offline, prints, and can be sent on.
    Needs the 'report' extra: pip install 'labelaudit\\[report]'.

    Example: labelaudit report --labels y.csv --probs p.parquet --data y.csv -o report.html
    """
    from labelaudit.pipeline.options import IssueOptions, ReportOptions
    from labelaudit.report.html import written_summary

    local = columns.sources(labels, probs)
    pipeline, sources = engine.pipeline(local)
    options = IssueOptions(**selection.keywords())

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
