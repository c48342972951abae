"""The options the audit use cases share, one frozen object per concern.

The CLI (or any caller) builds them once and passes the same objects to the local engine
(:mod:`~labelaudit.pipeline.audit`, :mod:`~labelaudit.pipeline.health`,
:mod:`~labelaudit.pipeline.report`), the Dask engine (:mod:`~labelaudit.pipeline.dask_audit`,
:mod:`~labelaudit.pipeline.dask_report`), the multi-label use cases and clean, so their
signatures do not repeat each other's parameter lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelaudit.errors import InputError


@dataclass(frozen=True)
class IssueOptions:
    """find-issues' selection and ranking options (clean and the report flag the same rows).

    The field names and order are the report document's ``options`` keys.
    """

    filter_by: str = "prune_by_noise_rate"
    rank_by: str = "self_confidence"
    frac_noise: float = 1.0
    min_examples_per_class: int = 1

    def filtering(self) -> dict[str, Any]:
        """The core filter's keyword arguments: ``filter_by``, ``frac_noise`` and
        ``min_examples_per_class``."""
        return {
            "filter_by": self.filter_by,
            "frac_noise": self.frac_noise,
            "min_examples_per_class": self.min_examples_per_class,
        }


@dataclass(frozen=True)
class ScoreOptions:
    """score's options: the label-quality *method*, and whether the probabilities are adjusted
    by the per-class thresholds first."""

    method: str = "self_confidence"
    adjust_pred_probs: bool = False

    def check(self) -> None:
        """Refuse *adjust_pred_probs* with ``confidence_weighted_entropy``."""
        if self.adjust_pred_probs and self.method == "confidence_weighted_entropy":
            raise InputError(
                "--adjust-pred-probs cannot be combined with --method confidence_weighted_entropy."
            )


@dataclass(frozen=True)
class ResultOptions:
    """What find-issues and score write and show: the rows *output* (``-o``), every row there
    (*all_rows*, find-issues), the *top* rows in the document, the ``--fail-above`` gate
    (find-issues) and ``--csv-safe`` (local single-label engine)."""

    output: Path | None = None
    top: int = 10
    all_rows: bool = False
    fail_above: float | None = None
    csv_safe: bool = False


@dataclass(frozen=True)
class HealthOptions:
    """health's options: the JSON *output*, the gates, the *top* pairs listed (every pair with
    *all_pairs*), the ``--class-order`` names and ``--flagged-count`` (None: by input size)."""

    output: Path | None = None
    max_noise_rate: float | None = None
    max_class_noise_rate: float | None = None
    top: int = 10
    all_pairs: bool = False
    class_order: Sequence[str] | None = None
    flagged_count: bool | None = None


@dataclass(frozen=True)
class ReportOptions:
    """The report's options: the HTML *output*, DATA and its *text_column* (local engine), the
    *top* flagged rows listed, the *issues* options and the command line (*argv*)."""

    output: Path
    data: Path | None = None
    text_column: str | None = None
    top: int = 50
    issues: IssueOptions = field(default_factory=IssueOptions)
    argv: Sequence[str] = ()


@dataclass(frozen=True)
class CleanOptions:
    """clean's options: *action* (``remove`` or ``relabel``), DATA's *label_column*, the
    *issues* options of the audit (when it runs one), and relabel's *keep_original* and
    *min_confidence* (single-label only)."""

    action: str = "remove"
    label_column: str | None = None
    issues: IssueOptions = field(default_factory=IssueOptions)
    keep_original: str | None = None
    min_confidence: float | None = None
