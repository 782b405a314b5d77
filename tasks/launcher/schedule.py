"""When the launcher calls DescribeTasks and GetLogEvents: two cadences, not one backoff.

The budget is what people use instead: botocore's ``tasks_stopped`` waiter (every 6 s)
plus a log poller (every 5 s), about 22 calls a minute. This schedule spends fewer
and spends them where a delay would show:

- While ECS provisions the task (PROVISIONING, PENDING, ACTIVATING) the container has
  not started, so no log stream can exist: DescribeTasks alone, every 4 s (15/min),
  so RUNNING — and with it the first log read — comes quickly.
- While it runs, GetLogEvents every 4 s (15/min: no line waits longer than that) and
  DescribeTasks every 20 s (3/min): the status rarely changes then.
- When the task is probably ending, DescribeTasks every 3 s until STOPPED: once the
  container printed its JSON result line (its last), when ECS says it is stopping
  (DEACTIVATING, STOPPING, DEPROVISIONING, or desired status STOPPED), and after
  the launcher asked ECS to stop it. Once the result line is in, GetLogEvents drops
  to every 10 s: nothing more is expected, and the rest is drained at STOPPED.
- When output that was flowing stops (an empty read right after one with lines), one
  DescribeTasks at once (at most one every 10 s): a container that crashed prints no
  result line. Worst case, a trickle of output: 15 + 6 = 21 calls a minute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

STARTING = frozenset({"PROVISIONING", "PENDING", "ACTIVATING"})
STOPPING = frozenset({"DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"})


@dataclass
class PollSchedule:
    """The next moment (monotonic seconds) each call is due; pure, driven by the watch."""

    starting_describe: float = 4.0
    running_describe: float = 20.0
    ending_describe: float = 3.0
    logs_every: float = 4.0
    logs_after_result: float = 10.0
    output_stopped_gap: float = 10.0
    next_describe: float = 0.0
    next_logs: float = math.inf  # no stream before the container runs
    ending: bool = False
    _printed_last_time: bool = False
    _last_described: float = -math.inf

    def due(self) -> float:
        return min(self.next_describe, self.next_logs)

    def described(self, now: float, status: str | None, *, stopping: bool) -> None:
        """After a DescribeTasks answer (``status`` None: no answer, or MISSING)."""
        self._last_described = now
        self.ending = self.ending or stopping or (status in STOPPING)
        if status is not None and status not in STARTING and self.next_logs == math.inf:
            self.next_logs = now  # RUNNING (or past it) for the first time: read at once
        if self.ending:
            interval = self.ending_describe
        elif status is None or status in STARTING:
            interval = self.starting_describe
        else:
            interval = self.running_describe
        self.next_describe = now + interval

    def logs_read(self, now: float, printed: int, *, result_seen: bool) -> None:
        """After a GetLogEvents round; ``result_seen``: the container's last line is in."""
        if result_seen:
            self.ending = True
            self.next_describe = min(self.next_describe, now + self.ending_describe)
        elif printed == 0 and self._printed_last_time:
            # Output just stopped: has the container exited?
            soonest = max(now, self._last_described + self.output_stopped_gap)
            self.next_describe = min(self.next_describe, soonest)
        self._printed_last_time = printed > 0
        self.next_logs = now + (self.logs_after_result if result_seen else self.logs_every)

    def stop_requested(self, now: float) -> None:
        self.ending = True
        self.next_describe = min(self.next_describe, now + self.ending_describe)
