"""The Typer application: the root command, ``--version`` and ``--debug``, and error handling.

Every failure becomes the CLI contract's exit code and message (DESIGN.md section 3): 0 ok,
1 a requested check failed, 2 usage or input error, 130 interrupted; errors are one or two lines
on stderr starting with ``Error:``; ``--debug`` adds the traceback and keeps the exit code.

Also the run's environment: SIGTERM and SIGHUP interrupt the run like Ctrl-C (the temporary file
of an atomic write is removed, ``Error: interrupted.``, exit 130); a broken pipe on stdout ends
quietly; an operating-system failure (full disk, permission, read-only folder) is one plain
``Error:`` line with exit 2; and no float option accepts NaN or infinity.
"""

from __future__ import annotations

import contextlib
import errno
import math
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from labelaudit import __version__
from labelaudit.cli import _click
from labelaudit.errors import (
    Interrupted,
    LabelauditError,
    first_line,
    os_reason,
    printable,
    user_paths,
)


class LabelauditGroup(TyperGroup):
    """Click group that turns every failure into the CLI contract's exit codes and messages."""

    debug = False
    """Set by ``--debug`` (root or command option) while the command line is processed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            for param in command.params:
                _refuse_non_finite(param)

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:
        from labelaudit.cli.output import reopen_closed_streams

        extra.pop("standalone_mode", None)
        argv = list(sys.argv[1:] if args is None else args)
        self.debug = False
        reopen_closed_streams()
        try:
            with _signals_interrupt():
                result = super().main(argv, prog_name, standalone_mode=False, **extra)
        except BaseException as exc:
            sys.exit(self._exit_code_for(exc))
        if isinstance(result, int):
            sys.exit(result)
        return result

    def invoke(self, ctx: typer.Context) -> Any:
        """Run the command; Ctrl-C becomes :class:`Interrupted`, a broken pipe a quiet end.

        Both are caught here because typer would turn them into silent exits (130, and 1 which
        means "a check failed").
        """
        from labelaudit.cli.output import discard

        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            raise Interrupted("SIGINT") from exc
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            # Output only comes once the work is done, so the work was done: exit 0, quietly.
            discard("stdout")
            discard("stderr")
            return None

    def _exit_code_for(self, exc: BaseException) -> int:
        """Print what went wrong (and the traceback with --debug); the exit code to use."""
        if isinstance(exc, typer.Exit | SystemExit):
            code = exc.exit_code if isinstance(exc, typer.Exit) else exc.code
            return code if isinstance(code, int) else (0 if code is None else 1)
        if isinstance(exc, _click.NoArgsIsHelpError):
            typer.echo(exc.format_message())
            return 0
        if isinstance(exc, typer.Abort | KeyboardInterrupt | Interrupted):
            print_error("interrupted.")
            return 130
        if isinstance(exc, _click.UsageError):
            command = exc.ctx.command_path if exc.ctx is not None else "labelaudit"
            print_error(exc.format_message(), hint=f"Run '{command} --help' for the options.")
            return 2
        if isinstance(exc, _click.ClickException):
            print_error(exc.format_message())
            return exc.exit_code
        if self.debug:
            traceback.print_exception(exc)
        if isinstance(exc, LabelauditError):
            print_error(str(exc))
            return exc.exit_code
        if not isinstance(exc, Exception):
            raise exc
        if isinstance(exc, OSError) and exc.errno is not None:  # the environment, not a bug
            where = f"{exc.filename}: " if exc.filename else ""
            print_error(f"{where}{os_reason(exc)}.")
            return 2
        if isinstance(exc, MemoryError):
            print_error(f"out of memory ({first_line(exc)}); the inputs are too large to process.")
            return 2
        print_error(
            f"{type(exc).__name__}: {exc}",
            hint="This may be a bug in labelaudit; run again with --debug for the traceback.",
        )
        return 2


def print_error(message: str, hint: str | None = None) -> None:
    """``Error: message`` (and an optional hint line) on stderr, control characters made visible.

    A message may quote data (a class name with an ESC in it): it is shown, never obeyed.
    """
    from labelaudit.cli.output import discard

    message = printable(user_paths(message.strip()), keep_newlines=True)
    if not message.lower().startswith("error:"):
        message = f"Error: {message}"
    try:
        typer.echo(message, err=True)
        if hint:
            typer.echo(printable(hint), err=True)
    except OSError as exc:  # stderr is a closed pipe: nobody to tell
        if exc.errno != errno.EPIPE:
            raise
        discard("stderr")


_INTERRUPTING = tuple(
    sig for sig in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if sig
)
"""Signals that interrupt a run like Ctrl-C (SIGINT is Python's KeyboardInterrupt already)."""


def _raise_interrupted(signum: int, frame: Any) -> None:
    """Signal handler: end the run through :class:`Interrupted`, so that cleanups run."""
    for sig in _INTERRUPTING:  # a second signal must not interrupt the cleanup of the first
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signal.Signals(signum).name)


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Handle SIGTERM and SIGHUP like Ctrl-C while the block runs; the old handlers after it.

    A signal that is ignored (``nohup``) or already handled (an embedding program) is left alone.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    installed = {}
    for sig in _INTERRUPTING:
        if signal.getsignal(sig) is signal.SIG_DFL:
            installed[sig] = signal.signal(sig, _raise_interrupted)
    try:
        yield
    finally:
        for sig, previous in installed.items():
            signal.signal(sig, previous)


def _refuse_non_finite(param: Any) -> None:
    """Make a float option refuse ``nan``, ``inf`` and ``-inf`` (``--max-noise-rate nan``).

    Python's float() accepts them and every range check compares False with NaN, so a NaN
    threshold would turn a CI gate off. Applied to every float option of every command, before
    the option's own callback (e.g. ``--frac-noise``'s range check).
    """
    if getattr(param.type, "name", None) not in ("float", "float range"):
        return
    original = param.callback
    low, high = getattr(param.type, "min", None), getattr(param.type, "max", None)
    expected = f"a number in [{low:g}, {high:g}]" if low is not None and high is not None else ""

    def callback(ctx: Any, option: Any, value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            hint = f"; give {expected}" if expected else ""
            raise typer.BadParameter(f"{value} is not a finite number{hint}.")
        return original(ctx, option, value) if original is not None else value

    param.callback = callback


def enable_debug(ctx: typer.Context, value: bool) -> bool:
    """Option callback for ``--debug``: tracebacks on errors, for the whole run."""
    if value:
        root = ctx.find_root().command
        if isinstance(root, LabelauditGroup):
            root.debug = True
    return value


# Rendered with rich markup: single newlines are kept, so every line is written as shown and
# kept within 78 characters (80 columns, less the margins); tests/cli/test_help.py checks both,
# and that every command is named here.
HELP = """\
Audit the labels of a classification dataset with confident learning.

The workflow, each step reading the files of the one before:
  labelaudit predict data.csv --label-column label -o probs.csv
  labelaudit find-issues --labels data.csv --probs probs.csv -o issues.csv
  labelaudit health --labels data.csv --probs probs.csv --max-noise-rate 0.1
  labelaudit clean data.csv --issues issues.csv -o clean.csv
  labelaudit report --labels data.csv --probs probs.csv -o report.html
predict is optional: --probs takes any model's out-of-sample probabilities;
score rates every label instead of flagging some; evaluate measures the audit
on this data (injected noise) and whether cleaning helps a model.

Exit codes:
  0    ok
  1    a requested check failed (--fail-above, --max-noise-rate, ...)
  2    usage or input error
  130  interrupted

'labelaudit COMMAND --help' shows a command's options (find-issues: filters).
"""

app = typer.Typer(
    name="labelaudit",
    cls=LabelauditGroup,
    help=HELP,
    no_args_is_help=True,
    # --install-completion and --show-completion: no measurable cost to `labelaudit --help`
    # (typer imports its completion module either way).
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def eager_flag(flag: str, help_text: str, callback: Callable[..., Any]) -> Any:
    """A ``bool`` flag handled by *callback* as soon as it is parsed, before any other option."""
    return typer.Option(flag, help=help_text, callback=callback, is_eager=True)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"labelaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, eager_flag("--version", "Show the version and exit.", _version_callback)
    ] = False,
    debug: Annotated[
        bool,
        eager_flag(
            "--debug", "Show tracebacks on errors (also accepted after the command).", enable_debug
        ),
    ] = False,
) -> None:
    """Audit the labels of a classification dataset with confident learning.

    Typical use: labelaudit find-issues --labels y.parquet --probs p.npy
    """
