"""The one place labelaudit reaches into typer's vendored click.

typer vendors click as ``typer._click``, a private module; its exception classes are needed to
map usage errors to exit code 2. ``tests/cli/test_click_adapter.py`` fails loudly if a typer
release moves them.
"""

from __future__ import annotations

from typer._click import exceptions as _exceptions

ClickException = _exceptions.ClickException
UsageError = _exceptions.UsageError
NoArgsIsHelpError = _exceptions.NoArgsIsHelpError

__all__ = ["ClickException", "NoArgsIsHelpError", "UsageError"]
