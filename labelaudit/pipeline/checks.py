"""Gates: the pass/fail policy of every command's checks, in one place.

A check compares a measured fraction with a threshold the user gave (``--fail-above``,
``--max-noise-rate``, ``--max-class-noise-rate``); it fails when the value is above the
threshold. Commands return the result in their documents, and the CLI exits 1 when it failed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from labelaudit.report.documents import percent


@dataclass(frozen=True)
class CheckFailure:
    """One failed check: which, the measured value, the threshold and a sentence saying so."""

    check: str
    value: float
    threshold: float
    message: str
    subject: Any = None


@dataclass(frozen=True)
class CheckResult:
    """The thresholds that were set and the checks that failed."""

    thresholds: dict[str, float | None]
    failures: list[CheckFailure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every requested check passed (or none was requested)."""
        return not self.failures

    @property
    def requested(self) -> bool:
        """Whether any threshold was given."""
        return any(value is not None for value in self.thresholds.values())

    def message(self) -> str:
        """The failures as one sentence for the ``Error:`` line."""
        return "; ".join(failure.message for failure in self.failures) + "."

    def document(self) -> dict[str, Any]:
        """JSON-ready: the thresholds, ``passed`` and every failure with value and threshold."""
        return {
            **self.thresholds,
            "passed": self.passed,
            "failures": [
                {
                    "check": f.check,
                    "value": f.value,
                    "threshold": f.threshold,
                    "class": f.subject,
                    "message": f.message,
                }
                for f in self.failures
            ],
        }


def _above(
    check: str, value: float, threshold: float | None, message: Callable[[], str]
) -> list[CheckFailure]:
    """The failure of *check* when *value* is above *threshold*, else none (None never fails).

    *message* is called only for a failure: its sentence formats the threshold.
    """
    if threshold is None or not value > threshold:
        return []
    return [CheckFailure(check, value, threshold, message())]


def flagged_fraction_check(fraction: float, fail_above: float | None) -> CheckResult:
    """find-issues' gate: the fraction of rows flagged, against ``--fail-above``."""
    failures = _above(
        "fail_above",
        fraction,
        fail_above,
        lambda: (
            f"{percent(fraction)} of rows are flagged as label issues, above --fail-above "
            f"{fail_above:g}"
        ),
    )
    return CheckResult({"fail_above": fail_above}, failures)


def health_checks(
    noise_rate: float,
    class_noise: Sequence[tuple[Any, float]],
    *,
    max_noise_rate: float | None,
    max_class_noise_rate: float | None,
) -> CheckResult:
    """health's gates: the estimated noise rate, and every class's label noise.

    Parameters
    ----------
    class_noise
        ``(class, label_noise)`` of every class; the worst one above the threshold is named.
    """
    failures = _above(
        "max_noise_rate",
        noise_rate,
        max_noise_rate,
        lambda: f"noise rate {percent(noise_rate)} is above --max-noise-rate {max_noise_rate:g}",
    )
    if max_class_noise_rate is not None:
        noisy = [(name, noise) for name, noise in class_noise if noise > max_class_noise_rate]
        if noisy:
            name, noise = max(noisy, key=lambda item: item[1])
            others = f" (and {len(noisy) - 1} more classes)" if len(noisy) > 1 else ""
            failures.append(
                CheckFailure(
                    "max_class_noise_rate",
                    noise,
                    max_class_noise_rate,
                    f"class {str(name)!r} has label noise {percent(noise)}{others}, above "
                    f"--max-class-noise-rate {max_class_noise_rate:g}",
                    subject=name,
                )
            )
    thresholds = {"max_noise_rate": max_noise_rate, "max_class_noise_rate": max_class_noise_rate}
    return CheckResult(thresholds, failures)
