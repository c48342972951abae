"""The health use case: the dataset's label health, its gates, and its JSON document.

Like the other audit use cases (:mod:`labelaudit.pipeline.audit`), it checks its output path
first, loads and validates the inputs once, runs the core with ``assume_valid=True``, and
returns a JSON-ready document for the CLI (or any caller) to render.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labelaudit.pipeline import health_limits as limits
from labelaudit.pipeline.audit import AuditSources, _weak_model_warning
from labelaudit.pipeline.checks import CheckResult, gate_health_document
from labelaudit.pipeline.options import HealthOptions

if TYPE_CHECKING:
    from labelaudit.core.counting import LabelStats
    from labelaudit.core.health import HealthReport
    from labelaudit.io.inputs import AuditInputs


#: ``health --json`` and ``-o`` include the K x K noise matrix up to this many classes (with
#: ``--all-pairs`` up to ``health_limits.MAX_ALL_PAIRS_CLASSES``); else the document says why.
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
    """The three label-issue counts (DESIGN.md 3.2), each from its own core call."""
    import warnings

    from labelaudit.core.filtering import find_label_issues

    flagged = None
    if counts_flagged(inputs.n_examples, inputs.n_classes, flagged_count):
        with warnings.catch_warnings():  # find-issues' warnings (small classes) are not health's
            warnings.simplefilter("ignore")
            mask = find_label_issues(
                inputs.labels, inputs.pred_probs, filter_by="prune_by_noise_rate", stats=stats
            )
        flagged = int(mask.sum())
    return health_counts(report, flagged)


def counts_flagged(n_examples: int, n_classes: int, flagged_count: bool | None) -> bool:
    """Whether health counts find-issues' flagged rows: *flagged_count* (``--flagged-count``),
    or when ``None`` only for inputs of at most :data:`FLAGGED_COUNT_LIMIT` probabilities."""
    if flagged_count is None:
        return n_examples * n_classes <= FLAGGED_COUNT_LIMIT
    return flagged_count


def health_counts(report: HealthReport, flagged: int | None) -> dict[str, Any]:
    """health's ``counts``: *flagged* (find-issues' default filter, or None) and the estimates."""
    from labelaudit.report import documents

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

    omitted = limits.matrix_omitted(report.n_classes, all_pairs, MAX_DOCUMENT_MATRIX_CLASSES)
    return documents.noise_matrix_document(report.noise_matrix, classes, order, omitted=omitted)


def _stats_and_report(
    inputs: AuditInputs, *, top_pairs: int | None, skip_zeros: bool
) -> tuple[LabelStats, HealthReport]:
    """The core's statistics (one pass, pages released as read) and health report of *inputs*."""
    from labelaudit.core.counting import compute_label_stats
    from labelaudit.core.health import health_report
    from labelaudit.io.npy import page_releaser

    labels, probs = inputs.labels, inputs.pred_probs
    release = page_releaser(probs)
    stats = compute_label_stats(labels, probs, release_rows=release, assume_valid=True)
    report = health_report(
        labels, probs, stats=stats, top_pairs=top_pairs, skip_zero_pairs=skip_zeros
    )
    return stats, report


def health(sources: AuditSources, options: HealthOptions | None = None) -> HealthResult:
    """The dataset's label health; writes the JSON document to ``options.output`` when given.

    The document lists the ``options.top`` overlapping pairs and confusions (every pair, and
    the noise matrix whatever K, with ``all_pairs``); ``class_order`` names every class once
    and sets the order of the noise matrix (and of the human tables). ``flagged_count`` decides
    whether the ``counts`` include find-issues' flagged rows (default: for inputs up to
    :data:`FLAGGED_COUNT_LIMIT` probabilities).
    """
    from labelaudit.io.paths import check_output

    options = options or HealthOptions()
    if options.output is not None:
        check_output(options.output, (".json",), sources.paths())
    inputs = sources.load()
    order = None
    if options.class_order is not None:
        order = resolve_class_order(inputs.classes, options.class_order)
    skip_zeros = limits.skip_zero_pairs(inputs.n_classes, options.all_pairs)
    top_pairs = None if options.all_pairs else options.top
    stats, report = _stats_and_report(inputs, top_pairs=top_pairs, skip_zeros=skip_zeros)
    counts = _health_counts(inputs, stats, report, flagged_count=options.flagged_count)
    warning = _weak_model_warning(stats)
    classes = inputs.classes
    del inputs, stats
    return health_result(report, classes, options, counts=counts, warning=warning, order=order)


def health_result(
    report: HealthReport,
    classes: list[Any],
    options: HealthOptions,
    *,
    counts: dict[str, Any],
    warning: str | None,
    order: list[int] | None,
) -> HealthResult:
    """health's document, gates (max noise rate, max class noise rate) and ``-o`` file, from
    the core's report (either engine)."""
    from labelaudit.core.health import top_confusions
    from labelaudit.io.paths import write_text
    from labelaudit.report import documents

    all_pairs, output = options.all_pairs, options.output
    document = documents.health_document(
        report,
        classes,
        counts=counts,
        confusions=top_confusions(report.noise_matrix, options.top),
        noise_matrix=_noise_matrix_part(report, classes, order, all_pairs=all_pairs),
        warnings=[warning] if warning else [],
    )
    checks = gate_health_document(
        document,
        max_noise_rate=options.max_noise_rate,
        max_class_noise_rate=options.max_class_noise_rate,
    )
    if limits.skip_zero_pairs(report.n_classes, all_pairs):
        document["overlapping_classes_omitted"] = limits.zero_pairs_note(report.n_classes)
    if output is not None:
        write_text(documents.to_json(document) + "\n", output)
    return HealthResult(report, classes, document, checks, order)
