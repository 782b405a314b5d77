"""SIGINT and SIGTERM become a cancellation request the waiting loop acts on.

GitHub cancels a job with SIGINT, then SIGTERM 7.5 s later, then kills it (some
runner versions sent SIGHUP instead, so that counts too). The
handlers only record the request and wake the sleeping loop, so an AWS call in flight
finishes and the loop stops the task itself; a second signal changes nothing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

CANCEL_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Cancellation:
    """Set once by the first signal; ``event`` wakes a sleeping clock."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal_name: str | None = None

    @property
    def requested(self) -> bool:
        return self.event.is_set()

    def request(self, signal_name: str) -> None:
        if not self.requested:
            self.signal_name = signal_name
            self.event.set()


@contextmanager
def cancel_on_signals(cancellation: Cancellation) -> Iterator[Cancellation]:
    """Route SIGINT/SIGTERM/SIGHUP to ``cancellation`` inside the block (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield cancellation
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        cancellation.request(signal.Signals(signum).name)

    previous = {number: signal.signal(number, handle) for number in CANCEL_SIGNALS}
    try:
        yield cancellation
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
