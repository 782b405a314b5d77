"""Markdown for job summaries that shows operator-supplied text literally.

A summary is read by the reviewer who approves a run and by whoever audits it later,
so a value must appear exactly as it will be used: no Markdown or HTML of its own, no
@mention or URL that GitHub would link, no invisible or direction-changing character.
"""

from __future__ import annotations

import re
import unicodedata

_BACKTICKS = re.compile(r"`+")
_BARE_LINK = re.compile(r":(?=//)|(?<=www)\.", re.IGNORECASE)
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp", "Zs"}


def visible(text: str) -> str:
    """Invisible, format (bidi) and non-ASCII space characters as ``\\uXXXX`` escapes."""
    return "".join(f"\\u{ord(ch):04x}" if ch != " " and unicodedata.category(ch)
                   in _HIDDEN_CATEGORIES else ch for ch in text)


def code(text: str) -> str:
    """A table-safe code span holding ``text`` exactly (code spans render no Markdown,
    HTML, mention or link); the fence is longer than any run of backticks inside."""
    shown = visible(text)
    if shown == "":
        return "*(empty)*"
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(shown)), default=0) + 1)
    # A code span drops one space at each end when both are there: pad to keep them.
    pad = " " if shown[0] in "` " or shown[-1] in "` " else ""
    # GitHub splits table cells on "|" even inside a code span unless it is escaped.
    return f"{fence}{pad}{shown.replace('|', chr(92) + '|')}{pad}{fence}"


def cell(text: str) -> str:
    """Plain table text: line breaks, pipes and Markdown/HTML characters escaped."""
    escaped = visible(text).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    for char in "*_[]<>#!~@":
        escaped = escaped.replace(char, "\\" + char)
    # GitHub links bare URLs: an escaped colon or dot is no longer one.
    escaped = _BARE_LINK.sub(lambda match: "\\" + match.group(0), escaped)
    return " ".join(escaped.split())
