"""``labelaudit find-issues``: the rows whose given label is probably wrong, most likely first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import multilabel
from labelaudit.cli.app import app
from labelaudit.cli.groups import (
    AuditInputs,
    CiFiles,
    Display,
    EngineChoice,
    IssueSelection,
    MultiLabelScoring,
    expand_groups,
)
from labelaudit.cli.options import (
    FILTER_GUIDE,
    CsvSafeOption,
    TopOption,
    gate_option,
    output_option,
)
from labelaudit.cli.output import Outcome, perform

IssuesOutputOption = Annotated[
    Path | None,
    output_option(
        "Write the flagged rows (.parquet or .csv; '-': CSV to standard output), most likely "
        "errors first."
    ),
]
AllRowsOption = Annotated[
    bool,
    typer.Option(
        "--all-rows",
        help="With -o, write every row in input order (is_label_issue marks the issues).",
    ),
]
FailAboveOption = Annotated[
    float | None,
    gate_option(
        "--fail-above",
        "Exit 1 when the fraction of rows flagged is above this, in [0, 1] (a CI gate).",
    ),
]


@app.command("find-issues", epilog=FILTER_GUIDE)
@expand_groups
def find_issues(
    *,
    inputs: AuditInputs,
    selection: IssueSelection,
    output: IssuesOutputOption = None,
    all_rows: AllRowsOption = False,
    top: TopOption = 10,
    fail_above: FailAboveOption = None,
    ci: CiFiles,
    scoring: MultiLabelScoring,
    csv_safe: CsvSafeOption = False,
    engine: EngineChoice,
    display: Display,
) -> None:
    """Find the rows whose given label is probably wrong, most likely errors first.

    Example: labelaudit find-issues --labels y.parquet --probs p.npy -o issues.parquet
    """
    display = display.for_output(output, "the flagged rows")
    pipeline, sources = engine.pipeline(inputs.sources(), multi_label=scoring.multi_label)
    if multilabel.run("find-issues", locals()):
        return
    from labelaudit.pipeline.options import IssueOptions, ResultOptions
    from labelaudit.report import terminal

    ci_outputs = ci.checked(sources.paths(), output)

    def work() -> Outcome:
        document, checks = pipeline.find_issues(
            sources,
            IssueOptions(**selection.keywords()),
            ResultOptions(output, top, all_rows, fail_above, csv_safe),
        )
        return Outcome(
            document,
            lambda console: terminal.render_find_issues(console, document, document["issues"]),
            checks,
        )

    perform("Finding label issues…", work, display, ci=("find-issues", ci_outputs))
