"""Exact checks of error messages: the whole message, not a fragment of it.

``…`` in an expected message stands for words labelaudit quotes from a library (numpy, pandas,
pyarrow, scikit-learn, the json module), which a new version of it may put differently.
"""

from __future__ import annotations

import re


def _pattern(expected: str) -> str:
    return ".+".join(re.escape(part) for part in expected.split("…"))


def whole(expected: str) -> str:
    """A ``pytest.raises(match=...)`` pattern that only the whole of *expected* matches."""
    return rf"\A{_pattern(expected)}\Z"


def is_whole_error(stderr: str, expected: str) -> bool:
    """Whether *stderr* is exactly *expected* and a newline."""
    return re.fullmatch(_pattern(expected) + "\n", stderr) is not None
