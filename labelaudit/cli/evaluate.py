"""``labelaudit evaluate noise|clean``: does the audit work on this data, and does cleaning help?"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from labelaudit.cli.app import app
from labelaudit.cli.groups import Display, expand_groups
from labelaudit.cli.options import (
    DropColumnsOption,
    FeatureTextColumnsOption,
    FilterBy,
    column_option,
)
from labelaudit.cli.output import emit, running

evaluate_app = typer.Typer(
    name="evaluate",
    help="Measure the audit on this data (injected noise) and whether cleaning helps a model.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(evaluate_app, name="evaluate")

MODEL_HELP = (
    "logistic_regression, random_forest, extra_trees, hist_gradient_boosting, knn, naive_bayes, "
    "mlp, or an importable classifier such as sklearn.svm.SVC."
)

FeaturesArgument = Annotated[
    Path,
    typer.Argument(
        metavar="FEATURES",
        help="Feature table (.parquet or .csv) that also holds the label column.",
        show_default=False,
    ),
]
LabelColumn = Annotated[
    str,
    column_option("--label-column", "Column with the labels."),
]
ModelParams = Annotated[
    str | None,
    typer.Option(
        "--model-params",
        metavar="JSON",
        help="Model parameters as a JSON object, e.g. '{\"C\": 0.5}'.",
    ),
]
Sparsity = Annotated[
    float,
    typer.Option(
        "--sparsity",
        metavar="FRACTION",
        help="Fraction of the off-diagonal noise rates that are zero, in [0, 1].",
    ),
]
Seed = Annotated[
    int, typer.Option("--seed", metavar="N", help="Seed for the noise, the folds and the model.")
]
Folds = Annotated[
    int, typer.Option("--folds", metavar="N", help="Stratified cross-validation folds.")
]


def _run(
    evaluate: Callable[..., dict[str, Any]],
    render: Callable[[Any, dict[str, Any]], None],
    display: Display,
    **options: Any,
) -> None:
    """Run *evaluate* with *options* and a fit progress bar, then emit its document.

    The bar (on stderr unless ``--quiet``) takes the place of running()'s spinner (two live
    displays cannot share stderr), so running() is asked for the run's warnings only.
    """
    from labelaudit.report import evaluate_view

    with (
        evaluate_view.fit_progress(enabled=not display.quiet) as on_progress,
        running("", quiet=display.quiet, json_output=True),
    ):
        document = evaluate(**options, on_progress=on_progress)
    emit(
        document,
        lambda console: render(console, document),
        json_output=display.json_output,
        quiet=display.quiet,
    )


def _setup(
    label_column: str,
    model_params: str | None,
    sparsity: float,
    seed: int,
    folds: int,
    text_column: list[str] | None,
    drop_column: list[str] | None,
) -> Any:
    """The pipeline's EvaluationSetup: what both commands pass alike (repeatables as tuples)."""
    from labelaudit.pipeline.evaluation import EvaluationSetup

    return EvaluationSetup(
        label_column,
        model_params,
        sparsity,
        seed,
        folds,
        tuple(text_column or ()),
        tuple(drop_column or ()),
    )


@evaluate_app.command("noise")
@expand_groups
def noise(
    *,
    features: FeaturesArgument,
    label_column: LabelColumn,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model", metavar="NAME", help=f"{MODEL_HELP} Repeat for several (and their ensemble)."
        ),
    ] = None,
    model_params: ModelParams = None,
    noise_rate: Annotated[
        float,
        typer.Option(
            "--noise-rate",
            metavar="FRACTION",
            help="Fraction of labels flipped, in [0, 1): trace K(1 - R).",
        ),
    ] = 0.2,
    sparsity: Sparsity = 0.4,
    seed: Seed = 0,
    folds: Folds = 5,
    repeats: Annotated[
        int,
        typer.Option(
            "--repeats", metavar="N", help="Runs with seeds SEED, SEED+1, ...; mean and spread."
        ),
    ] = 1,
    text_column: FeatureTextColumnsOption = None,
    drop_column: DropColumnsOption = None,
    display: Display,
) -> None:
    """Flip labels with a known noise matrix; how well does each filter and score find them?

    Example: labelaudit evaluate noise data.csv --label-column label --noise-rate 0.2
    """
    from labelaudit.pipeline.evaluate import evaluate_noise
    from labelaudit.report import evaluate_view

    _run(
        evaluate_noise,
        evaluate_view.render_noise,
        display,
        features=features,
        setup=_setup(label_column, model_params, sparsity, seed, folds, text_column, drop_column),
        models=model or ["logistic_regression"],
        noise_rate=noise_rate,
        repeats=repeats,
    )


@evaluate_app.command("clean")
@expand_groups
def clean(
    *,
    features: FeaturesArgument,
    label_column: LabelColumn,
    test: Annotated[
        Path,
        typer.Option(
            "--test",
            metavar="PATH",
            help="Held-out table with the same columns and classes.",
            show_default=False,
        ),
    ],
    model: Annotated[
        str, typer.Option("--model", metavar="NAME", help=MODEL_HELP)
    ] = "logistic_regression",
    model_params: ModelParams = None,
    filter_by: Annotated[
        FilterBy, typer.Option("--filter-by", metavar="NAME", help="How label issues are selected.")
    ] = FilterBy.prune_by_noise_rate,
    inject_noise: Annotated[
        float | None,
        typer.Option(
            "--inject-noise",
            metavar="FRACTION",
            help="First flip this fraction of FEATURES' labels, in [0, 1) (known noise).",
            show_default=False,
        ),
    ] = None,
    sparsity: Sparsity = 0.4,
    seed: Seed = 0,
    folds: Folds = 5,
    text_column: FeatureTextColumnsOption = None,
    drop_column: DropColumnsOption = None,
    display: Display,
) -> None:
    """Fit on all rows, on the rows clean keeps, on relabelled rows; compare on TEST.

    Example: labelaudit evaluate clean train.csv --label-column label --test test.csv
    """
    from labelaudit.pipeline.evaluate_clean import evaluate_clean
    from labelaudit.report import evaluate_view

    _run(
        evaluate_clean,
        evaluate_view.render_clean,
        display,
        features=features,
        test=test,
        setup=_setup(label_column, model_params, sparsity, seed, folds, text_column, drop_column),
        model=model,
        filter_by=filter_by.value,
        inject_noise_rate=inject_noise,
    )
