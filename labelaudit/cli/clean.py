"""``labelaudit clean``: a copy of DATA with the label issues removed or relabelled."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import multilabel
from labelaudit.cli.app import app
from labelaudit.cli.options import (
    FILTER_GUIDE,
    ClassesOption,
    CleanAction,
    DebugOption,
    FilterBy,
    FilterByOption,
    FracNoiseOption,
    IdColumnOption,
    JsonOption,
    LabelColumnOption,
    LabelSeparatorOption,
    MinExamplesOption,
    MultiLabelOption,
    NormalizeOption,
    QuietOption,
    _check_fraction,
    output_option,
)
from labelaudit.cli.output import emit, running


@app.command("clean", epilog=FILTER_GUIDE)
def clean(
    data: Annotated[
        Path,
        typer.Argument(
            metavar="DATA",
            help="The dataset (.parquet, .feather/.arrow, .csv or .tsv, optionally .gz; '-': CSV "
            "on standard input): the same rows, in the same order, as the labels. Kept rows are "
            "copied exactly.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path,
        output_option(
            "Where to write the cleaned dataset, in DATA's format ('-': CSV to standard output)."
        ),
    ],
    labels: Annotated[
        Path | None,
        typer.Option(
            "--labels",
            metavar="PATH",
            help="The given labels (.parquet, .csv or .npy), if not DATA's --label-column.",
            show_default=False,
        ),
    ] = None,
    probs: Annotated[
        list[Path] | None,
        typer.Option(
            "--probs",
            metavar="PATH",
            help="Out-of-sample predicted probabilities, as for find-issues (repeatable); not "
            "with --issues.",
            show_default=False,
        ),
    ] = None,
    issues: Annotated[
        Path | None,
        typer.Option(
            "--issues",
            metavar="PATH",
            help="Apply the issues of a find-issues -o file (.parquet or .csv) instead of "
            "finding them again.",
            show_default=False,
        ),
    ] = None,
    action: Annotated[
        CleanAction,
        typer.Option(
            "--action",
            metavar="ACTION",
            help="remove: drop the flagged rows; relabel: set their label to the predicted class.",
        ),
    ] = CleanAction.remove,
    keep_original: Annotated[
        str | None,
        typer.Option(
            "--keep-original",
            metavar="COLUMN",
            help="With relabel: add a column COLUMN holding each row's label before relabelling.",
            show_default=False,
        ),
    ] = None,
    min_confidence: Annotated[
        float | None,
        typer.Option(
            "--min-confidence",
            metavar="P",
            callback=lambda value: _check_fraction(value, "--min-confidence"),
            help="With relabel: leave rows whose predicted class has probability below P "
            "unchanged (needs --probs).",
            show_default=False,
        ),
    ] = None,
    label_column: LabelColumnOption = None,
    id_column: IdColumnOption = None,
    classes: ClassesOption = None,
    normalize: NormalizeOption = False,
    filter_by: FilterByOption = FilterBy.prune_by_noise_rate,
    frac_noise: FracNoiseOption = 1.0,
    min_examples_per_class: MinExamplesOption = 1,
    multi_label: MultiLabelOption = False,
    label_separator: LabelSeparatorOption = None,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Write a copy of DATA with the label issues removed or relabelled.

    Kept rows are copied exactly; relabel changes only the label, and only to a class.

    Example: labelaudit clean data.parquet --probs p.npy -o clean.parquet --action relabel
    """
    if multilabel.run("clean", locals()):
        return
    from labelaudit.errors import InputError
    from labelaudit.pipeline.audit import AuditSources
    from labelaudit.pipeline.clean import clean_dataset
    from labelaudit.report import terminal

    if issues is not None and probs:
        raise InputError(
            "--issues and --probs: give one of them (--issues reuses a find-issues output)."
        )
    if issues is None and not probs:
        raise InputError("--probs is required (or --issues, to reuse a find-issues output).")
    if str(output) == "-":
        if json_output:
            raise InputError("-o - writes the cleaned rows to standard output; drop --json.")
        quiet = True  # standard output holds the cleaned rows only
    sources = None
    if probs:
        labels_path = data if labels is None else labels
        sources = AuditSources(labels_path, probs, label_column, id_column, classes, normalize)
    with running("Finding label issues…", quiet=quiet, json_output=json_output):
        document = clean_dataset(
            data,
            output,
            sources=sources,
            issues=issues,
            label_column=label_column,
            action=action.value,
            filter_by=filter_by.value,
            frac_noise=frac_noise,
            min_examples_per_class=min_examples_per_class,
            keep_original=keep_original,
            min_confidence=min_confidence,
        )
    emit(
        document,
        lambda console: terminal.render_clean(console, document),
        json_output=json_output,
        quiet=quiet,
    )
