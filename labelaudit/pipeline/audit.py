"""The audit use cases: find-issues, score and health, from input paths to result documents.

Each function checks its output path first (a bad ``-o`` fails before any work), loads and
validates the inputs through :mod:`labelaudit.io` once, runs the core with ``assume_valid=True``,
writes its output, and returns JSON-ready documents for the CLI (or any caller) to render.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labelaudit.pipeline.checks import CheckResult, flagged_fraction_check, health_checks

if TYPE_CHECKING:
    import numpy as np

    from labelaudit.core.counting import LabelStats
    from labelaudit.core.health import HealthReport
    from labelaudit.io.inputs import AuditInputs

RELEASE_BYTES = 1 << 30
"""Memory-mapped probabilities larger than this are read with their pages released."""

LABEL_COLUMNS = ("given_label", "predicted_label")
"""Output columns with few distinct values (dictionary-encoded in Parquet)."""


@dataclass(frozen=True)
class AuditSources:
    """Where the labels and probabilities come from, and how to read them.

    Each source is a file, a folder or glob of Parquet files, or ``-`` for stdin (see
    :mod:`labelaudit.io.sources`). *prob_columns* (a glob such as ``'prob_*'``) picks the
    probability columns, read from the labels' table when *probs* is empty.
    """

    labels: Path
    probs: Sequence[Path]
    label_column: str | None = None
    id_column: str | None = None
    classes: str | None = None
    normalize: bool = False
    prob_columns: str | None = None

    def paths(self) -> list[Path]:
        """Every input file path (an output must be none of them); not stdin or patterns."""
        return [p for p in [self.labels, *self.probs] if str(p) != "-"]

    def load(self, *, release_pages: bool = True) -> AuditInputs:
        """Read, validate and class-map the inputs (see :func:`labelaudit.io.load_audit_inputs`)."""
        from labelaudit.io.inputs import load_audit_inputs

        return load_audit_inputs(
            self.labels,
            self.probs,
            label_column=self.label_column,
            id_column=self.id_column,
            classes=self.classes,
            normalize=self.normalize,
            release_pages=release_pages,
            prob_columns=self.prob_columns,
        )


def flag_issues(
    inputs: AuditInputs, *, filter_by: str, frac_noise: float, min_examples_per_class: int
) -> tuple[LabelStats, np.ndarray]:
    """The core's statistics and its issue mask for validated inputs (find-issues, clean).

    Probabilities memory-mapped and larger than :data:`RELEASE_BYTES` have their pages released
    as each pass reads them, so resident memory stays bounded at any N (they are re-read from
    the file cache); smaller ones stay mapped, which is faster.
    """
    from labelaudit.core.counting import compute_label_stats
    from labelaudit.core.filtering import find_label_issues
    from labelaudit.io.npy import page_releaser

    release = None
    if inputs.pred_probs.nbytes > RELEASE_BYTES:
        release = page_releaser(inputs.pred_probs)
    stats = compute_label_stats(
        inputs.labels, inputs.pred_probs, release_rows=release, assume_valid=True
    )
    is_issue = find_label_issues(
        inputs.labels,
        inputs.pred_probs,
        filter_by=filter_by,
        frac_noise=frac_noise,
        min_examples_per_class=min_examples_per_class,
        stats=stats,
        release_rows=release,
    )
    return stats, is_issue


def quality_scores(
    inputs: AuditInputs, stats: LabelStats | None, *, method: str, adjust_pred_probs: bool
) -> np.ndarray:
    """Label quality of every row: the single model's, or the accuracy-weighted ensemble's."""
    from labelaudit.core.ranking import ensemble_label_quality_scores, label_quality_scores
    from labelaudit.io.npy import page_releaser

    if len(inputs.pred_probs_list) > 1:
        return ensemble_label_quality_scores(
            inputs.labels,
            inputs.pred_probs_list,
            method=method,
            adjust_pred_probs=adjust_pred_probs,
            weight_by="accuracy",
            assume_valid=True,
        )
    if method == "self_confidence" and not adjust_pred_probs and stats is not None:
        # p[n, y[n]] in the input dtype: no float64 copy of N scores, and ties rank exactly as
        # they do when the same float32 scores are sorted.
        return stats.self_confidence
    return label_quality_scores(
        inputs.labels,
        inputs.pred_probs,
        method=method,
        adjust_pred_probs=adjust_pred_probs,
        stats=stats,
        release_rows=page_releaser(inputs.pred_probs),
        assume_valid=True,
    )


def _row_facts(inputs: AuditInputs, predicted: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    """What the result rows are built from (no probabilities: the inputs can then be dropped)."""
    return {
        "classes": inputs.classes,
        "labels": inputs.labels,
        "predicted": predicted,
        "scores": scores,
        "ids": inputs.ids,
        "id_column": inputs.id_column,
    }


def _weak_model_warning(stats: LabelStats) -> str | None:
    """The weak-model warning for these probabilities, also raised as a Python warning.

    The CLI prints Python warnings raised by a use case as ``Warning:`` lines on stderr; the
    returned sentence goes into the document's ``warnings``.
    """
    import warnings

    from labelaudit.pipeline.model_quality import probs_accuracy_warning

    message = probs_accuracy_warning(stats.predicted_labels, stats.labels, stats.class_counts)
    if message is not None:
        warnings.warn(message, UserWarning, stacklevel=3)
    return message


def _rows_columns(
    rows: np.ndarray | slice,
    *,
    ids: Any,
    id_column: str | None,
    arrow: bool = False,
    **facts: Any,
) -> Any:
    """:func:`~labelaudit.report.documents.label_rows_columns`, with the ids of *rows* only.

    The ids stay an Arrow array and only the block's own ids are taken. With *arrow* (a Parquet
    output), ids and class names are Arrow arrays, so no Python object is made per row.
    """
    import numpy as np
    import pyarrow as pa

    from labelaudit.report import documents

    classes = facts["classes"]
    named = arrow and not all(isinstance(c, int) for c in classes)
    if named:  # the codes, turned into names by Arrow below
        facts = {**facts, "classes": list(range(len(classes)))}
    columns = documents.label_rows_columns(rows, **facts)
    if named:
        names = pa.array([str(c) for c in classes], pa.string())
        for key in ("given_label", "predicted_label"):
            codes = pa.array(columns[key].astype(np.int32))
            columns[key] = pa.DictionaryArray.from_arrays(codes, names).cast(pa.string())
    if ids is None or id_column is None:
        return columns
    if isinstance(rows, slice):
        block = ids.slice(rows.start, rows.stop - rows.start)
    else:
        block = ids.take(pa.array(np.asarray(rows, dtype=np.int64)))
    if arrow:
        values: Any = block.combine_chunks()
    elif block.null_count == 0 and pa.types.is_integer(block.type):
        values = block.to_numpy()
    else:
        values = np.asarray(block.to_pylist(), dtype=object)
    return {"row": columns.pop("row"), id_column: values, **columns}


def _rows_records(rows: np.ndarray, **facts: Any) -> list[dict[str, Any]]:
    """:func:`_rows_columns` as JSON-ready dicts, one per row (for the few rows shown)."""
    from labelaudit.report import documents

    columns = _rows_columns(rows, **facts)
    names = list(columns)
    values = [columns[name].tolist() for name in names]
    return [
        documents.plain(dict(zip(names, record, strict=True)))
        for record in zip(*values, strict=True)
    ]


def find_issues(
    sources: AuditSources,
    *,
    filter_by: str = "prune_by_noise_rate",
    rank_by: str = "self_confidence",
    frac_noise: float = 1.0,
    min_examples_per_class: int = 1,
    output: Path | None = None,
    all_rows: bool = False,
    top: int = 10,
    fail_above: float | None = None,
    csv_safe: bool = False,
) -> tuple[dict[str, Any], CheckResult]:
    """Flag the label issues, rank them, write ``output``; the document and the gate's result.

    The document's ``issues`` are the *top* most likely errors (lowest *rank_by* score first).
    """
    import numpy as np

    from labelaudit.core.ranking import order_label_issues
    from labelaudit.io.paths import check_output
    from labelaudit.io.tables import TABLE_SUFFIXES, write_rows
    from labelaudit.report import documents

    if output is not None:
        check_output(output, TABLE_SUFFIXES, sources.paths())
    inputs = sources.load(release_pages=False)  # pruning re-reads every row
    stats, is_issue = flag_issues(
        inputs,
        filter_by=filter_by,
        frac_noise=frac_noise,
        min_examples_per_class=min_examples_per_class,
    )
    scores = quality_scores(inputs, stats, method=rank_by, adjust_pred_probs=False)
    warning = _weak_model_warning(stats)
    n_examples, n_classes = inputs.n_examples, inputs.n_classes
    per_class = documents.flagged_by_class(
        inputs.classes,
        stats.class_counts,
        np.bincount(inputs.labels[is_issue], minlength=n_classes),
    )
    row_facts = _row_facts(inputs, stats.predicted_labels, scores)
    # The rest (ranking too) needs no probabilities: dropping them unmaps a memory-mapped --probs
    # file, or frees a table's, which keeps peak memory near one copy of the input.
    del inputs, stats
    ranked = order_label_issues(is_issue, scores)
    arrow = output is not None and output.suffix.lower() in (".parquet", ".pq")
    if output is not None:
        write_rows(
            output,
            n_examples if all_rows else ranked,
            lambda rows: _rows_columns(rows, is_label_issue=is_issue, arrow=arrow, **row_facts),
            dictionary_columns=LABEL_COLUMNS,
            csv_safe=csv_safe,
        )
    checks = flagged_fraction_check(ranked.shape[0] / n_examples, fail_above)
    document = documents.find_issues_document(
        _rows_records(ranked[:top], **row_facts),
        n_examples=n_examples,
        n_classes=n_classes,
        n_label_issues=int(ranked.shape[0]),
        filter_by=filter_by,
        rank_by=rank_by,
        output=None if output is None else str(output),
        fail_above=fail_above,
        warnings=[warning] if warning else [],
        classes=per_class,
    )
    return document, checks


def score_labels(
    sources: AuditSources,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    output: Path | None = None,
    top: int = 10,
    csv_safe: bool = False,
) -> dict[str, Any]:
    """Score every label, write ``output`` (every row, input order); the ``score`` document."""
    from labelaudit.core.counting import compute_label_stats, predicted_labels
    from labelaudit.core.ranking import lowest_scores
    from labelaudit.errors import InputError
    from labelaudit.io.npy import page_releaser
    from labelaudit.io.paths import check_output
    from labelaudit.io.tables import TABLE_SUFFIXES, write_rows
    from labelaudit.report import documents

    if adjust_pred_probs and method == "confidence_weighted_entropy":
        raise InputError(
            "--adjust-pred-probs cannot be combined with --method confidence_weighted_entropy."
        )
    if output is not None:
        check_output(output, TABLE_SUFFIXES, sources.paths())
    inputs = sources.load()
    # The thresholds (and so the confident-joint pass) are only needed to adjust the probs.
    stats = None
    if adjust_pred_probs:
        stats = compute_label_stats(inputs.labels, inputs.pred_probs, assume_valid=True)
    scores = quality_scores(inputs, stats, method=method, adjust_pred_probs=adjust_pred_probs)
    if stats is not None:
        predicted = stats.predicted_labels
    else:
        release = page_releaser(inputs.pred_probs)
        predicted = predicted_labels(inputs.pred_probs, release_rows=release)
    n_examples = inputs.n_examples
    row_facts = _row_facts(inputs, predicted, scores)
    del inputs, stats  # unmaps a memory-mapped --probs file before the output is built
    arrow = output is not None and output.suffix.lower() in (".parquet", ".pq")
    if output is not None:
        write_rows(
            output,
            n_examples,
            lambda rows: _rows_columns(rows, arrow=arrow, **row_facts),
            dictionary_columns=LABEL_COLUMNS,
            csv_safe=csv_safe,
        )
    return documents.score_document(
        _rows_records(lowest_scores(scores, top), **row_facts),
        n_examples=n_examples,
        method=method,
        adjust_pred_probs=adjust_pred_probs,
        scores=scores,
        output=None if output is None else str(output),
    )


#: ``health --json`` and ``-o`` include the K x K noise matrix up to this many classes (and
#: always with ``--all-pairs``); above it the document says why it was left out.
MAX_DOCUMENT_MATRIX_CLASSES = 100


@dataclass(frozen=True)
class HealthResult:
    """health's result: the core's report, the classes, the document and the gates' result.

    ``order`` is the class order of ``--class-order`` (class indices), or ``None``.
    """

    report: HealthReport
    classes: list[Any]
    document: dict[str, Any]
    checks: CheckResult
    order: list[int] | None = None


def resolve_class_order(classes: Sequence[Any], class_order: Sequence[str]) -> list[int]:
    """The class indices in the order ``--class-order`` names them (by the classes' text).

    Raises
    ------
    InputError
        A name that is not a class, a class named twice, or a class left out.
    """
    from labelaudit.errors import InputError, listing

    index = {str(name): k for k, name in enumerate(classes)}
    names = [name.strip() for name in class_order]
    unknown = [name for name in dict.fromkeys(names) if name not in index]
    repeated = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    missing = [str(name) for name in classes if str(name) not in names]
    problems = []
    if unknown:
        problems.append(f"not classes: {listing(unknown)}")
    if repeated:
        problems.append(f"named more than once: {listing(repeated)}")
    if missing:
        problems.append(f"missing: {listing(missing)}")
    if problems:
        raise InputError(
            f"--class-order must name each of the {len(classes):,} classes exactly once; "
            + "; ".join(problems)
            + "."
        )
    return [index[name] for name in names]


FLAGGED_COUNT_LIMIT = 20_000_000
"""health counts find-issues' flagged rows only up to this many probabilities (N x K).

That count needs the pruning pass, which reads every probability a second time: at 10M x 10
float32 it took health's peak RSS from 160 MB to 660 MB (the memory-mapped input, paged back
in, and the pruning temporaries). Past the limit health stays one pass and O(K^2) memory, as
DESIGN.md 3.2 asks; ``--flagged-count`` asks for it anyway."""


def _health_counts(
    inputs: AuditInputs, stats: LabelStats, report: HealthReport, *, flagged_count: bool | None
) -> dict[str, Any]:
    """The three label-issue counts (DESIGN.md 3.2), each from its own core call.

    *flagged_count*: count find-issues' rows (True), don't (False), or only for inputs of at
    most :data:`FLAGGED_COUNT_LIMIT` probabilities (None).
    """
    import warnings

    from labelaudit.core.filtering import find_label_issues
    from labelaudit.report import documents

    n_values = inputs.n_examples * inputs.n_classes
    if flagged_count is None:
        flagged_count = n_values <= FLAGGED_COUNT_LIMIT
    flagged = None
    if flagged_count:
        with warnings.catch_warnings():  # find-issues' warnings (small classes) are not health's
            warnings.simplefilter("ignore")
            mask = find_label_issues(
                inputs.labels, inputs.pred_probs, filter_by="prune_by_noise_rate", stats=stats
            )
        flagged = int(mask.sum())
    return documents.counts_document(
        flagged=flagged,
        filter_by="prune_by_noise_rate",
        estimate=int(report.n_label_issues),
        per_class_sum=sum(int(c.n_label_issues) for c in report.classes),
        limit=FLAGGED_COUNT_LIMIT,
    )


def _noise_matrix_part(
    report: HealthReport, classes: Sequence[Any], order: list[int] | None, *, all_pairs: bool
) -> dict[str, Any]:
    """The document's ``noise_matrix`` up to :data:`MAX_DOCUMENT_MATRIX_CLASSES`, else a note."""
    from labelaudit.report import documents

    omitted = None
    if not all_pairs and report.n_classes > MAX_DOCUMENT_MATRIX_CLASSES:
        omitted = (
            f"{report.n_classes:,} classes is more than {MAX_DOCUMENT_MATRIX_CLASSES} (K x K "
            "numbers); pass --all-pairs to include it"
        )
    return documents.noise_matrix_document(report.noise_matrix, classes, order, omitted=omitted)


def health(
    sources: AuditSources,
    *,
    output: Path | None = None,
    max_noise_rate: float | None = None,
    max_class_noise_rate: float | None = None,
    top: int = 10,
    all_pairs: bool = False,
    class_order: Sequence[str] | None = None,
    flagged_count: bool | None = None,
) -> HealthResult:
    """The dataset's label health; writes the JSON document to ``output`` when given.

    The document lists the *top* overlapping pairs and confusions (every pair, and the noise
    matrix whatever K, with *all_pairs*); *class_order* names every class once and sets the
    order of the noise matrix (and of the human tables). *flagged_count* decides whether the
    ``counts`` include find-issues' flagged rows (default: for inputs up to
    :data:`FLAGGED_COUNT_LIMIT` probabilities).
    """
    from labelaudit.core.counting import compute_label_stats
    from labelaudit.core.health import health_report, top_confusions
    from labelaudit.io.npy import page_releaser
    from labelaudit.io.paths import check_output, write_text
    from labelaudit.report import documents

    if output is not None:
        check_output(output, (".json",), sources.paths())
    inputs = sources.load()
    order = None if class_order is None else resolve_class_order(inputs.classes, class_order)
    release = page_releaser(inputs.pred_probs)
    stats = compute_label_stats(
        inputs.labels, inputs.pred_probs, release_rows=release, assume_valid=True
    )
    report = health_report(
        inputs.labels, inputs.pred_probs, stats=stats, top_pairs=None if all_pairs else top
    )
    counts = _health_counts(inputs, stats, report, flagged_count=flagged_count)
    warning = _weak_model_warning(stats)
    classes = inputs.classes
    del inputs, stats
    document = documents.health_document(
        report,
        classes,
        counts=counts,
        confusions=top_confusions(report.noise_matrix, top),
        noise_matrix=_noise_matrix_part(report, classes, order, all_pairs=all_pairs),
        warnings=[warning] if warning else [],
    )
    checks = health_checks(
        document["noise_rate"],
        [(c["class"], c["label_noise"]) for c in document["classes"]],
        max_noise_rate=max_noise_rate,
        max_class_noise_rate=max_class_noise_rate,
    )
    document["checks"] = checks.document()
    if output is not None:
        write_text(documents.to_json(document) + "\n", output)
    return HealthResult(report, classes, document, checks, order)
