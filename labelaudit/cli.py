"""The ``labelaudit`` command line: parse options, call io/core, render with report. No math here.

Heavy modules (pandas, pyarrow, scikit-learn) are imported inside the commands that need them so
that ``labelaudit --help`` stays fast in shell pipelines.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

# Typer vendors its own click; its exception classes are only reachable here.
from typer._click import exceptions as click_exceptions
from typer.core import TyperGroup

from labelaudit import __version__
from labelaudit.errors import LabelauditError


class LabelauditGroup(TyperGroup):
    """Click group that turns every failure into the CLI contract's exit codes and messages.

    0 ok, 1 a requested check failed, 2 usage or input error; errors are one or two lines on
    stderr starting with ``Error:``; ``--debug`` re-raises so the traceback is shown.
    """

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:
        extra.pop("standalone_mode", None)
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv
        try:
            result = super().main(argv, prog_name, standalone_mode=False, **extra)
        except typer.Exit as exc:
            sys.exit(exc.exit_code)
        except click_exceptions.NoArgsIsHelpError as exc:
            typer.echo(exc.format_message())
            sys.exit(0)
        except typer.Abort:
            _print_error("aborted.")
            sys.exit(130)
        except click_exceptions.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx is not None else "labelaudit"
            _print_error(exc.format_message(), hint=f"Run '{command} --help' for the options.")
            sys.exit(2)
        except click_exceptions.ClickException as exc:
            _print_error(exc.format_message())
            sys.exit(exc.exit_code)
        except LabelauditError as exc:
            if debug:
                raise
            _print_error(str(exc))
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _print_error("interrupted.")
            sys.exit(130)
        except Exception as exc:  # an unexpected failure still honours the exit-code API
            if debug:
                raise
            _print_error(
                f"{type(exc).__name__}: {exc}",
                hint="This may be a bug in labelaudit; run again with --debug for the traceback.",
            )
            sys.exit(2)
        if isinstance(result, int):
            sys.exit(result)
        return result


def _print_error(message: str, hint: str | None = None) -> None:
    message = message.strip()
    if not message.lower().startswith("error:"):
        message = f"Error: {message}"
    typer.echo(message, err=True)
    if hint:
        typer.echo(hint, err=True)


app = typer.Typer(
    name="labelaudit",
    cls=LabelauditGroup,
    help="Audit the labels of a classification dataset with confident learning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"labelaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Show the version and exit.",
        callback=_version_callback,
        is_eager=True,
    ),
) -> None:
    """Audit the labels of a classification dataset with confident learning.

    Typical use: labelaudit find-issues --labels y.parquet --probs p.npy
    """


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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
) -> None:
    """Write out-of-fold predicted probabilities for every row (input for find-issues).

    Example: labelaudit predict data.csv --label-column label -o probs.parquet
    """
    import time

    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from labelaudit import io
    from labelaudit import predict as predict_mod
    from labelaudit.errors import InputError

    started = time.perf_counter()
    suffix = io.suffix_of(output)
    if suffix not in (*io.TABLE_SUFFIXES, ".npy"):
        raise InputError(
            f"{output}: unsupported output type '{output.suffix}'; use .parquet, .csv or .npy."
        )
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{output}: the folder {folder} does not exist.")
    if n_jobs == 0:
        raise InputError("--n-jobs must be a positive number of processes or -1 (all CPUs).")
    io.refuse_overwrite(output, [features])
    choice = predict_mod.build_model(model, model_params, seed)

    frame = io.read_table(features)
    selected = predict_mod.select_features(
        frame,
        label_column=label_column,
        id_column=id_column,
        text_columns=text_column or (),
        drop_columns=drop_column or (),
    )
    _, classes = predict_mod.encode_labels(selected.labels)
    if id_column is not None and id_column in classes and suffix != ".npy":
        raise InputError(f"--id-column '{id_column}' has the same name as a class; rename it.")

    err = Console(stderr=True)
    progress = Progress(
        TextColumn("Fitting folds"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
    )
    task = progress.add_task("folds", total=folds)

    started_bar = False

    def on_fold(done: int, total: int) -> None:
        nonlocal started_bar
        if not started_bar:
            progress.start()  # only once the inputs are valid: no bar above an input error
            started_bar = True
        progress.update(task, completed=done)

    try:
        probs, classes, metrics = predict_mod.out_of_fold_probabilities(
            selected.features,
            selected.labels,
            model=choice.estimator,
            folds=folds,
            seed=seed,
            n_jobs=n_jobs,
            text_columns=selected.text_columns,
            progress_callback=on_fold,
        )
    finally:
        if started_bar:
            progress.stop()

    if suffix == ".npy":
        io.write_npy(probs, output)
    else:
        import pandas as pd

        columns: dict[str, Any] = {}
        if selected.ids is not None:
            columns[str(id_column)] = selected.ids.to_numpy()
        for k, name in enumerate(classes):
            columns[name] = probs[:, k]
        io.write_table(pd.DataFrame(columns), output)
    elapsed = time.perf_counter() - started
    if quiet:
        return

    for message in metrics["warnings"]:
        err.print(f"Warning: {message}", markup=False, highlight=False)
    kinds = metrics["feature_columns"]
    title = f"Out-of-fold probabilities written to {escape(str(output))}"
    table = Table(title=title, show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("model", choice.description)
    table.add_row("rows × classes", f"{metrics['n_rows']} × {metrics['n_classes']}")
    table.add_row(
        "features",
        f"{len(kinds['numeric'])} numeric, {len(kinds['categorical'])} categorical, "
        f"{len(kinds['text'])} text",
    )
    table.add_row("cross-validation", f"{folds} stratified folds, seed {seed}")
    table.add_row(
        "accuracy",
        f"{metrics['accuracy']:.4f} (majority class: {metrics['baseline_accuracy']:.4f})",
    )
    table.add_row("log loss", f"{metrics['log_loss']:.4f}")
    table.add_row("time", f"{elapsed:.1f} s")
    out = Console()
    out.print(table)
    if suffix == ".npy":
        mapping = ", ".join(f"{k} = {name}" for k, name in enumerate(classes))
        out.print(f"Columns of {output}: {mapping}", markup=False, highlight=False)


def main() -> None:
    """Console-script entry point."""
    app()
