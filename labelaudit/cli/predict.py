"""``labelaudit predict``: out-of-fold probabilities for every row of a feature table."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from labelaudit.cli import multilabel
from labelaudit.cli.app import app
from labelaudit.cli.groups import MultiLabel, expand_groups
from labelaudit.cli.options import (
    DebugOption,
    DropColumnsOption,
    FeatureTextColumnsOption,
    QuietOption,
    column_option,
)

if TYPE_CHECKING:
    from labelaudit.pipeline.predict import FitOptions

FeaturesArgument = Annotated[
    Path,
    typer.Argument(
        metavar="FEATURES",
        help="The feature table (.parquet or .csv), with the label column.",
        show_default=False,
    ),
]
TargetColumnOption = Annotated[
    str,
    column_option(
        "--label-column", "The column with the given labels (the target, not a feature)."
    ),
]
ProbsOutputOption = Annotated[
    Path,
    typer.Option(
        "-o",
        "--output",
        metavar="PATH",
        help="Where to write the probabilities (.parquet, .csv or .npy; '-': CSV to standard "
        "output): the --probs of the other commands.",
        show_default=False,
    ),
]
ModelOption = Annotated[
    str,
    typer.Option(
        "--model",
        metavar="NAME",
        help="A built-in model (logistic_regression, random_forest, extra_trees, "
        "hist_gradient_boosting, knn, naive_bayes, mlp) or an importable scikit-learn "
        "classifier, e.g. sklearn.svm.SVC.",
    ),
]
ModelParamsOption = Annotated[
    str | None,
    typer.Option(
        "--model-params",
        metavar="JSON",
        help="The model's parameters as a JSON object, e.g. '{\"C\": 0.5}'.",
    ),
]
FoldsOption = Annotated[
    int,
    typer.Option(
        "--folds",
        metavar="N",
        min=2,
        help="Stratified cross-validation folds: each row is predicted by a model fitted "
        "without it.",
    ),
]
SeedOption = Annotated[
    int,
    typer.Option(
        "--seed",
        metavar="N",
        min=0,
        max=2**32 - 1,
        help="Seed for the fold shuffle and the model, in [0, 2^32 - 1].",
    ),
]
NJobsOption = Annotated[
    int,
    typer.Option(
        "--n-jobs",
        metavar="N",
        help="Folds fitted in parallel (-1: all CPUs); at most the folds and the CPUs.",
    ),
]
FeatureIdColumnOption = Annotated[
    str | None,
    column_option(
        "--id-column", "A column that identifies the rows (not a feature); copied to the output."
    ),
]


@app.command()
@expand_groups
def predict(
    *,
    features: FeaturesArgument,
    label_column: TargetColumnOption,
    output: ProbsOutputOption,
    model: ModelOption = "logistic_regression",
    model_params: ModelParamsOption = None,
    folds: FoldsOption = 5,
    seed: SeedOption = 0,
    n_jobs: NJobsOption = 1,
    id_column: FeatureIdColumnOption = None,
    text_column: FeatureTextColumnsOption = None,
    drop_column: DropColumnsOption = None,
    multi: MultiLabel,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Write out-of-fold predicted probabilities for every row (input for find-issues).

    Example: labelaudit predict data.csv --label-column label -o probs.parquet
    """
    from labelaudit.pipeline.predict import FitOptions

    quiet = quiet or str(output) == "-"  # -o -: standard output holds the probabilities only
    columns = {"text_columns": tuple(text_column or ()), "drop_columns": tuple(drop_column or ())}
    fit = FitOptions(label_column, model, model_params, folds, seed, n_jobs, id_column, **columns)
    if multilabel.run("predict", locals()):
        return
    from labelaudit.pipeline.predict import effective_n_jobs, predict_probabilities
    from labelaudit.report import terminal

    n_jobs, capped = effective_n_jobs(n_jobs, folds)
    if capped is not None and not quiet:
        terminal.stderr_console().print(
            f"Note: {capped}", markup=False, highlight=False, soft_wrap=True
        )
    fit = dataclasses.replace(fit, n_jobs=n_jobs)
    fitting(
        lambda on_fold: predict_probabilities(features, output, fit, on_fold=on_fold),
        terminal.render_predict,
        fit,
        quiet=quiet,
    )


def fitting(
    work: Callable[[Callable[[int, int], None]], dict[str, Any]],
    render: Callable[[Any, Any, dict[str, Any]], None],
    fit: FitOptions,
    *,
    quiet: bool,
) -> None:
    """Run *work* with a fold progress bar (on stderr), then *render* its summary."""
    from labelaudit.report import terminal

    with terminal.fold_progress(fit.folds, enabled=not quiet) as on_fold:
        document = work(on_fold)
    if not quiet:
        render(terminal.stderr_console(), terminal.stdout_console(), document)
