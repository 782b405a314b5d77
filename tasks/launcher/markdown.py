"""Markdown for job summaries that shows operator-supplied text literally.

A summary is read by the reviewer who approves a run and by whoever audits it later,
so a value must appear exactly as it will be used: no Markdown or HTML of its own, no
@mention or URL that GitHub would link, no invisible or direction-changing character,
and no character that could pass for another without a reader being told.
"""

from __future__ import annotations

import re
import unicodedata

_BACKTICKS = re.compile(r"`+")
# Characters a reader cannot see, or cannot tell from a space: control, format (bidi),
# private, unassigned, separators, combining marks, and letters that render as blank.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp", "Zs", "Mn", "Me"}
_BLANK_LETTERS = {"\u115f", "\u1160", "\u2800", "\u3164", "\uffa0"}


def _hidden(ch: str) -> bool:
    return ch != " " and (unicodedata.category(ch) in _HIDDEN_CATEGORIES or ch in _BLANK_LETTERS)


def _escape(ch: str) -> str:
    return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"


def visible(text: str) -> str:
    """Hidden characters as ``\\uXXXX``; when anything is escaped, a backslash is too, so
    an escape in the output is never mistaken for text that looked like one."""
    if not any(map(_hidden, text)):
        return text
    return "".join("\\\\" if ch == "\\" else _escape(ch) if _hidden(ch) else ch for ch in text)


def ascii_escaped(text: str) -> str:
    """Every non-ASCII character as an escape (backslashes doubled): unambiguous."""
    return "".join("\\\\" if ch == "\\" else ch if " " <= ch <= "~" else _escape(ch)
                   for ch in text)


def _span(shown: str) -> str:
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(shown)), default=0) + 1)
    # A code span drops one space at each end when both are there: pad to keep them.
    pad = " " if shown[0] in "` " or shown[-1] in "` " else ""
    # GitHub splits table cells on "|" even inside a code span unless it is escaped.
    return f"{fence}{pad}{shown.replace('|', chr(92) + '|')}{pad}{fence}"


def code(text: str) -> str:
    """A table-safe code span holding ``text`` exactly (code spans render no Markdown,
    HTML, entity, mention or link). Text with any non-ASCII character is followed by its
    escaped form, so a look-alike letter (a Cyrillic one for a Latin one) cannot pass."""
    if text == "":
        return "*(empty)*"
    shown = _span(visible(text))
    if text.isascii():
        return shown
    return f"{shown} (non-ASCII; as escapes: {_span(ascii_escaped(text))})"
