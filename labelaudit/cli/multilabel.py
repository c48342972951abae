"""``--multi-label`` runs of find-issues, score, health, clean and predict.

Each command module parses its options and, when ``--multi-label`` is given, hands them to the
function here of the same name, which calls :mod:`labelaudit.pipeline.multilabel` (and its clean
and predict siblings) and renders with :mod:`labelaudit.report.multilabel_view`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labelaudit.cli.output import emit, raise_if_failed, running
from labelaudit.errors import InputError

DEFAULT_SEPARATOR = ","


def sources_for(
    labels: Path,
    probs: list[Path],
    *,
    label_column: str | None,
    id_column: str | None,
    classes: str | None,
    normalize: bool,
    separator: str | None,
) -> Any:
    """The pipeline's MultilabelSources; refuses ``--normalize`` (rows need not sum to 1)."""
    from labelaudit.pipeline.multilabel import MultilabelSources

    if normalize:
        raise InputError(
            "--normalize does not apply with --multi-label: per-class probabilities need not "
            "sum to 1."
        )
    return MultilabelSources(
        labels, probs, label_column, id_column, classes, separator or DEFAULT_SEPARATOR
    )


def aggregation_for(aggregator: Any, alpha: float | None, temperature: float | None) -> Any:
    """The pipeline's :class:`Aggregation`; an option for the other aggregator is refused."""
    from labelaudit.pipeline.multilabel import Aggregation

    name = aggregator.value if aggregator is not None else "exponential_moving_average"
    if name == "softmin" and alpha is not None:
        raise InputError("--alpha applies to --aggregator exponential_moving_average, not softmin.")
    if name != "softmin" and temperature is not None:
        raise InputError("--temperature applies to --aggregator softmin.")
    return Aggregation(
        name, 0.8 if alpha is None else alpha, 0.1 if temperature is None else temperature
    )


_MULTILABEL_ONLY = ("label_separator", "aggregator", "alpha", "temperature")


def run(command: str, options: dict[str, Any]) -> bool:
    """Run *command*'s multi-label version when ``--multi-label`` is set (True if it ran).

    *options* are the command's parsed parameters (its ``locals()``). Without ``--multi-label``,
    an option that only applies with it is refused.
    """
    from labelaudit.cli.options import refuse_without_multilabel

    multi_label = bool(options.get("multi_label"))
    refuse_without_multilabel(
        multi_label, **{name: options[name] for name in _MULTILABEL_ONLY if name in options}
    )
    if multi_label:
        _refuse_single_label_options(options)
        _COMMANDS[command](options)
    return multi_label


_SINGLE_LABEL_ONLY = (
    "junit_xml",
    "markdown",
    "all_pairs",
    "class_order",
    "flagged_count",
    "csv_safe",
    "keep_original",
    "min_confidence",
)


def _refuse_single_label_options(options: dict[str, Any]) -> None:
    """Options the multi-label path does not implement yet are refused, not silently ignored."""
    given = [name for name in _SINGLE_LABEL_ONLY if options.get(name) not in (None, False)]
    if given:
        names = ", ".join("--" + name.replace("_", "-") for name in given)
        raise InputError(f"{names}: not available with --multi-label yet.")


def _sources(o: dict[str, Any]) -> Any:
    return sources_for(
        o["labels"],
        o["probs"],
        label_column=o["label_column"],
        id_column=o["id_column"],
        classes=o["classes"],
        normalize=o["normalize"],
        separator=o["label_separator"],
    )


def _find_issues(o: dict[str, Any]) -> None:
    """``find-issues --multi-label``: run, write, render, gate."""
    from labelaudit.pipeline import multilabel
    from labelaudit.report import multilabel_view

    json_output, quiet = o["json_output"], o["quiet"]
    with running("Finding label issues…", quiet=quiet, json_output=json_output):
        document, checks = multilabel.find_issues(
            _sources(o),
            filter_by=o["filter_by"].value,
            rank_by=o["rank_by"].value,
            frac_noise=o["frac_noise"],
            min_examples_per_class=o["min_examples_per_class"],
            aggregation=aggregation_for(o["aggregator"], o["alpha"], o["temperature"]),
            output=o["output"],
            all_rows=o["all_rows"],
            top=o["top"],
            fail_above=o["fail_above"],
        )
    emit(
        document,
        lambda console: multilabel_view.render_find_issues(console, document),
        json_output=json_output,
        quiet=quiet,
    )
    raise_if_failed(checks)


def _score(o: dict[str, Any]) -> None:
    """``score --multi-label``: run, write, render."""
    from labelaudit.pipeline import multilabel
    from labelaudit.report import multilabel_view

    json_output, quiet = o["json_output"], o["quiet"]
    with running("Scoring labels…", quiet=quiet, json_output=json_output):
        document = multilabel.score_labels(
            _sources(o),
            method=o["method"].value,
            adjust_pred_probs=o["adjust_pred_probs"],
            aggregation=aggregation_for(o["aggregator"], o["alpha"], o["temperature"]),
            output=o["output"],
            top=o["top"],
        )
    emit(
        document,
        lambda console: multilabel_view.render_score(console, document),
        json_output=json_output,
        quiet=quiet,
    )


def _health(o: dict[str, Any]) -> None:
    """``health --multi-label``: run, write, render, gate."""
    from labelaudit.pipeline import multilabel
    from labelaudit.report import multilabel_view

    json_output, quiet = o["json_output"], o["quiet"]
    with running("Estimating label health…", quiet=quiet, json_output=json_output):
        result = multilabel.health(
            _sources(o),
            output=o["output"],
            max_noise_rate=o["max_noise_rate"],
            max_class_noise_rate=o["max_class_noise_rate"],
        )
    emit(
        result.document,
        lambda console: multilabel_view.render_health(console, result.document, top=o["top"]),
        json_output=json_output,
        quiet=quiet,
    )
    raise_if_failed(result.checks)


def _clean(o: dict[str, Any]) -> None:
    """``clean --multi-label``: run, write, render."""
    from labelaudit.pipeline.multilabel_clean import clean_multilabel
    from labelaudit.report import multilabel_view

    if o["issues"] is not None:
        return _clean_from_issues(o)
    if not o["probs"]:
        raise InputError("--probs is required (or --issues, to reuse a find-issues output).")
    labels = o["labels"] if o["labels"] is not None else o["data"]
    # --label-column names DATA's column; it reads the labels only from a table
    table_labels = labels.suffix.lower() != ".npy"
    options = {**o, "labels": labels, "label_column": o["label_column"] if table_labels else None}
    json_output, quiet = o["json_output"], o["quiet"]
    with running("Finding label issues…", quiet=quiet, json_output=json_output):
        document = clean_multilabel(
            o["data"],
            o["output"],
            sources=_sources(options),
            label_column=o["label_column"],
            action=o["action"].value,
            filter_by=o["filter_by"].value,
            frac_noise=o["frac_noise"],
            min_examples_per_class=o["min_examples_per_class"],
        )
    emit(
        document,
        lambda console: multilabel_view.render_clean(console, document),
        json_output=json_output,
        quiet=quiet,
    )


def _clean_from_issues(o: dict[str, Any]) -> None:
    """``clean --multi-label --issues``: reuse a find-issues output."""
    from labelaudit.pipeline.multilabel_clean import clean_from_issues
    from labelaudit.report import multilabel_view

    if o["probs"] or o["labels"] is not None:
        raise InputError(
            "--issues and --probs/--labels: give one of them (--issues reuses a find-issues "
            "output)."
        )
    json_output, quiet = o["json_output"], o["quiet"]
    with running("Cleaning…", quiet=quiet, json_output=json_output):
        document = clean_from_issues(
            o["data"],
            o["output"],
            issues=o["issues"],
            label_column=o["label_column"],
            separator=o["label_separator"] or DEFAULT_SEPARATOR,
            action=o["action"].value,
        )
    emit(
        document,
        lambda console: multilabel_view.render_clean(console, document),
        json_output=json_output,
        quiet=quiet,
    )


def _predict(o: dict[str, Any]) -> None:
    """``predict --multi-label``: out-of-fold per-class probabilities, then the summary."""
    from labelaudit.pipeline.multilabel_predict import predict_multilabel
    from labelaudit.report import multilabel_view, terminal

    quiet = o["quiet"]
    with terminal.fold_progress(o["folds"], enabled=not quiet) as on_fold:
        document = predict_multilabel(
            o["features"],
            o["output"],
            label_column=o["label_column"],
            separator=o["label_separator"] or DEFAULT_SEPARATOR,
            model=o["model"],
            model_params=o["model_params"],
            folds=o["folds"],
            seed=o["seed"],
            n_jobs=o["n_jobs"],
            id_column=o["id_column"],
            text_columns=o["text_column"] or (),
            drop_columns=o["drop_column"] or (),
            on_fold=on_fold,
        )
    if not quiet:
        multilabel_view.render_predict(
            terminal.stderr_console(), terminal.stdout_console(), document
        )


_COMMANDS = {
    "find-issues": _find_issues,
    "score": _score,
    "health": _health,
    "clean": _clean,
    "predict": _predict,
}
