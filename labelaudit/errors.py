"""Exceptions that the CLI maps to exit codes (see DESIGN.md, section 3), and message helpers."""


class LabelauditError(Exception):
    """Base class of the errors labelaudit reports without a traceback."""

    exit_code = 2


class InputError(LabelauditError):
    """Bad input or usage: a file, column, row or option value that cannot be used (exit 2)."""

    exit_code = 2


class CheckFailed(LabelauditError):
    """A check the user asked for did not pass, e.g. ``--fail-above`` (exit 1)."""

    exit_code = 1


MAX_LISTED = 12
"""Names listed in one error message before the rest are counted (``…, (N more)``)."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its class name when the message is empty)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def listing(names: object) -> str:
    """Quoted names for an error message, the first :data:`MAX_LISTED` and a count of the rest."""
    names = list(names)  # type: ignore[call-overload]
    shown = ", ".join(repr(str(name)) for name in names[:MAX_LISTED])
    more = len(names) - MAX_LISTED
    return f"{shown}, … ({more} more)" if more > 0 else shown
