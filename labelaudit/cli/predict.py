"""``labelaudit predict``: out-of-fold probabilities for every row of a feature table."""

from __future__ import annotations

from pathlib import Path

import typer

from labelaudit.cli import multilabel
from labelaudit.cli.app import app
from labelaudit.cli.options import (
    DebugOption,
    LabelSeparatorOption,
    MultiLabelOption,
    QuietOption,
)


@app.command()
def predict(
    features: Path = typer.Argument(
        ...,
        metavar="FEATURES",
        help="The feature table (.parquet or .csv), with the label column.",
        show_default=False,
    ),
    label_column: str = typer.Option(
        ...,
        "--label-column",
        metavar="COLUMN",
        help="The column with the given labels (the target, not a feature).",
        show_default=False,
    ),
    output: Path = typer.Option(
        ...,
        "-o",
        "--output",
        metavar="PATH",
        help="Where to write the probabilities (.parquet, .csv or .npy): the --probs of the "
        "other commands.",
        show_default=False,
    ),
    model: str = typer.Option(
        "logistic_regression",
        "--model",
        metavar="NAME",
        help="A built-in model (logistic_regression, random_forest, extra_trees, "
        "hist_gradient_boosting, knn, naive_bayes, mlp) or an importable scikit-learn "
        "classifier, e.g. sklearn.svm.SVC.",
    ),
    model_params: str | None = typer.Option(
        None,
        "--model-params",
        metavar="JSON",
        help="The model's parameters as a JSON object, e.g. '{\"C\": 0.5}'.",
    ),
    folds: int = typer.Option(
        5,
        "--folds",
        metavar="N",
        min=2,
        help="Stratified cross-validation folds: each row is predicted by a model fitted "
        "without it.",
    ),
    seed: int = typer.Option(
        0,
        "--seed",
        metavar="N",
        min=0,
        max=2**32 - 1,
        help="Seed for the fold shuffle and the model, in [0, 2^32 - 1].",
    ),
    n_jobs: int = typer.Option(
        1,
        "--n-jobs",
        metavar="N",
        help="Folds fitted in parallel (-1: all CPUs); at most the folds and the CPUs.",
    ),
    id_column: str | None = typer.Option(
        None,
        "--id-column",
        metavar="COLUMN",
        help="A column that identifies the rows (not a feature); copied to the output.",
    ),
    text_column: list[str] | None = typer.Option(
        None,
        "--text-column",
        metavar="COLUMN",
        help="A free-text column, turned into TF-IDF features (repeatable).",
    ),
    drop_column: list[str] | None = typer.Option(
        None,
        "--drop-column",
        metavar="COLUMN",
        help="A column to leave out of the features (repeatable).",
    ),
    multi_label: MultiLabelOption = False,
    label_separator: LabelSeparatorOption = None,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Write out-of-fold predicted probabilities for every row (input for find-issues).

    Example: labelaudit predict data.csv --label-column label -o probs.parquet
    """
    if multilabel.run("predict", locals()):
        return
    from labelaudit.pipeline.predict import effective_n_jobs, predict_probabilities
    from labelaudit.report import terminal

    n_jobs, capped = effective_n_jobs(n_jobs, folds)
    if capped is not None and not quiet:
        terminal.stderr_console().print(
            f"Note: {capped}", markup=False, highlight=False, soft_wrap=True
        )
    with terminal.fold_progress(folds, enabled=not quiet) as on_fold:
        document = predict_probabilities(
            features,
            output,
            label_column=label_column,
            model=model,
            model_params=model_params,
            folds=folds,
            seed=seed,
            n_jobs=n_jobs,
            id_column=id_column,
            text_columns=text_column or (),
            drop_columns=drop_column or (),
            on_fold=on_fold,
        )
    if not quiet:
        terminal.render_predict(terminal.stderr_console(), terminal.stdout_console(), document)
