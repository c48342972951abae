"""``labelaudit clean``: a copy of DATA with the label issues removed or relabelled."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from labelaudit.cli import multilabel
from labelaudit.cli.app import app
from labelaudit.cli.groups import Display, MultiLabel, TableColumns, expand_groups
from labelaudit.cli.options import (
    FILTER_GUIDE,
    CleanAction,
    FilterBy,
    FilterByOption,
    FracNoiseOption,
    MinExamplesOption,
    column_option,
    fraction_option,
    output_option,
)
from labelaudit.cli.output import Outcome, perform

if TYPE_CHECKING:
    from labelaudit.pipeline.audit import AuditSources

DataArgument = Annotated[
    Path,
    typer.Argument(
        metavar="DATA",
        help="The dataset (.parquet, .feather/.arrow, .csv or .tsv, optionally .gz; '-': CSV "
        "on standard input): the same rows, in the same order, as the labels. Kept rows are "
        "copied exactly.",
        show_default=False,
    ),
]
CleanOutputOption = Annotated[
    Path,
    output_option(
        "Where to write the cleaned dataset, in DATA's format ('-': CSV to standard output)."
    ),
]
CleanLabelsOption = Annotated[
    Path | None,
    typer.Option(
        "--labels",
        metavar="PATH",
        help="The given labels (.parquet, .csv or .npy), if not DATA's --label-column.",
        show_default=False,
    ),
]
CleanProbsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--probs",
        metavar="PATH",
        help="Out-of-sample predicted probabilities, as for find-issues (repeatable); not "
        "with --issues.",
        show_default=False,
    ),
]
IssuesOption = Annotated[
    Path | None,
    typer.Option(
        "--issues",
        metavar="PATH",
        help="Apply the issues of a find-issues -o file (.parquet or .csv) instead of "
        "finding them again.",
        show_default=False,
    ),
]
ActionOption = Annotated[
    CleanAction,
    typer.Option(
        "--action",
        metavar="ACTION",
        help="remove: drop the flagged rows; relabel: set their label to the predicted class.",
    ),
]
KeepOriginalOption = Annotated[
    str | None,
    column_option(
        "--keep-original",
        "With relabel: add a column COLUMN holding each row's label before relabelling.",
    ),
]
MinConfidenceOption = Annotated[
    float | None,
    fraction_option(
        "--min-confidence",
        "P",
        "With relabel: leave rows whose predicted class has probability below P "
        "unchanged (needs --probs).",
        show_default=False,
    ),
]


@dataclasses.dataclass(frozen=True)
class CleanInputs:
    """``--labels``, ``--probs``, ``--issues``: audit the labels again, or reuse find-issues'."""

    labels: CleanLabelsOption = None
    probs: CleanProbsOption = None
    issues: IssuesOption = None

    def sources(self, data: Path, columns: TableColumns) -> AuditSources | None:
        """What to audit (the labels are DATA's unless --labels); None with --issues.

        Exactly one of --probs and --issues is refused otherwise.
        """
        from labelaudit.errors import InputError

        if self.issues is not None and self.probs:
            raise InputError(
                "--issues and --probs: give one of them (--issues reuses a find-issues output)."
            )
        if self.issues is None and not self.probs:
            raise InputError("--probs is required (or --issues, to reuse a find-issues output).")
        if not self.probs:
            return None
        return columns.sources(data if self.labels is None else self.labels, self.probs)


@app.command("clean", epilog=FILTER_GUIDE)
@expand_groups
def clean(
    *,
    data: DataArgument,
    output: CleanOutputOption,
    inputs: CleanInputs,
    action: ActionOption = CleanAction.remove,
    keep_original: KeepOriginalOption = None,
    min_confidence: MinConfidenceOption = None,
    columns: TableColumns,
    filter_by: FilterByOption = FilterBy.prune_by_noise_rate,
    frac_noise: FracNoiseOption = 1.0,
    min_examples_per_class: MinExamplesOption = 1,
    multi: MultiLabel,
    display: Display,
) -> None:
    """Write a copy of DATA with the label issues removed or relabelled.

    Kept rows are copied exactly; relabel changes only the label, and only to a class.

    Example: labelaudit clean data.parquet --probs p.npy -o clean.parquet --action relabel
    """
    if multilabel.run("clean", locals()):
        return
    from labelaudit.pipeline.clean import clean_dataset
    from labelaudit.pipeline.options import CleanOptions, IssueOptions
    from labelaudit.report import terminal

    sources = inputs.sources(data, columns)
    display = display.for_output(output, "the cleaned rows")

    def work() -> Outcome:
        document = clean_dataset(
            data,
            output,
            sources if sources is not None else inputs.issues,  # type: ignore[arg-type]
            CleanOptions(
                action.value,
                columns.label_column,
                IssueOptions(
                    filter_by.value,
                    frac_noise=frac_noise,
                    min_examples_per_class=min_examples_per_class,
                ),
                keep_original,
                min_confidence,
            ),
        )
        return Outcome(document, lambda console: terminal.render_clean(console, document))

    perform("Finding label issues…", work, display)
