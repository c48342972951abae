"""The multi-label audit use cases: find-issues, score and health with ``--multi-label``.

Each function checks its output path first, loads and validates the inputs through
:mod:`labelaudit.io.multilabel_inputs`, runs :mod:`labelaudit.core.multilabel`, writes its
output and returns JSON-ready documents (:mod:`labelaudit.report.multilabel_view`). The gates
are :mod:`labelaudit.pipeline.checks`'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.errors import InputError
from labelaudit.pipeline.checks import CheckResult, flagged_fraction_check, gate_health_document
from labelaudit.pipeline.options import IssueOptions, ResultOptions, ScoreOptions

if TYPE_CHECKING:
    import numpy as np

    from labelaudit.core.multilabel import MultilabelHealth
    from labelaudit.io.multilabel import MultilabelInputs


@dataclass(frozen=True)
class MultilabelSources:
    """Where the label sets and the per-class probabilities come from, and how to read them."""

    labels: Path
    probs: Sequence[Path]
    label_column: str | None = None
    id_column: str | None = None
    classes: str | None = None
    separator: str = ","

    def paths(self) -> list[Path]:
        """Every input path (an output must be none of them)."""
        return [self.labels, *self.probs]

    def load(self) -> MultilabelInputs:
        """Read, map and validate the inputs (see ``load_multilabel_inputs``)."""
        from labelaudit.io.multilabel_inputs import load_multilabel_inputs

        if len(self.probs) != 1:
            raise InputError(
                f"--multi-label takes one --probs file, got {len(self.probs)} (ensembles of "
                "per-class probabilities: average them first)."
            )
        return load_multilabel_inputs(
            self.labels,
            self.probs[0],
            label_column=self.label_column,
            id_column=self.id_column,
            classes=self.classes,
            separator=self.separator,
        )


SCORE_CHUNK_ROWS = 1 << 16
"""Rows scored at a time: the per-class scores of a chunk, not of all N rows, are in memory."""


@dataclass(frozen=True)
class Aggregation:
    """How per-class qualities become one: ``--aggregator``, ``--alpha``, ``--temperature``."""

    aggregator: str = "exponential_moving_average"
    alpha: float = 0.8
    temperature: float = 0.1

    def options(self) -> dict[str, Any]:
        """The options as document keys (only the one the aggregator uses)."""
        if self.aggregator == "softmin":
            return {"aggregator": self.aggregator, "temperature": self.temperature}
        return {"aggregator": self.aggregator, "alpha": self.alpha}

    def scores(
        self, inputs: MultilabelInputs, method: str, adjust_pred_probs: bool = False
    ) -> np.ndarray:
        """Every row's aggregated label quality (:func:`multilabel_quality_scores`).

        Without *adjust_pred_probs* a row's score depends on that row only, so rows are scored
        :data:`SCORE_CHUNK_ROWS` at a time (the same numbers, a fraction of the memory); the
        adjusted scores need every row's thresholds and are computed at once.
        """
        import numpy as np

        from labelaudit.core.multilabel import multilabel_quality_scores

        def score(rows: slice) -> np.ndarray:
            """The scores of a slice of rows."""
            return multilabel_quality_scores(
                inputs.labels[rows],
                np.asarray(inputs.pred_probs[rows]),
                method=method,
                adjust_pred_probs=adjust_pred_probs,
                aggregator=self.aggregator,
                alpha=self.alpha,
                temperature=self.temperature,
            )

        n_rows = inputs.n_examples
        if adjust_pred_probs:
            return score(slice(0, n_rows))
        scores = np.empty(n_rows, dtype=np.float64)
        for start in range(0, n_rows, SCORE_CHUNK_ROWS):
            rows = slice(start, min(start + SCORE_CHUNK_ROWS, n_rows))
            scores[rows] = score(rows)
        return scores


@dataclass
class RowFacts:
    """What result rows are built from; the probabilities are read only for *rows* written."""

    inputs: MultilabelInputs
    scores: np.ndarray
    issue_classes: Any  # (N, K) bool, or a function rows -> (n, K) bool
    is_label_issue: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def columns(self, rows: np.ndarray) -> dict[str, Any]:
        """``row``, id, ``given_labels``, ``predicted_labels``, ``label_quality``,
        ``issue_classes`` (and ``is_label_issue``) of *rows*, in that order."""
        import numpy as np

        from labelaudit.io.multilabel_write import arrow_array, class_array, label_set_array

        inputs = self.inputs
        values = class_array(inputs.classes)
        predicted = np.asarray(inputs.pred_probs[rows]) >= 0.5
        flagged = (
            self.issue_classes(rows) if callable(self.issue_classes) else self.issue_classes[rows]
        )
        rows = np.asarray(rows, dtype=np.int64)
        columns: dict[str, Any] = {"row": arrow_array(rows)}
        if inputs.ids is not None and inputs.id_column is not None:
            columns[inputs.id_column] = inputs.ids.take(arrow_array(rows))
        columns["given_labels"] = label_set_array(inputs.labels[rows], values)
        columns["predicted_labels"] = label_set_array(predicted, values)
        columns["label_quality"] = arrow_array(np.asarray(self.scores[rows], dtype=np.float64))
        columns["issue_classes"] = label_set_array(flagged, values)
        if self.is_label_issue is not None:
            columns["is_label_issue"] = arrow_array(self.is_label_issue[rows])
        return columns

    def records(self, rows: np.ndarray) -> list[dict[str, Any]]:
        """:meth:`columns` as one dict per row (for the few rows a document shows)."""
        columns = {name: array.to_pylist() for name, array in self.columns(rows).items()}
        return [
            dict(zip(columns, values, strict=True))
            for values in zip(*columns.values(), strict=True)
        ]


def flag_multilabel_issues(
    inputs: MultilabelInputs, options: IssueOptions
) -> tuple[np.ndarray, np.ndarray]:
    """The core's issue mask and per-class flags for loaded inputs (find-issues, clean)."""
    from labelaudit.core.multilabel import find_multilabel_issues

    return find_multilabel_issues(
        inputs.labels, inputs.pred_probs, return_per_class=True, **options.filtering()
    )


def _check_output(output: Path | None, sources: MultilabelSources) -> None:
    from labelaudit.io.multilabel_write import OUTPUT_SUFFIXES
    from labelaudit.io.paths import check_output

    if output is not None:
        check_output(output, OUTPUT_SUFFIXES, sources.paths())


def _write(output: Path | None, facts: RowFacts, rows: np.ndarray, separator: str) -> None:
    from labelaudit.io.multilabel_write import write_result_rows

    if output is not None:
        write_result_rows(output, rows, facts.columns, facts.inputs.classes, separator)


def _disagreeing(inputs: MultilabelInputs) -> Any:
    """rows -> (n, K) bool: given tag where p < 0.5, or missing tag where p >= 0.5."""
    import numpy as np

    def classes_of(rows: np.ndarray) -> np.ndarray:
        """The disagreeing classes of *rows*."""
        return (np.asarray(inputs.pred_probs[rows]) >= 0.5) != (inputs.labels[rows] == 1)

    return classes_of


def find_issues(
    sources: MultilabelSources,
    options: IssueOptions | None = None,
    results: ResultOptions | None = None,
    aggregation: Aggregation | None = None,
) -> tuple[dict[str, Any], CheckResult]:
    """Flag the rows whose label set looks wrong, rank them, write ``results.output``.

    ``issue_classes`` of a row are the classes its per-class filter flagged (with the
    ``low_*`` filters, a flagged row can have none). Rows are ranked by the aggregated label
    quality of ``options.rank_by`` (lowest first). ``results.csv_safe`` is unused.
    """
    import numpy as np

    from labelaudit.core.multilabel import order_multilabel_issues
    from labelaudit.report import multilabel_view

    options, results = options or IssueOptions(), results or ResultOptions()
    aggregation = aggregation or Aggregation()
    output, all_rows = results.output, results.all_rows
    _check_output(output, sources)
    inputs = sources.load()
    mask, per_class = flag_multilabel_issues(inputs, options)
    scores = aggregation.scores(inputs, options.rank_by)
    ranked = order_multilabel_issues(mask, scores)
    facts = RowFacts(inputs, scores, per_class, mask if all_rows else None)
    n_examples = inputs.n_examples
    _write(output, facts, np.arange(n_examples) if all_rows else ranked, sources.separator)
    checks = flagged_fraction_check(ranked.shape[0] / n_examples, results.fail_above)
    document = multilabel_view.find_issues_document(
        facts.records(ranked[: results.top]),
        n_examples=n_examples,
        n_classes=inputs.n_classes,
        n_label_issues=int(ranked.shape[0]),
        options={**vars(options), **aggregation.options()},
        output=None if output is None else str(output),
        fail_above=results.fail_above,
    )
    return document, checks


def score_labels(
    sources: MultilabelSources,
    options: ScoreOptions | None = None,
    results: ResultOptions | None = None,
    aggregation: Aggregation | None = None,
) -> dict[str, Any]:
    """Score every row's label set, write ``results.output`` (every row, input order).

    ``issue_classes`` are the classes where the given tag disagrees with ``p >= 0.5``.
    """
    import numpy as np

    from labelaudit.core.ranking import lowest_scores
    from labelaudit.report import multilabel_view

    options, results = options or ScoreOptions(), results or ResultOptions()
    options.check()
    aggregation = aggregation or Aggregation()
    output = results.output
    _check_output(output, sources)
    inputs = sources.load()
    scores = aggregation.scores(inputs, options.method, options.adjust_pred_probs)
    facts = RowFacts(inputs, scores, _disagreeing(inputs))
    _write(output, facts, np.arange(inputs.n_examples), sources.separator)
    return multilabel_view.score_document(
        facts.records(lowest_scores(scores, results.top)),
        n_examples=inputs.n_examples,
        options={**vars(options), **aggregation.options()},
        mean_quality=float(np.mean(scores)),
        min_quality=float(np.min(scores)),
        output=None if output is None else str(output),
    )


@dataclass(frozen=True)
class HealthResult:
    """health's result: the core's health, the document and the gates' result."""

    health: MultilabelHealth
    document: dict[str, Any]
    checks: CheckResult


def health(
    sources: MultilabelSources,
    *,
    output: Path | None = None,
    max_noise_rate: float | None = None,
    max_class_noise_rate: float | None = None,
) -> HealthResult:
    """The multi-label dataset's label health; writes the JSON document to ``output``.

    ``--max-noise-rate`` gates the fraction of rows flagged by any class (``1 - health_score``),
    ``--max-class-noise-rate`` each class's label noise.
    """
    from labelaudit.core.multilabel import multilabel_health
    from labelaudit.io.paths import check_output, write_text
    from labelaudit.report import documents, multilabel_view

    if output is not None:
        check_output(output, (".json",), sources.paths())
    inputs = sources.load()
    result = multilabel_health(inputs.labels, inputs.pred_probs)
    document = multilabel_view.health_document(result, inputs.classes)
    checks = gate_health_document(
        document, max_noise_rate=max_noise_rate, max_class_noise_rate=max_class_noise_rate
    )
    if output is not None:
        write_text(documents.to_json(document) + "\n", output)
    return HealthResult(health=result, document=document, checks=checks)
