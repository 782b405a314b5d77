"""What the operator reads: timestamped launcher lines and the container's own lines."""

from __future__ import annotations

import secrets
import threading
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

from tasks.launcher.clock import Clock, timestamp


class Printer:
    """Writes and flushes every line at once: GitHub shows a job's output as it comes."""

    def __init__(self, out: TextIO, clock: Clock) -> None:
        self._out, self._clock = out, clock
        self._lock = threading.Lock()  # a tenant run follows its tasks in threads

    def status(self, text: str) -> None:
        self.line(f"{timestamp(self._clock.now())} {text}")

    def container_line(self, text: str) -> None:
        """A line the task wrote (or ECS reported for it): shown with every control and
        format character escaped, so it cannot move the cursor, recolour or hide the job
        log, or reorder what a reviewer reads (ESC, CR, bidi overrides)."""
        self.line(escape_controls(text))

    def line(self, text: str) -> None:
        """Write ``text`` as it is; what the stream cannot encode (a container's lone
        surrogate, say) is written as a backslash escape instead of failing."""
        encoding = getattr(self._out, "encoding", None) or "utf-8"
        safe = text.encode(encoding, "backslashreplace").decode(encoding)
        with self._lock:
            self._out.write(safe + "\n")
            self._out.flush()


def escape_controls(text: str) -> str:
    """``text`` with each character of Unicode category Cc (C0, DEL, C1) or Cf (bidi
    controls, zero-width characters) but the tab written as ``\\xNN`` or ``\\uNNNN``."""
    if text.isprintable():
        return text
    return "".join(_escaped(char) for char in text)


def _escaped(char: str) -> str:
    if char == "\t" or unicodedata.category(char) not in ("Cc", "Cf"):
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 \
        else f"\\U{code:08x}"


@contextmanager
def workflow_commands_paused(printer: Printer, environ: Mapping[str, str]) -> Iterator[None]:
    """In GitHub Actions, a container line such as ``::add-mask::`` or ``::error::`` must
    not be taken as a workflow command: the runner ignores them between these markers."""
    if environ.get("GITHUB_ACTIONS") != "true":
        yield
        return
    token = secrets.token_hex(16)
    printer.line(f"::stop-commands::{token}")
    try:
        yield
    finally:
        printer.line(f"::{token}::")
