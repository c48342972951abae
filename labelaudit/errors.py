"""Exceptions that the CLI maps to exit codes (see DESIGN.md, section 3), and message helpers.

Nothing here imports more than the standard library: ``cli/app.py`` uses it on every error.
"""

import errno
import unicodedata


class LabelauditError(Exception):
    """Base class of the errors labelaudit reports without a traceback."""

    exit_code = 2


class InputError(LabelauditError):
    """Bad input or usage: a file, column, row or option value that cannot be used (exit 2)."""

    exit_code = 2


class OutputError(LabelauditError):
    """An output could not be written: full disk, no permission, read-only folder (exit 2).

    Raised by :func:`labelaudit.io.paths.atomic_path`, which has removed the partial file.
    """

    exit_code = 2


class Interrupted(BaseException):
    """The run was interrupted by a signal (SIGINT, SIGTERM, SIGHUP); the CLI exits 130.

    A ``BaseException`` like :class:`KeyboardInterrupt`, so that no ``except Exception``
    swallows it and every ``finally`` and cleanup (the temporary file of an atomic write) runs.
    Not a :class:`KeyboardInterrupt` subclass: typer turns those into a silent exit 130.
    """

    def __init__(self, signal_name: str = "SIGINT") -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


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


_OS_REASONS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.EFBIG: "file too large for the file system",
    errno.ENAMETOOLONG: "file name too long",
    errno.EIO: "input/output error (a failing disk or network file system?)",
    errno.ENOENT: "no such file or folder",
    errno.EISDIR: "is a folder",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EMFILE: "too many open files",
    errno.ENOMEM: "out of memory",
}


def os_reason(exc: OSError) -> str:
    """A plain lower-case reason for an operating-system error, e.g. ``no space left on device``.

    Parameters
    ----------
    exc
        Any :class:`OSError`; one without an errno (such as pyarrow's) gives its first line.
    """
    if exc.errno in _OS_REASONS:
        return _OS_REASONS[exc.errno]
    if exc.errno is not None and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return first_line(exc)


# A stream (a FIFO, /dev/stdin) that is read twice is first copied to a temporary file; the
# messages about it name the stream the user gave, never that copy.
_shown_paths: dict[str, str] = {}


def show_path_as(actual: object, shown: object) -> None:
    """Name *actual* (a temporary copy) as *shown* (what the user gave) in :func:`user_paths`."""
    _shown_paths[str(actual)] = str(shown)


def user_paths(message: str) -> str:
    """*message* with every temporary copy's path replaced by what the user gave."""
    for actual, shown in _shown_paths.items():
        message = message.replace(actual, shown)
    return message


_BIDI_CONTROLS = frozenset(
    chr(code) for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
)


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """*text* with every control character made visible as an escape: the one rule for output.

    ESC becomes ``\\x1b``, carriage return ``\\x0d``, and so on (``\\uXXXX`` above U+00FF):
    control characters (Unicode category Cc), line and paragraph separators and the bidirectional
    overrides that reorder what a terminal shows. Everything else, including ``[`` and ``]``,
    is kept as it is; markup escaping is the renderer's job (see ``report/terminal.py``).

    Parameters
    ----------
    text
        Any string from the data, a path or an error message.
    keep_newlines
        Keep ``\\n`` as a line break (multi-line error messages); escaped otherwise.
    """
    if text.isprintable():  # the common case: nothing to escape
        return text
    out = []
    for char in text:
        if char == "\n" and keep_newlines:
            out.append(char)
        elif _is_hidden(char):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def _is_hidden(char: str) -> bool:
    """Whether *char* would act on the terminal, or be invisible, instead of being shown."""
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS
