"""The ``labelaudit`` command line: parse options, call io/core, render with report. No math here.

Heavy modules (pandas, pyarrow, scikit-learn) are imported inside the commands that need them so
that ``labelaudit --help`` stays fast in shell pipelines.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

# Typer vendors its own click; its exception classes are only reachable here.
from typer._click import exceptions as click_exceptions
from typer.core import TyperGroup

from labelaudit import __version__
from labelaudit.errors import LabelauditError


class LabelauditGroup(TyperGroup):
    """Click group that turns every failure into the CLI contract's exit codes and messages.

    0 ok, 1 a requested check failed, 2 usage or input error; errors are one or two lines on
    stderr starting with ``Error:``; ``--debug`` re-raises so the traceback is shown.
    """

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:
        extra.pop("standalone_mode", None)
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv
        try:
            result = super().main(argv, prog_name, standalone_mode=False, **extra)
        except typer.Exit as exc:
            sys.exit(exc.exit_code)
        except click_exceptions.NoArgsIsHelpError as exc:
            typer.echo(exc.format_message())
            sys.exit(0)
        except typer.Abort:
            _print_error("aborted.")
            sys.exit(130)
        except click_exceptions.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx is not None else "labelaudit"
            _print_error(exc.format_message(), hint=f"Run '{command} --help' for the options.")
            sys.exit(2)
        except click_exceptions.ClickException as exc:
            _print_error(exc.format_message())
            sys.exit(exc.exit_code)
        except LabelauditError as exc:
            if debug:
                raise
            _print_error(str(exc))
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _print_error("interrupted.")
            sys.exit(130)
        except Exception as exc:  # an unexpected failure still honours the exit-code API
            if debug:
                raise
            _print_error(
                f"{type(exc).__name__}: {exc}",
                hint="This may be a bug in labelaudit; run again with --debug for the traceback.",
            )
            sys.exit(2)
        if isinstance(result, int):
            sys.exit(result)
        return result


def _print_error(message: str, hint: str | None = None) -> None:
    message = message.strip()
    if not message.lower().startswith("error:"):
        message = f"Error: {message}"
    typer.echo(message, err=True)
    if hint:
        typer.echo(hint, err=True)


app = typer.Typer(
    name="labelaudit",
    cls=LabelauditGroup,
    help="Audit the labels of a classification dataset with confident learning.",
    no_args_is_help=True,
    add_completion=False,
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
) -> None:
    """Audit the labels of a classification dataset with confident learning.

    Typical use: labelaudit find-issues --labels y.parquet --probs p.npy
    """


def main() -> None:
    """Console-script entry point."""
    app()
