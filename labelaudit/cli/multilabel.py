"""``--multi-label`` runs of find-issues, score, health, clean and predict.

Each command module parses its options and, when ``--multi-label`` is given, hands them to the
function here of the same name, which calls :mod:`labelaudit.pipeline.multilabel` (and its clean
and predict siblings) and renders with :mod:`labelaudit.report.multilabel_view`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labelaudit.cli.output import Outcome, perform
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


_MULTILABEL_ONLY = ("label_separator", "aggregator", "alpha", "temperature")


def run(command: str, options: dict[str, Any]) -> bool:
    """Run *command*'s multi-label version when ``--multi-label`` is set (True if it ran).

    *options* are the command's parsed parameters (its ``locals()``; groups are spelled out).
    Without ``--multi-label``, an option that only applies with it is refused.
    """
    from labelaudit.cli.groups import as_options
    from labelaudit.cli.options import refuse_without_multilabel

    options = as_options(options)
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
    from labelaudit.pipeline.options import IssueOptions, ResultOptions
    from labelaudit.report import multilabel_view

    def work() -> Outcome:
        document, checks = multilabel.find_issues(
            _sources(o),
            IssueOptions(
                o["filter_by"].value,
                o["rank_by"].value,
                o["frac_noise"],
                o["min_examples_per_class"],
            ),
            ResultOptions(o["output"], o["top"], o["all_rows"], o["fail_above"]),
            aggregation=o["scoring"].aggregation(),
        )
        return Outcome(
            document, lambda console: multilabel_view.render_find_issues(console, document), checks
        )

    perform("Finding label issues…", work, o["display"])


def _score(o: dict[str, Any]) -> None:
    """``score --multi-label``: run, write, render."""
    from labelaudit.pipeline import multilabel
    from labelaudit.pipeline.options import ResultOptions, ScoreOptions
    from labelaudit.report import multilabel_view

    def work() -> Outcome:
        document = multilabel.score_labels(
            _sources(o),
            ScoreOptions(o["method"].value, o["adjust_pred_probs"]),
            ResultOptions(o["output"], o["top"]),
            aggregation=o["scoring"].aggregation(),
        )
        return Outcome(document, lambda console: multilabel_view.render_score(console, document))

    perform("Scoring labels…", work, o["display"])


def _health(o: dict[str, Any]) -> None:
    """``health --multi-label``: run, write, render, gate."""
    from labelaudit.pipeline import multilabel
    from labelaudit.report import multilabel_view

    def work() -> Outcome:
        result = multilabel.health(
            _sources(o),
            output=o["output"],
            max_noise_rate=o["max_noise_rate"],
            max_class_noise_rate=o["max_class_noise_rate"],
        )
        return Outcome(
            result.document,
            lambda console: multilabel_view.render_health(console, result.document, top=o["top"]),
            result.checks,
        )

    perform("Estimating label health…", work, o["display"])


def _clean(o: dict[str, Any]) -> None:
    """``clean --multi-label``: run, write, render."""
    from labelaudit.pipeline.multilabel_clean import clean_multilabel
    from labelaudit.pipeline.options import CleanOptions, IssueOptions

    if o["issues"] is not None:
        return _clean_from_issues(o)
    if not o["probs"]:
        raise InputError("--probs is required (or --issues, to reuse a find-issues output).")
    labels = o["labels"] if o["labels"] is not None else o["data"]
    # --label-column names DATA's column; it reads the labels only from a table
    table_labels = labels.suffix.lower() != ".npy"
    options = {**o, "labels": labels, "label_column": o["label_column"] if table_labels else None}

    def work() -> Outcome:
        return _clean_outcome(
            clean_multilabel(
                o["data"],
                o["output"],
                sources=_sources(options),
                options=CleanOptions(
                    o["action"].value,
                    o["label_column"],
                    IssueOptions(
                        o["filter_by"].value,
                        frac_noise=o["frac_noise"],
                        min_examples_per_class=o["min_examples_per_class"],
                    ),
                ),
            )
        )

    perform("Finding label issues…", work, o["display"])


def _clean_from_issues(o: dict[str, Any]) -> None:
    """``clean --multi-label --issues``: reuse a find-issues output."""
    from labelaudit.pipeline.multilabel_clean import clean_from_issues
    from labelaudit.pipeline.options import CleanOptions

    if o["probs"] or o["labels"] is not None:
        raise InputError(
            "--issues and --probs/--labels: give one of them (--issues reuses a find-issues "
            "output)."
        )

    def work() -> Outcome:
        return _clean_outcome(
            clean_from_issues(
                o["data"],
                o["output"],
                issues=o["issues"],
                separator=o["label_separator"] or DEFAULT_SEPARATOR,
                options=CleanOptions(o["action"].value, o["label_column"]),
            )
        )

    perform("Cleaning…", work, o["display"])


def _clean_outcome(document: dict[str, Any]) -> Outcome:
    """clean's document, drawn by the multi-label view."""
    from labelaudit.report import multilabel_view

    return Outcome(document, lambda console: multilabel_view.render_clean(console, document))


def _predict(o: dict[str, Any]) -> None:
    """``predict --multi-label``: out-of-fold per-class probabilities, then the summary."""
    from labelaudit.cli.predict import fitting
    from labelaudit.pipeline.multilabel_predict import predict_multilabel
    from labelaudit.report import multilabel_view

    separator = o["label_separator"] or DEFAULT_SEPARATOR

    def work(on_fold: Any) -> dict[str, Any]:
        return predict_multilabel(
            o["features"], o["output"], o["fit"], separator=separator, on_fold=on_fold
        )

    fitting(work, multilabel_view.render_predict, o["fit"], quiet=o["quiet"])


_COMMANDS = {
    "find-issues": _find_issues,
    "score": _score,
    "health": _health,
    "clean": _clean,
    "predict": _predict,
}
