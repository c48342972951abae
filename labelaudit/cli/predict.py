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
        help="Feature table (.parquet or .csv) that also holds the label column.",
        show_default=False,
    ),
    label_column: str = typer.Option(
        ..., "--label-column", help="Column with the given labels.", show_default=False
    ),
    output: Path = typer.Option(
        ...,
        "-o",
        "--output",
        help="Where to write the probabilities: .parquet, .csv or .npy.",
        show_default=False,
    ),
    model: str = typer.Option(
        "logistic_regression",
        "--model",
        help="logistic_regression, random_forest, extra_trees, hist_gradient_boosting, knn, "
        "naive_bayes, mlp, or an importable classifier such as sklearn.svm.SVC.",
    ),
    model_params: str | None = typer.Option(
        None, "--model-params", help="Model parameters as a JSON object, e.g. '{\"C\": 0.5}'."
    ),
    folds: int = typer.Option(5, "--folds", min=2, help="Stratified cross-validation folds."),
    seed: int = typer.Option(0, "--seed", help="Seed for the fold shuffle and the model."),
    n_jobs: int = typer.Option(1, "--n-jobs", help="Folds fitted in parallel (-1: all CPUs)."),
    id_column: str | None = typer.Option(
        None, "--id-column", help="Row id column: not a feature, copied to the output."
    ),
    text_column: list[str] | None = typer.Option(
        None, "--text-column", help="Free-text column to TF-IDF encode (repeatable)."
    ),
    drop_column: list[str] | None = typer.Option(
        None, "--drop-column", help="Column to leave out of the features (repeatable)."
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
    from labelaudit.pipeline.predict import predict_probabilities
    from labelaudit.report import terminal

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
