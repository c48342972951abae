"""typer's vendored click exceptions, which the CLI maps to exit codes, are still where we look.

If this fails after a typer upgrade, update ``labelaudit/cli/_click.py``.
"""

from __future__ import annotations

import typer

from labelaudit.cli import _click


def test_the_vendored_click_exceptions_are_exception_classes() -> None:
    for cls in (_click.ClickException, _click.UsageError, _click.NoArgsIsHelpError):
        assert isinstance(cls, type) and issubclass(cls, Exception)
    assert issubclass(_click.UsageError, _click.ClickException)
    assert issubclass(typer.BadParameter, _click.UsageError)
