"""Options shared by several commands, each declared once as a typed alias.

Choices are spelled out here (not imported from labelaudit.core) so that ``--help`` does not
import numpy; tests/cli/test_options.py checks that they match the core's FILTERS and
SCORE_METHODS.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli.app import eager_flag, enable_debug


class FilterBy(StrEnum):
    """``--filter-by`` choices (labelaudit.core.filtering.FILTERS)."""

    prune_by_noise_rate = "prune_by_noise_rate"
    prune_by_class = "prune_by_class"
    both = "both"
    confident_learning = "confident_learning"
    predicted_neq_given = "predicted_neq_given"
    low_normalized_margin = "low_normalized_margin"
    low_self_confidence = "low_self_confidence"


# One line per filter, at most 78 characters (80 columns, less the help's margins);
# tests/cli/test_help.py checks both. The guidance is docs/algorithms.md's section 8, shortened.
FILTER_GUIDE = """\
--filter-by, when to use which (docs/algorithms.md, section 8):
  prune_by_noise_rate    the default and the best general choice
  prune_by_class         when how many rows leave each class matters
  both                   the most conservative: when a false alarm is costly
  confident_learning     the cheapest; exactly the estimated issues (health)
  predicted_neq_given    a baseline to compare with: most rows, least precise
  low_self_confidence    as many as estimated, lowest self_confidence first
  low_normalized_margin  as many as estimated, lowest normalized_margin first"""
"""Shown under the options of find-issues and clean (the commands that take --filter-by)."""


class ScoreMethod(StrEnum):
    """``--rank-by`` / ``--method`` choices (labelaudit.core.ranking.SCORE_METHODS)."""

    self_confidence = "self_confidence"
    normalized_margin = "normalized_margin"
    confidence_weighted_entropy = "confidence_weighted_entropy"


class CleanAction(StrEnum):
    """``clean --action`` choices."""

    remove = "remove"
    relabel = "relabel"


def _check_fraction(value: float | None, option: str, *, allow_zero: bool = True) -> float | None:
    """Option callback: a fraction in [0, 1] (or (0, 1]); checked before any work is done."""
    if value is None:
        return value
    low_ok = value >= 0 if allow_zero else value > 0
    if not (low_ok and value <= 1):
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        raise typer.BadParameter(f"{value:g} is not in {interval}.", param_hint=f"'{option}'")
    return value


def fraction_option(
    flag: str, metavar: str, help_text: str, *, allow_zero: bool = True, show_default: bool = True
) -> typer.models.OptionInfo:
    """An option holding a fraction in [0, 1] (or (0, 1]), checked before any work is done."""
    return typer.Option(
        flag,
        metavar=metavar,
        callback=lambda value: _check_fraction(value, flag, allow_zero=allow_zero),
        help=help_text,
        show_default=show_default,
    )


def gate_option(flag: str, help_text: str) -> typer.models.OptionInfo:
    """A CI gate: exit 1 when a fraction is above this threshold in [0, 1] (unset: no gate)."""
    return typer.Option(
        flag, metavar="FRACTION", min=0.0, max=1.0, help=help_text, show_default=False
    )


def column_option(flag: str, help_text: str) -> typer.models.OptionInfo:
    """An option naming a column of a table (``COLUMN``), with its own help text."""
    return typer.Option(flag, metavar="COLUMN", help=help_text, show_default=False)


LabelsOption = Annotated[
    Path,
    typer.Option(
        "--labels",
        metavar="PATH",
        help="The given labels: a .parquet/.csv/.tsv(.gz)/.arrow table (column --label-column), "
        "a folder or quoted glob of Parquet files, a .npy array, or - for stdin (CSV or Arrow "
        "stream).",
        show_default=False,
    ),
]
ProbsOption = Annotated[
    list[Path],
    typer.Option(
        "--probs",
        metavar="PATH",
        help="Out-of-sample predicted probabilities (from predict, or any model's): an (N, K) "
        ".npy, or a table source (as --labels) with one numeric column per class; the labels' "
        "own source for the same table. Repeat for an ensemble.",
        show_default=False,
    ),
]
LabelColumnOption = Annotated[
    str | None,
    column_option(
        "--label-column",
        "The column of the labels table that holds the labels (default: 'label', or the "
        "only column).",
    ),
]
IdColumnOption = Annotated[
    str | None,
    column_option(
        "--id-column", "A column that identifies the rows (not a class); copied to the outputs."
    ),
]
ClassesOption = Annotated[
    str | None,
    typer.Option(
        "--classes",
        metavar="NAMES",
        help="The class of each column of a .npy --probs, comma-separated, e.g. 'cat,dog,bird' "
        "(default: 0..K-1).",
        show_default=False,
    ),
]
NormalizeOption = Annotated[
    bool,
    typer.Option(
        "--normalize",
        help="Rescale probability rows to sum to 1 (without it, a row off by more than 1e-4 is "
        "an error).",
    ),
]
FilterByOption = Annotated[
    FilterBy,
    typer.Option(
        "--filter-by",
        metavar="NAME",
        help="How the label issues are chosen: one of the seven filters listed below.",
    ),
]
FracNoiseOption = Annotated[
    float,
    fraction_option(
        "--frac-noise",
        "FRACTION",
        "Flag only this fraction of the estimated label issues, in (0, 1]: fewer, the "
        "clearest (pruning filters only: prune_by_* and both).",
        allow_zero=False,
    ),
]
MinExamplesOption = Annotated[
    int,
    typer.Option(
        "--min-examples-per-class",
        metavar="N",
        min=0,
        help="Keep at least this many rows of each class unflagged; a class with no more rows "
        "than this is not pruned (pruning filters only: prune_by_* and both).",
    ),
]
TopOption = Annotated[
    int,
    typer.Option(
        "--top",
        metavar="N",
        min=0,
        help="Rows shown in the terminal or the --json document (-o writes them all).",
    ),
]
JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON document on stdout instead of the tables (even with --quiet).",
    ),
]
QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Print only errors: no tables, progress or warnings.",
    ),
]


DebugOption = Annotated[
    bool, eager_flag("--debug", "Show the traceback of an error (for a bug report).", enable_debug)
]


def output_option(help_text: str) -> typer.models.OptionInfo:
    """``-o/--output PATH`` with the command's own help text."""
    return typer.Option("-o", "--output", metavar="PATH", help=help_text, show_default=False)


RankByOption = Annotated[
    ScoreMethod,
    typer.Option(
        "--rank-by",
        metavar="NAME",
        help="The label quality score that orders the issues, lowest first: one of score's "
        "--method (see labelaudit score --help).",
    ),
]
MethodOption = Annotated[
    ScoreMethod,
    typer.Option(
        "--method",
        metavar="NAME",
        help="The label quality score. self_confidence: the probability of the given label; "
        "normalized_margin: the given label against its strongest rival; "
        "confidence_weighted_entropy: low when the model is unsure and gives the given label "
        "little probability.",
    ),
]


# --- reports (issue 13) -----------------------------------------------------------------------

JunitXmlOption = Annotated[
    Path | None,
    typer.Option(
        "--junit-xml",
        metavar="PATH",
        help="Also write the checks as JUnit XML (one test case per gate and per class), for "
        "CI test reporters; written even when a check fails.",
        show_default=False,
    ),
]
MarkdownOption = Annotated[
    Path | None,
    typer.Option(
        "--markdown",
        metavar="PATH",
        help="Also write a short Markdown summary (e.g. to $GITHUB_STEP_SUMMARY); written even "
        "when a check fails.",
        show_default=False,
    ),
]
DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        metavar="PATH",
        help="The dataset (.parquet or .csv), one row per label in the same order: its columns "
        "are shown beside the flagged rows.",
        show_default=False,
    ),
]
TextColumnOption = Annotated[
    str | None,
    column_option("--text-column", "A column of --data shown in full beside each flagged row."),
]


# --- engines (issue 15) -----------------------------------------------------------------------


class Engine(StrEnum):
    """Where the audit runs."""

    local = "local"
    dask = "dask"


EngineOption = Annotated[
    Engine,
    typer.Option(
        "--engine",
        metavar="NAME",
        help="local: this process; dask: a Dask cluster (--scheduler, or a local cluster), "
        "reading --labels/--probs as one partitioned Parquet dataset (a folder or glob). Needs "
        "pip install 'labelaudit[dask]'.",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="With --engine dask: a running Dask scheduler, e.g. tcp://127.0.0.1:8786 (default: "
        "a local cluster with one worker process per core).",
        show_default=False,
    ),
]


# --- multi-label (DESIGN.md section 3.5) ------------------------------------------------------


class Aggregator(StrEnum):
    """``--aggregator`` choices (labelaudit.core.multilabel.AGGREGATORS)."""

    exponential_moving_average = "exponential_moving_average"
    softmin = "softmin"


def _check_positive(value: float | None) -> float | None:
    """Option callback for ``--temperature``: a finite number above 0."""
    if value is not None and not 0 < value < float("inf"):
        raise typer.BadParameter(f"{value:g} is not above 0.", param_hint="'--temperature'")
    return value


MultiLabelOption = Annotated[
    bool,
    typer.Option(
        "--multi-label",
        help="Each row has a set of labels (none, one or more classes): a list column, text "
        "joined by --label-separator, or an (N, K) 0/1 .npy; probabilities are per class.",
    ),
]
LabelSeparatorOption = Annotated[
    str | None,
    typer.Option(
        "--label-separator",
        metavar="TEXT",
        help="With --multi-label: what joins class names in a text label column and in CSV "
        "outputs (default ',').",
        show_default=False,
    ),
]
AggregatorOption = Annotated[
    Aggregator | None,
    typer.Option(
        "--aggregator",
        metavar="NAME",
        help="With --multi-label: how a row's per-class label qualities become one "
        "(default exponential_moving_average).",
        show_default=False,
    ),
]
AlphaOption = Annotated[
    float | None,
    fraction_option(
        "--alpha",
        "FRACTION",
        "With --aggregator exponential_moving_average: weight of each lower class score, "
        "in [0, 1] (default 0.8).",
        show_default=False,
    ),
]
TemperatureOption = Annotated[
    float | None,
    typer.Option(
        "--temperature",
        metavar="NUMBER",
        callback=_check_positive,
        help="With --aggregator softmin: temperature above 0 (default 0.1).",
        show_default=False,
    ),
]


def refuse_without_multilabel(multi_label: bool, **given: object) -> None:
    """Raise a usage error when a multi-label-only option was given without --multi-label."""
    used = [f"--{name.replace('_', '-')}" for name, value in given.items() if value is not None]
    if used and not multi_label:
        raise typer.BadParameter(
            f"{', '.join(used)} only apply with --multi-label.", param_hint="'--multi-label'"
        )


CsvSafeOption = Annotated[
    bool,
    typer.Option(
        "--csv-safe",
        help="In a .csv -o, prefix text cells starting with = + - @ (or tab, CR) with ' so that "
        "spreadsheets do not run them as formulas (off: cells are written as the data has them).",
    ),
]
ProbColumnsOption = Annotated[
    str | None,
    typer.Option(
        "--prob-columns",
        metavar="GLOB",
        help="Probability columns, e.g. 'prob_*' (the class is what * matched); without --probs "
        "they are read from the labels table. Default: every numeric column but label and id.",
        show_default=False,
    ),
]


# --- features (predict, evaluate) -------------------------------------------------------------

FeatureTextColumnsOption = Annotated[
    list[str] | None,
    column_option("--text-column", "A free-text column, turned into TF-IDF features (repeatable)."),
]
DropColumnsOption = Annotated[
    list[str] | None,
    column_option("--drop-column", "A column to leave out of the features (repeatable)."),
]
