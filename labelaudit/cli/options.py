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

from labelaudit.cli.app import enable_debug


class FilterBy(StrEnum):
    """``--filter-by`` choices (labelaudit.core.filtering.FILTERS)."""

    prune_by_noise_rate = "prune_by_noise_rate"
    prune_by_class = "prune_by_class"
    both = "both"
    confident_learning = "confident_learning"
    predicted_neq_given = "predicted_neq_given"
    low_normalized_margin = "low_normalized_margin"
    low_self_confidence = "low_self_confidence"


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


LabelsOption = Annotated[
    Path,
    typer.Option(
        "--labels",
        help="Given labels: a .parquet/.csv/.tsv(.gz)/.arrow table (column --label-column), a "
        "folder or quoted glob of Parquet files, .npy, or - for stdin (CSV or Arrow stream).",
        show_default=False,
    ),
]
ProbsOption = Annotated[
    list[Path],
    typer.Option(
        "--probs",
        metavar="<path>",
        help="Out-of-sample probabilities: .npy (N, K), or a table source (as --labels) with one "
        "numeric column per class; the labels' own source for the same table. Repeat for an "
        "ensemble of models.",
        show_default=False,
    ),
]
LabelColumnOption = Annotated[
    str | None,
    typer.Option(
        "--label-column",
        help="Label column of the labels table (default: 'label', or the only column).",
        show_default=False,
    ),
]
IdColumnOption = Annotated[
    str | None,
    typer.Option(
        "--id-column",
        help="Row id column (not a class); copied to the outputs.",
        show_default=False,
    ),
]
ClassesOption = Annotated[
    str | None,
    typer.Option(
        "--classes",
        help="Class names of the columns of .npy probs, in order, e.g. 'cat,dog,bird' "
        "(default: 0..K-1).",
        show_default=False,
    ),
]
NormalizeOption = Annotated[
    bool,
    typer.Option("--normalize", help="Rescale probability rows that do not sum to 1."),
]
FilterByOption = Annotated[
    FilterBy, typer.Option("--filter-by", help="How label issues are selected.")
]
FracNoiseOption = Annotated[
    float,
    typer.Option(
        "--frac-noise",
        callback=lambda value: _check_fraction(value, "--frac-noise", allow_zero=False),
        help="Fraction of the estimated label issues to flag, in (0, 1].",
    ),
]
MinExamplesOption = Annotated[
    int,
    typer.Option(
        "--min-examples-per-class", min=0, help="Rows of each class never flagged (at least)."
    ),
]
TopOption = Annotated[int, typer.Option("--top", min=0, help="Rows shown in the terminal.")]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout instead of tables.")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]


DebugOption = Annotated[
    bool,
    typer.Option(
        "--debug", help="Show tracebacks on errors.", callback=enable_debug, is_eager=True
    ),
]


def output_option(help_text: str) -> typer.models.OptionInfo:
    """``-o/--output PATH`` with the command's own help text."""
    return typer.Option("-o", "--output", help=help_text, show_default=False)


RankByOption = Annotated[
    ScoreMethod, typer.Option("--rank-by", help="Label quality score used to rank issues.")
]
MethodOption = Annotated[ScoreMethod, typer.Option("--method", help="Label quality score.")]
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
