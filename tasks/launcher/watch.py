"""Staying with a started task until it stops, times out, is cancelled or disappears.

Not the ``TasksStopped`` waiter: that gives up after 10 minutes, never accepts a
MISSING task and prints nothing. Short tasks may skip RUNNING, so only STOPPED ends
the wait. Status changes are printed once and logs are tailed, each on its own
cadence (:mod:`tasks.launcher.schedule`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from botocore.exceptions import BotoCoreError, ClientError

from tasks.launcher.aws import is_throttling
from tasks.launcher.cancel import Cancellation
from tasks.launcher.clock import Clock, duration
from tasks.launcher.logtail import LogTail, LogTails
from tasks.launcher.output import Printer
from tasks.launcher.schedule import PollSchedule
from tasks.launcher.state import TaskState

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

__all__ = ["Ending", "TaskState", "Watch"]
Ending = Literal["stopped", "timeout", "cancelled", "lost", "unreachable", "crashed"]
_Phase = Literal["stopped", "deadline", "cancelled", "lost", "unreachable"]
# ECS's stopCode when the task ended because its container exited (not by StopTask).
EXITED_ON_ITS_OWN = "EssentialContainerExited"


@dataclass
class Watch:
    """Follows one task; every collaborator is passed in so tests control time and AWS."""

    ecs: ECSClient
    cluster: str
    task_arn: str
    container: str
    tail: LogTail | LogTails
    printer: Printer
    clock: Clock
    cancellation: Cancellation
    stop_reason: Callable[[str], str]
    finished_output: Callable[[], bool] = lambda: False
    stop_command: str = "python -m tasks stop"
    schedule: PollSchedule = field(default_factory=PollSchedule)
    missing_grace_seconds: float = 60.0
    unreachable_grace_seconds: float = 120.0
    drain_seconds: float = 10.0
    drain_every: float = 2.0
    stop_grace_seconds: float = 120.0
    state: TaskState | None = None
    stop_error: str | None = None
    _missing_since: float | None = None
    _failing_since: float | None = None
    _describe_error: str = ""

    def follow(self, timeout_seconds: float) -> Ending:
        phase = self._follow_until(self.clock.monotonic() + timeout_seconds)
        if phase == "deadline":
            status = self.state.last_status if self.state else "PENDING"
            self.printer.status(f"timeout: still {status} after {duration(timeout_seconds)}; "
                                "stopping the task")
            ours = self.stop("timed out")
            self._follow_until(self.clock.monotonic() + self.stop_grace_seconds)
            if self._ended_on_its_own(ours):
                self.printer.status("the task had already ended on its own: reporting its "
                                    "container's exit code")
                return "stopped"
            return "timeout"
        if phase == "cancelled":
            self.printer.status(f"{self.cancellation.signal_name} received: stopping the task")
            self.stop(f"cancelled ({self.cancellation.signal_name})")
            described = self._describe_call()
            self.state = described if isinstance(described, TaskState) else self.state
            self._drain(patient=False)
            return "cancelled"
        if phase == "unreachable":
            self.printer.status(f"giving up: ecs:DescribeTasks has failed for "
                                f"{duration(self._failing_for())} ({self._describe_error}); the "
                                f"task was not stopped and may still be running")
        return phase

    def stop(self, why: str) -> str:
        """StopTask with a reason naming actor and run; return that reason."""
        reason = self.stop_reason(why)
        self.schedule.stop_requested(self.clock.monotonic())
        try:
            self.ecs.stop_task(cluster=self.cluster, task=self.task_arn, reason=reason)
        except (ClientError, BotoCoreError) as error:
            self.stop_error = str(error)
            self.printer.status(f"could not stop {self.task_arn}: {error}; stop it with: "
                                f"{self.stop_command}")
            return reason
        self.printer.status(f"stop requested: {reason}")
        return reason

    def _ended_on_its_own(self, our_reason: str) -> bool:
        """Stopped by its container's exit just before our StopTask (the deadline race)."""
        state = self.state
        return (state is not None and state.stopped and state.exit_code is not None
                and state.stop_code == EXITED_ON_ITS_OWN and state.stopped_reason != our_reason)

    def _follow_until(self, deadline: float) -> _Phase:
        schedule = self.schedule
        while True:
            if self.cancellation.requested:
                return "cancelled"
            now = self.clock.monotonic()
            # Describe at the deadline too: a task that stopped just before it is no timeout.
            if now >= schedule.next_describe or now >= deadline:
                phase = self._describe()
                if phase is not None:
                    return phase
                if now >= deadline:
                    return "deadline"
            if now >= schedule.next_logs:
                printed = self.tail.poll()
                schedule.logs_read(now, printed, result_seen=self.finished_output())
            pause = min(schedule.due(), deadline) - self.clock.monotonic()
            if pause > 0:
                self.clock.sleep(pause, self.cancellation.event)

    def _describe(self) -> _Phase | None:
        """One DescribeTasks: print a new status; say how the wait ends, if it does."""
        described = self._describe_call()
        now = self.clock.monotonic()
        if isinstance(described, TaskState):
            self._missing_since = None
            if not described.stopped and (self.state is None
                                          or described.last_status != self.state.last_status):
                self.printer.status(described.line())
            self.state = described
            if described.stopped:
                self._drain(patient=described.exit_code is not None and self.tail.readable)
                self.printer.status(described.line())
                return "stopped"
        elif described == "missing" and self._missing_since is None:
            self._missing_since = now
        self.schedule.described(now, self.state.last_status if self.state else None,
                                stopping=self.state is not None and self.state.stopping)
        if self._missing_for() >= self.missing_grace_seconds:
            self.printer.status(f"task MISSING for {duration(self._missing_for())}: ECS no "
                                "longer knows it")
            return "lost"
        if self._failing_for() >= self.unreachable_grace_seconds:
            return "unreachable"
        return None

    def _describe_call(self) -> TaskState | Literal["missing", "throttled", "failed"]:
        try:
            response = self.ecs.describe_tasks(cluster=self.cluster, tasks=[self.task_arn])
        except ClientError as error:
            if is_throttling(error):  # still throttled after botocore's retries
                return "throttled"
            return self._describe_failed(error)
        except BotoCoreError as error:  # a timeout or lost connection past botocore's retries
            return self._describe_failed(error)
        if self._failing_since is not None:
            self.printer.status(f"ecs:DescribeTasks answers again after "
                                f"{duration(self._failing_for())}")
            self._failing_since = None
        tasks = response.get("tasks") or []
        # ECS reports an unknown task as failures[].reason MISSING; right after RunTask
        # that is eventual consistency, so it only ends the wait after a grace period.
        if not tasks:
            return "missing"
        return TaskState.from_description(tasks[0], self.container)

    def _describe_failed(self, error: ClientError | BotoCoreError) -> Literal["failed"]:
        """Keep following: the task is not stopped because the launcher lost its view of it."""
        self._describe_error = str(error)
        if self._failing_since is None:
            self._failing_since = self.clock.monotonic()
            self.printer.status(f"ecs:DescribeTasks failed ({error}); retrying on the next poll "
                                "(the task is not stopped for this)")
        return "failed"

    def _failing_for(self) -> float:
        return 0.0 if self._failing_since is None else self.clock.monotonic() - self._failing_since

    def _missing_for(self) -> float:
        return 0.0 if self._missing_since is None else self.clock.monotonic() - self._missing_since

    def _drain(self, *, patient: bool) -> None:
        """Print the lines CloudWatch receives after the stop; wait for the result line."""
        deadline = self.clock.monotonic() + (self.drain_seconds if patient else 0.0)
        while True:
            self.tail.poll()  # reads to the current end of the stream
            if self.finished_output() or self.clock.monotonic() >= deadline:
                return
            if self.cancellation.requested:
                return
            self.clock.sleep(self.drain_every, self.cancellation.event)
