"""The ``labelaudit`` command line: parse options, call io/core, render with report. No math here.

Heavy modules (pandas, pyarrow, scikit-learn) are imported inside the commands that need them so
that ``labelaudit --help`` stays fast in shell pipelines.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

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
                traceback.print_exc()
            _print_error(str(exc))
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _print_error("interrupted.")
            sys.exit(130)
        except Exception as exc:  # an unexpected failure still honours the exit-code API
            if debug:
                traceback.print_exc()
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
        err.print(f"Warning: {message}", markup=False, highlight=False, soft_wrap=True)
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
        out.print(f"Columns of {output}: {mapping}", markup=False, highlight=False, soft_wrap=True)


# --- audit commands: find-issues, score, health, clean ---------------------------------------
# Choices are spelled out here (not imported from labelaudit.core) so that --help does not import
# numpy; tests/test_cli.py checks that they match the core's FILTERS and SCORE_METHODS.


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
        help="Given labels: .parquet or .csv (column --label-column) or .npy.",
        show_default=False,
    ),
]
ProbsOption = Annotated[
    list[Path],
    typer.Option(
        "--probs",
        metavar="<path>",
        help="Out-of-sample probabilities: .npy (N, K) or a .parquet/.csv table with one column "
        "per class. Repeat for an ensemble of models.",
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
DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")]


@contextlib.contextmanager
def _forward_warnings(quiet: bool) -> Iterator[None]:
    """Print the core's Python warnings as ``Warning:`` lines on stderr (once each)."""
    import warnings

    from labelaudit import report

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for message in dict.fromkeys(str(w.message) for w in caught):
        report.warn(message, quiet=quiet)


def _progress_enabled(quiet: bool, json_output: bool) -> bool:
    return not quiet and not json_output


LABEL_COLUMNS = ("given_label", "predicted_label")
"""Output columns with few distinct values (dictionary-encoded in Parquet)."""


def _load_inputs(
    labels: Path,
    probs: list[Path],
    *,
    output: Path | None,
    output_suffixes: tuple[str, ...],
    label_column: str | None,
    id_column: str | None,
    classes: str | None,
    normalize: bool,
    release_pages: bool = True,
) -> Any:
    """The audit commands' shared start: check the output path, then read and validate inputs.

    The output is checked first so that a bad ``-o`` fails before any work is done.
    """
    from labelaudit import io

    if output is not None:
        io.check_output_path(output, output_suffixes)
        io.refuse_overwrite(output, [labels, *probs])
    return io.load_audit_inputs(
        labels,
        probs,
        label_column=label_column,
        id_column=id_column,
        classes=classes,
        normalize=normalize,
        release_pages=release_pages,
    )


@app.command("find-issues")
def find_issues(
    labels: LabelsOption,
    probs: ProbsOption,
    label_column: LabelColumnOption = None,
    id_column: IdColumnOption = None,
    classes: ClassesOption = None,
    normalize: NormalizeOption = False,
    filter_by: FilterByOption = FilterBy.prune_by_noise_rate,
    rank_by: Annotated[
        ScoreMethod, typer.Option("--rank-by", help="Label quality score used to rank issues.")
    ] = ScoreMethod.self_confidence,
    frac_noise: FracNoiseOption = 1.0,
    min_examples_per_class: MinExamplesOption = 1,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write the flagged rows (.parquet or .csv), most likely errors first.",
            show_default=False,
        ),
    ] = None,
    all_rows: Annotated[
        bool,
        typer.Option("--all-rows", help="Write every row, in input order, not just the issues."),
    ] = False,
    top: TopOption = 10,
    fail_above: Annotated[
        float | None,
        typer.Option(
            "--fail-above",
            min=0.0,
            max=1.0,
            help="Exit 1 when the fraction of flagged rows is above this, in [0, 1].",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Find the rows whose given label is probably wrong, most likely errors first.

    Example: labelaudit find-issues --labels y.parquet --probs p.npy -o issues.parquet
    """

    from labelaudit import io, report
    from labelaudit.errors import CheckFailed

    inputs = _load_inputs(
        labels,
        probs,
        output=output,
        output_suffixes=io.TABLE_SUFFIXES,
        label_column=label_column,
        id_column=id_column,
        classes=classes,
        normalize=normalize,
        release_pages=False,  # pruning re-reads every row
    )
    with (
        report.progress("Finding label issues…", enabled=_progress_enabled(quiet, json_output)),
        _forward_warnings(quiet),
    ):
        from labelaudit.core.ranking import order_label_issues

        stats, is_issue = _flag_issues(inputs, filter_by, frac_noise, min_examples_per_class)
        scores = _quality_scores(inputs, stats, method=rank_by.value, adjust_pred_probs=False)
        ranked = order_label_issues(is_issue, scores)

    n_examples, n_classes = inputs.n_examples, inputs.n_classes
    row_facts = {
        "classes": inputs.classes,
        "labels": inputs.labels,
        "predicted": stats.predicted_labels,
        "scores": scores,
        "ids": inputs.ids,
        "id_column": inputs.id_column,
    }
    # The rest needs no probabilities: dropping them unmaps a memory-mapped --probs file, which
    # keeps peak memory near one copy of the input.
    del inputs
    if output is not None:
        io.write_rows(
            output,
            n_examples if all_rows else ranked,
            lambda rows: report.label_rows_columns(rows, is_label_issue=is_issue, **row_facts),
            dictionary_columns=LABEL_COLUMNS,
        )
    top_rows = report.label_rows_records(ranked[:top], **row_facts)
    document = report.find_issues_document(
        top_rows,
        n_examples=n_examples,
        n_classes=n_classes,
        n_label_issues=int(ranked.shape[0]),
        filter_by=filter_by.value,
        rank_by=rank_by.value,
        output=None if output is None else str(output),
        fail_above=fail_above,
    )
    if json_output:
        report.print_json(document)
    elif not quiet:
        report.render_find_issues(report.stdout_console(), document, top_rows)
    if fail_above is not None and document["fraction"] > fail_above:
        raise CheckFailed(
            f"{report.percent(document['fraction'])} of rows are flagged as label issues, above "
            f"--fail-above {fail_above:g}."
        )


def _flag_issues(
    inputs: Any, filter_by: FilterBy, frac_noise: float, min_examples_per_class: int
) -> tuple[Any, Any]:
    """The core's statistics and its issue mask for the loaded inputs (find-issues, clean)."""
    from labelaudit.core.counting import compute_label_stats
    from labelaudit.core.filtering import find_label_issues

    stats = compute_label_stats(inputs.labels, inputs.pred_probs)
    is_issue = find_label_issues(
        inputs.labels,
        inputs.pred_probs,
        filter_by=filter_by.value,
        frac_noise=frac_noise,
        min_examples_per_class=min_examples_per_class,
        stats=stats,
    )
    return stats, is_issue


def _quality_scores(inputs: Any, stats: Any, *, method: str, adjust_pred_probs: bool) -> Any:
    """Label quality of every row: the single model's, or the accuracy-weighted ensemble's."""
    from labelaudit.core.ranking import ensemble_label_quality_scores, label_quality_scores

    if len(inputs.pred_probs_list) > 1:
        return ensemble_label_quality_scores(
            inputs.labels,
            inputs.pred_probs_list,
            method=method,
            adjust_pred_probs=adjust_pred_probs,
            weight_by="accuracy",
        )
    if method == "self_confidence" and not adjust_pred_probs and stats is not None:
        # p[n, y[n]] in the input dtype: no float64 copy of N scores, and ties rank exactly as
        # they do when the same float32 scores are sorted.
        return stats.self_confidence
    from labelaudit import io

    return label_quality_scores(
        inputs.labels,
        inputs.pred_probs,
        method=method,
        adjust_pred_probs=adjust_pred_probs,
        stats=stats,
        release_rows=io.page_releaser(inputs.pred_probs),
    )


@app.command("score")
def score(
    labels: LabelsOption,
    probs: ProbsOption,
    label_column: LabelColumnOption = None,
    id_column: IdColumnOption = None,
    classes: ClassesOption = None,
    normalize: NormalizeOption = False,
    method: Annotated[
        ScoreMethod, typer.Option("--method", help="Label quality score.")
    ] = ScoreMethod.self_confidence,
    adjust_pred_probs: Annotated[
        bool,
        typer.Option(
            "--adjust-pred-probs",
            help="Score probabilities adjusted by the per-class thresholds (not for "
            "confidence_weighted_entropy).",
        ),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write every row's label quality, in input order (.parquet or .csv).",
            show_default=False,
        ),
    ] = None,
    top: TopOption = 10,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Score the quality of every label (1 = surely right, 0 = surely wrong).

    Example: labelaudit score --labels y.parquet --probs p.npy -o scores.parquet
    """

    from labelaudit import io, report
    from labelaudit.errors import InputError

    if adjust_pred_probs and method is ScoreMethod.confidence_weighted_entropy:
        raise InputError(
            "--adjust-pred-probs cannot be combined with --method confidence_weighted_entropy."
        )
    inputs = _load_inputs(
        labels,
        probs,
        output=output,
        output_suffixes=io.TABLE_SUFFIXES,
        label_column=label_column,
        id_column=id_column,
        classes=classes,
        normalize=normalize,
    )
    with (
        report.progress("Scoring labels…", enabled=_progress_enabled(quiet, json_output)),
        _forward_warnings(quiet),
    ):
        from labelaudit.core.counting import compute_label_stats, predicted_labels
        from labelaudit.core.ranking import lowest_scores

        # The thresholds (and so the confident-joint pass) are only needed to adjust the probs.
        stats = None
        if adjust_pred_probs:
            stats = compute_label_stats(inputs.labels, inputs.pred_probs)
        scores = _quality_scores(
            inputs, stats, method=method.value, adjust_pred_probs=adjust_pred_probs
        )
        predicted = (
            stats.predicted_labels
            if stats is not None
            else predicted_labels(
                inputs.pred_probs, release_rows=io.page_releaser(inputs.pred_probs)
            )
        )
        lowest = lowest_scores(scores, top)

    n_examples = inputs.n_examples
    row_facts = {
        "classes": inputs.classes,
        "labels": inputs.labels,
        "predicted": predicted,
        "scores": scores,
        "ids": inputs.ids,
        "id_column": inputs.id_column,
    }
    del inputs  # unmaps a memory-mapped --probs file before the output is built
    if output is not None:
        io.write_rows(
            output,
            n_examples,
            lambda rows: report.label_rows_columns(rows, **row_facts),
            dictionary_columns=LABEL_COLUMNS,
        )
    lowest_rows = report.label_rows_records(lowest, **row_facts)
    document = report.score_document(
        lowest_rows,
        n_examples=n_examples,
        method=method.value,
        adjust_pred_probs=adjust_pred_probs,
        scores=scores,
        output=None if output is None else str(output),
    )
    if json_output:
        report.print_json(document)
    elif not quiet:
        report.render_score(report.stdout_console(), document, lowest_rows)


@app.command("health")
def health(
    labels: LabelsOption,
    probs: ProbsOption,
    label_column: LabelColumnOption = None,
    id_column: IdColumnOption = None,
    classes: ClassesOption = None,
    normalize: NormalizeOption = False,
    max_noise_rate: Annotated[
        float | None,
        typer.Option(
            "--max-noise-rate",
            min=0.0,
            max=1.0,
            help="Exit 1 when the estimated noise rate is above this, in [0, 1].",
            show_default=False,
        ),
    ] = None,
    max_class_noise_rate: Annotated[
        float | None,
        typer.Option(
            "--max-class-noise-rate",
            min=0.0,
            max=1.0,
            help="Exit 1 when any class's label noise is above this, in [0, 1].",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Also write the JSON report to this .json file.",
            show_default=False,
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=0, help="Overlapping class pairs shown.")] = 10,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Report the dataset's label health: noise rate, per class, overlapping classes.

    Example: labelaudit health --labels y.parquet --probs p.npy --max-noise-rate 0.05
    """
    from labelaudit import io, report
    from labelaudit.errors import CheckFailed

    inputs = _load_inputs(
        labels,
        probs,
        output=output,
        output_suffixes=(".json",),
        label_column=label_column,
        id_column=id_column,
        classes=classes,
        normalize=normalize,
    )
    with (
        report.progress("Estimating label health…", enabled=_progress_enabled(quiet, json_output)),
        _forward_warnings(quiet),
    ):
        from labelaudit.core.health import health_report

        health_result = health_report(
            inputs.labels, inputs.pred_probs, release_rows=io.page_releaser(inputs.pred_probs)
        )
    document = report.health_document(health_result, inputs.classes)
    if output is not None:
        io.write_text(report.to_json(document) + "\n", output)
    if json_output:
        report.print_json(document)
    elif not quiet:
        report.render_health(report.stdout_console(), health_result, inputs.classes, top=top)

    failures = []
    if max_noise_rate is not None and document["noise_rate"] > max_noise_rate:
        failures.append(
            f"noise rate {report.percent(document['noise_rate'])} is above --max-noise-rate "
            f"{max_noise_rate:g}"
        )
    if max_class_noise_rate is not None:
        noisy = [c for c in document["classes"] if c["label_noise"] > max_class_noise_rate]
        if noisy:
            worst = max(noisy, key=lambda c: c["label_noise"])
            others = f" (and {len(noisy) - 1} more classes)" if len(noisy) > 1 else ""
            failures.append(
                f"class {str(worst['class'])!r} has label noise "
                f"{report.percent(worst['label_noise'])}{others}, above --max-class-noise-rate "
                f"{max_class_noise_rate:g}"
            )
    if failures:
        raise CheckFailed("; ".join(failures) + ".")


@app.command("clean")
def clean(
    data: Annotated[
        Path,
        typer.Argument(
            metavar="DATA",
            help="The dataset (.parquet or .csv): the same rows, in the same order, as the labels.",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="Where to write the cleaned dataset (.parquet or .csv).",
            show_default=False,
        ),
    ],
    labels: Annotated[
        Path | None,
        typer.Option(
            "--labels",
            help="Given labels (.parquet, .csv or .npy) (default: DATA's label column).",
            show_default=False,
        ),
    ] = None,
    probs: Annotated[
        list[Path] | None,
        typer.Option(
            "--probs",
            metavar="<path>",
            help="Out-of-sample probabilities, as for find-issues (repeatable). Not needed with "
            "--issues.",
            show_default=False,
        ),
    ] = None,
    issues: Annotated[
        Path | None,
        typer.Option(
            "--issues",
            help="Reuse a find-issues output (.parquet or .csv) instead of recomputing.",
            show_default=False,
        ),
    ] = None,
    action: Annotated[
        CleanAction,
        typer.Option(
            "--action",
            help="remove: drop the flagged rows; relabel: set their label to the predicted class.",
        ),
    ] = CleanAction.remove,
    label_column: LabelColumnOption = None,
    id_column: IdColumnOption = None,
    classes: ClassesOption = None,
    normalize: NormalizeOption = False,
    filter_by: FilterByOption = FilterBy.prune_by_noise_rate,
    frac_noise: FracNoiseOption = 1.0,
    min_examples_per_class: MinExamplesOption = 1,
    json_output: JsonOption = False,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Write a copy of DATA with the label issues removed or relabelled.

    Example: labelaudit clean data.parquet --probs p.npy -o clean.parquet --action relabel
    """
    from labelaudit import io, report
    from labelaudit.errors import InputError

    io.check_output_path(output, io.TABLE_SUFFIXES)
    if issues is not None and probs:
        raise InputError(
            "--issues and --probs: give one of them (--issues reuses a find-issues output)."
        )
    if issues is None and not probs:
        raise InputError("--probs is required (or --issues, to reuse a find-issues output).")
    labels_path = data if labels is None else labels
    inputs_paths = [data, labels_path, *(probs or []), *([issues] if issues else [])]
    io.refuse_overwrite(output, inputs_paths)
    for path in inputs_paths:
        io.check_readable(path)
    io.check_suffix(data, io.TABLE_SUFFIXES, "data")

    frame = io.read_table(data)
    if len(frame) == 0:
        raise InputError(f"{data}: has no rows; at least one row is needed.")
    relabel = action is CleanAction.relabel

    if issues is not None:
        found = io.read_issues(issues, len(frame), need_predicted=relabel)
        flagged_rows = found.rows
        predicted_values = found.predicted_labels
        expected_given = found.given_labels
        given_by_row = None
    else:
        inputs = io.load_audit_inputs(
            labels_path,
            probs or [],
            label_column=label_column,
            id_column=id_column,
            classes=classes,
            normalize=normalize,
        )
        if inputs.n_examples != len(frame):
            raise InputError(
                f"{data}: has {len(frame)} rows but {labels_path} has {inputs.n_examples}; both "
                "must list the same rows in the same order."
            )
        with (
            report.progress("Finding label issues…", enabled=_progress_enabled(quiet, json_output)),
            _forward_warnings(quiet),
        ):
            stats, is_issue = _flag_issues(inputs, filter_by, frac_noise, min_examples_per_class)
        flagged_rows = is_issue.nonzero()[0]
        predicted_values = report.class_values(inputs.classes, stats.predicted_labels[flagged_rows])
        given_by_row = report.class_values(inputs.classes, inputs.labels)
        expected_given = None
        if label_column is None and inputs.label_column is not None:
            label_column = inputs.label_column

    result = io.clean_table(
        frame,
        flagged_rows,
        action=action.value,
        label_column=label_column,
        predicted=predicted_values,
        data_path=data,
        expected_given=expected_given,
    )
    io.write_table(result.table, output)
    given = result.given if given_by_row is None else given_by_row
    document = report.clean_document(
        action=action.value,
        given=given,
        changed=result.changed,
        n_flagged=len(flagged_rows),
        output=str(output),
    )
    if json_output:
        report.print_json(document)
    elif not quiet:
        report.render_clean(report.stdout_console(), document)


def main() -> None:
    """Console-script entry point."""
    app()
