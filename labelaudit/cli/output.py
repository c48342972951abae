"""The tail every command shares: progress and warnings while it runs, then one way to emit.

Human output goes to stdout, progress and warnings to stderr; ``--json`` prints exactly one JSON
document; ``--quiet`` prints nothing but errors. A closed stdout (``| head -1``) ends the output
quietly: the command still exits with its own code (0, or 1 when a check failed).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labelaudit.errors import CheckFailed, user_paths

if TYPE_CHECKING:
    from rich.console import Console

    from labelaudit.cli.groups import Display
    from labelaudit.pipeline.checks import CheckResult
    from labelaudit.pipeline.ci import CiOutputs


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
    for text in dict.fromkeys(user_paths(str(w.message)) for w in caught):
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

    try:
        if json_output:
            terminal.print_json(document)
        elif not quiet:
            render(terminal.stdout_console())
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        discard("stdout")  # the reader has gone (| head): the rest of the output has no reader


@dataclass(frozen=True)
class Outcome:
    """What a command's work gives back: its document, how to draw it, its checks (if any)."""

    document: dict[str, Any]
    render: Callable[[Console], None]
    checks: CheckResult | None = None


def perform(
    message: str,
    work: Callable[[], Outcome],
    display: Display,
    *,
    ci: tuple[str, CiOutputs] | None = None,
) -> None:
    """Run *work* under :func:`running`, then write the CI files, emit, and exit 1 on a failure.

    *ci* is the command's name and the ``--junit-xml``/``--markdown`` paths, already checked.
    """
    started = time.perf_counter()
    with running(message, quiet=display.quiet, json_output=display.json_output):
        outcome = work()
    if ci is not None and outcome.checks is not None:
        command, outputs = ci
        seconds = time.perf_counter() - started
        outputs.write(command, outcome.document, outcome.checks, argv=sys.argv, seconds=seconds)
    emit(outcome.document, outcome.render, json_output=display.json_output, quiet=display.quiet)
    if outcome.checks is not None:
        raise_if_failed(outcome.checks)


def discard(name: str) -> None:
    """Send everything still to be written on ``sys.stdout`` or ``sys.stderr`` to the null device.

    After a broken pipe, as the Python documentation recommends (see "Note on SIGPIPE" in the
    :mod:`signal` docs): the file descriptor is pointed at ``os.devnull``, so that flushing the
    stream at exit does not print "Exception ignored ... BrokenPipeError".

    Parameters
    ----------
    name
        ``"stdout"`` or ``"stderr"``.
    """
    stream = getattr(sys, name)
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (e.g. a test runner's buffer)
        setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


def reopen_closed_streams() -> None:
    """Give a closed stdout or stderr (``labelaudit ... >&-``) the null device instead.

    Python sets ``sys.stdout`` to None when file descriptor 1 is closed at start; writing would
    raise AttributeError, and the next file opened would take descriptor 1.
    """
    for fd, name in ((1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is not None:
            continue
        null = os.open(os.devnull, os.O_WRONLY)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
        setattr(sys, name, open(fd, "w", encoding="utf-8", closefd=False))


def raise_if_failed(checks: CheckResult) -> None:
    """Exit 1 (:class:`CheckFailed`) with the failures when a requested check did not pass."""
    if not checks.passed:
        raise CheckFailed(checks.message())
