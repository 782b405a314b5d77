"""A regular expression matched in bounded time.

A parameter's pattern comes from stack config and may backtrack catastrophically on a
hostile value (``([a-z0-9]+-?)+`` on forty letters and a ``!``), and Python's ``re``
cannot be interrupted: the match runs in a separate interpreter that is stopped after
:data:`PATTERN_SECONDS`.
"""

from __future__ import annotations

import json
import subprocess
import sys

PATTERN_SECONDS = 2.0
# \w, \d and \s match ASCII only: no look-alike letter or digit passes them.
_MATCHER = ("import json, re, sys; pattern, value = json.load(sys.stdin); "
            "print(int(re.fullmatch(pattern, value, re.ASCII) is not None))")


def bounded_full_match(pattern: str, value: str) -> bool:
    """Whether ``value`` matches ``pattern`` as a whole; TimeoutError past the limit,
    ValueError when the match could not be run."""
    try:
        completed = subprocess.run(  # noqa: S603 -- this interpreter, a fixed program
            [sys.executable, "-I", "-c", _MATCHER], input=json.dumps([pattern, value]),
            capture_output=True, text=True, timeout=PATTERN_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise TimeoutError(pattern) from None
    if completed.returncode != 0:
        raise ValueError(completed.stderr.strip().splitlines()[-1:] or pattern)
    return completed.stdout.strip() == "1"
