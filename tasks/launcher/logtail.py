"""Following one CloudWatch log stream from its first line, each line printed once.

``GetLogEvents`` with ``startFromHead`` pages forward through ``nextForwardToken``;
at the current end of the stream it returns the token it was given, which is where a
poll stops — or sooner, after a page with events that was not full (the end, most
likely). The next poll resumes from that token, so nothing is read twice. The stream
does not exist until the container writes its first line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from tasks.launcher.aws import error_code, is_throttling

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

# GetLogEvents answers at most 10,000 events or 1 MB (counting 26 bytes per event) a page.
PAGE_MAX_EVENTS = 10_000
PAGE_FULL_BYTES = 900_000
EVENT_OVERHEAD_BYTES = 26


class LogTail:
    """Print new lines of ``group``/``stream`` with ``emit`` on every :meth:`poll`."""

    def __init__(self, logs: CloudWatchLogsClient, group: str, stream: str,
                 emit: Callable[[str], None], *, on_error: Callable[[str], None],
                 page_size: int | None = None) -> None:
        self._logs, self._group, self._stream = logs, group, stream
        self._emit, self._on_error, self._page_size = emit, on_error, page_size
        self._token: str | None = None
        self._unreadable = self._gone = self._failing = False
        self.lines = 0

    @property
    def readable(self) -> bool:
        """False once the logs proved unreadable or were deleted: waiting for more is futile."""
        return not (self._unreadable or self._gone)

    def _report_gone(self, error: ClientError) -> None:
        if not self._gone:
            self._gone = True
            self._on_error(f"the task's logs disappeared after {self.lines} line(s) ({error}); "
                           f"later lines cannot be shown: see {self._group}/{self._stream}")

    def poll(self) -> int:
        """Print every line that has arrived since the last poll; return how many."""
        printed = 0
        while not self._unreadable:
            response = self._next_page()
            if response is None:
                return printed
            events = list(response.get("events", []))
            for event in events:
                self._emit(str(event.get("message", "")).rstrip("\n"))
                printed += 1
                self.lines += 1
            token = response.get("nextForwardToken")
            if token is None or token == self._token:
                return printed
            self._token = token
            if events and not self._page_was_full(events):
                # Most likely the end: the next poll resumes from this token, so asking
                # again now would only spend a call to hear the same token back.
                return printed
        return printed

    def _page_was_full(self, events: list[Any]) -> bool:
        size = sum(len(str(event.get("message", ""))) + EVENT_OVERHEAD_BYTES for event in events)
        return len(events) >= (self._page_size or PAGE_MAX_EVENTS) or size >= PAGE_FULL_BYTES

    def _next_page(self) -> dict[str, Any] | None:
        kwargs: dict[str, Any] = {"logGroupName": self._group, "logStreamName": self._stream,
                                  "startFromHead": True}
        if self._token is not None:
            kwargs["nextToken"] = self._token
        if self._page_size is not None:
            kwargs["limit"] = self._page_size
        try:
            page = dict(self._logs.get_log_events(**kwargs))
        except BotoCoreError as error:
            # A timeout or lost connection past botocore's retries: say so once, and ask
            # again from the same token on the next poll (nothing is skipped).
            if not self._failing:
                self._failing = True
                self._on_error(f"reading the task's logs failed ({error}); retrying on the "
                               "next poll")
            return None
        except ClientError as error:
            # Not written yet, or throttled past botocore's retries: the next poll asks again.
            if error_code(error) == "ResourceNotFoundException" and self._token is not None:
                self._report_gone(error)  # it was there: deleted (group or stream) mid-run
            if error_code(error) == "ResourceNotFoundException" or is_throttling(error):
                return None
            # Without the logs the task's status and exit code still matter: keep following.
            self._unreadable = True
            self._on_error(f"cannot read the task's logs ({error}); following its status only, "
                           f"see {self._group}/{self._stream} in CloudWatch")
            return None
        self._failing = False
        return page


class LogTails:
    """Several streams of one task (an application's and its recorder's), polled in turn."""

    def __init__(self, tails: list[LogTail]) -> None:
        self._tails = tails

    @property
    def readable(self) -> bool:
        return all(tail.readable for tail in self._tails)

    def poll(self) -> int:
        return sum(tail.poll() for tail in self._tails)
