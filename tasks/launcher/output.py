"""What the operator reads: timestamped launcher lines and the container's own lines."""

from __future__ import annotations

from typing import TextIO

from tasks.launcher.clock import Clock, timestamp


class Printer:
    """Writes and flushes every line at once: GitHub shows a job's output as it comes."""

    def __init__(self, out: TextIO, clock: Clock) -> None:
        self._out, self._clock = out, clock

    def status(self, text: str) -> None:
        self.line(f"{timestamp(self._clock.now())} {text}")

    def line(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()
