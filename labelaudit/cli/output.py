"""The tail every command shares: progress and warnings while it runs, then one way to emit.

Human output goes to stdout, progress and warnings to stderr; ``--json`` prints exactly one JSON
document; ``--quiet`` prints nothing but errors.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from labelaudit.errors import CheckFailed

if TYPE_CHECKING:
    from rich.console import Console

    from labelaudit.pipeline.checks import CheckResult


@contextlib.contextmanager
def running(message: str, *, quiet: bool, json_output: bool) -> Iterator[None]:
    """A spinner with *message* on a terminal's stderr, and the core's warnings after the block.

    Python warnings raised inside are printed once each as ``Warning:`` lines (unless *quiet*).
    """
    from labelaudit.report import terminal

    with (
        warnings.catch_warnings(record=True) as caught,
        terminal.progress(message, enabled=not quiet and not json_output),
    ):
        warnings.simplefilter("always")
        yield
    for text in dict.fromkeys(str(w.message) for w in caught):
        terminal.warn(text, quiet=quiet)


def emit(
    document: dict[str, Any],
    render: Callable[[Console], None],
    *,
    json_output: bool,
    quiet: bool,
) -> None:
    """Print *document* as JSON, or draw it with *render* on stdout (nothing when *quiet*)."""
    from labelaudit.report import terminal

    if json_output:
        terminal.print_json(document)
    elif not quiet:
        render(terminal.stdout_console())


def raise_if_failed(checks: CheckResult) -> None:
    """Exit 1 (:class:`CheckFailed`) with the failures when a requested check did not pass."""
    if not checks.passed:
        raise CheckFailed(checks.message())
