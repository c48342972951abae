"""The Typer application: the root command, ``--version`` and ``--debug``, and error handling.

Every failure becomes the CLI contract's exit code and message (DESIGN.md section 3): 0 ok,
1 a requested check failed, 2 usage or input error, 130 interrupted; errors are one or two lines
on stderr starting with ``Error:``; ``--debug`` adds the traceback and keeps the exit code.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

import typer
from typer.core import TyperGroup

from labelaudit import __version__
from labelaudit.cli import _click
from labelaudit.errors import LabelauditError


class LabelauditGroup(TyperGroup):
    """Click group that turns every failure into the CLI contract's exit codes and messages."""

    debug = False
    """Set by ``--debug`` (root or command option) while the command line is processed."""

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:
        extra.pop("standalone_mode", None)
        argv = list(sys.argv[1:] if args is None else args)
        self.debug = False
        try:
            result = super().main(argv, prog_name, standalone_mode=False, **extra)
        except BaseException as exc:
            sys.exit(self._exit_code_for(exc))
        if isinstance(result, int):
            sys.exit(result)
        return result

    def _exit_code_for(self, exc: BaseException) -> int:
        """Print what went wrong (and the traceback with --debug); the exit code to use."""
        if isinstance(exc, typer.Exit | SystemExit):
            code = exc.exit_code if isinstance(exc, typer.Exit) else exc.code
            return code if isinstance(code, int) else (0 if code is None else 1)
        if isinstance(exc, _click.NoArgsIsHelpError):
            typer.echo(exc.format_message())
            return 0
        if isinstance(exc, typer.Abort | KeyboardInterrupt):
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
        print_error(
            f"{type(exc).__name__}: {exc}",
            hint="This may be a bug in labelaudit; run again with --debug for the traceback.",
        )
        return 2


def print_error(message: str, hint: str | None = None) -> None:
    """``Error: message`` (and an optional hint line) on stderr."""
    message = message.strip()
    if not message.lower().startswith("error:"):
        message = f"Error: {message}"
    typer.echo(message, err=True)
    if hint:
        typer.echo(hint, err=True)


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
predict is optional: --probs takes any model's out-of-sample probabilities;
score rates every label instead of flagging some.

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


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"labelaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Show the version and exit.",
        callback=_version_callback,
        is_eager=True,
    ),
    debug: bool = typer.Option(
        False,
        "--debug",
        help="Show tracebacks on errors (also accepted after the command).",
        callback=enable_debug,
        is_eager=True,
    ),
) -> None:
    """Audit the labels of a classification dataset with confident learning.

    Typical use: labelaudit find-issues --labels y.parquet --probs p.npy
    """
