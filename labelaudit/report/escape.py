"""Strings from the data (class names, ids, text) made safe to show, whatever they contain.

Class names, ids and text columns come from the user's files and can hold anything: markup,
terminal escape codes, right-to-left overrides, Markdown table syntax. Every output format shows
them literally; this module holds the rules each format shares:

- :func:`visible`: control and direction-override characters become visible escapes (``\\x1b``),
  so they can neither act on a terminal or a page nor break an XML document (XML 1.0 cannot hold
  them at all, even escaped);
- :func:`markdown_text`: :func:`visible`, then Markdown's and HTML's special characters escaped,
  on one line (GitHub renders inline HTML in Markdown, so ``<`` must not reach it).

HTML escaping itself is Jinja2's autoescape (:mod:`~labelaudit.report.html`).
"""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 controls (but tab and newline, which are text), DEL, and the Unicode characters that
# reorder or hide the text around them (bidi embeddings, overrides and isolates, zero-width
# marks, line/paragraph separators, the BOM).
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_HIDDEN_WITH_NEWLINES = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)
# Markdown punctuation that could start code, emphasis, links or strikethrough, end a table cell,
# or (":") turn a URL in the data into a link.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~:])")


def _escape_char(match: re.Match[str]) -> str:
    """``'\\x1b'`` for ESC, ``'\\u202e'`` for RIGHT-TO-LEFT OVERRIDE: what Python's repr shows."""
    code = ord(match.group())
    if match.group() == "\n":
        return "\\n"
    if match.group() == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: Any, *, one_line: bool = False) -> str:
    """``str(value)`` with every control or hidden character written as a visible escape.

    Parameters
    ----------
    value
        Any value from the data; ``None`` becomes ``''``.
    one_line
        Also escape newlines and tabs (chart labels, XML attributes, table cells).
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    pattern = _HIDDEN_WITH_NEWLINES if one_line else _HIDDEN
    return pattern.sub(_escape_char, text)


def hidden_characters(text: str) -> list[tuple[bool, str]]:
    """Split *text* into ``(is_hidden, piece)`` runs, so a renderer can mark the escapes.

    Hidden pieces are already written as escapes (``'\\x1b'``); the others are plain text.
    """
    pieces: list[tuple[bool, str]] = []
    position = 0
    for match in _HIDDEN.finditer(text):
        if match.start() > position:
            pieces.append((False, text[position : match.start()]))
        pieces.append((True, _escape_char(match)))
        position = match.end()
    if position < len(text):
        pieces.append((False, text[position:]))
    return pieces


def markdown_text(value: Any, *, limit: int | None = 200) -> str:
    """*value* as literal text inside a Markdown table cell (GitHub-flavoured).

    Hidden characters become escapes, newlines too (a cell is one line); Markdown's punctuation
    is backslash-escaped (``|`` would end the cell, backticks open code); ``&``, ``<`` and ``>``
    become entities (GitHub renders inline HTML). Longer than *limit* characters: cut, with ``…``.
    """
    text = visible(value, one_line=True)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
