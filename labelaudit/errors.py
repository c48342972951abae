"""Exceptions that the CLI maps to exit codes (see DESIGN.md, section 3)."""


class LabelauditError(Exception):
    """Base class of the errors labelaudit reports without a traceback."""

    exit_code = 2


class InputError(LabelauditError):
    """Bad input or usage: a file, column, row or option value that cannot be used (exit 2)."""

    exit_code = 2


class CheckFailed(LabelauditError):
    """A check the user asked for did not pass, e.g. ``--fail-above`` (exit 1)."""

    exit_code = 1
