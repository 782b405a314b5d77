"""Staying with a started task until it stops, times out, is cancelled or disappears.

Not the ``TasksStopped`` waiter: that gives up after 10 minutes, never accepts a
MISSING task and prints nothing. Short tasks may skip RUNNING, so only STOPPED ends
the wait. Status changes are printed once, logs are tailed between describes, and
the poll interval backs off while nothing happens.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from tasks.launcher.aws import is_throttling
from tasks.launcher.cancel import Cancellation
from tasks.launcher.clock import Backoff, Clock, duration
from tasks.launcher.logtail import LogTail
from tasks.launcher.output import Printer

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

Ending = Literal["stopped", "timeout", "cancelled", "lost", "unreachable", "crashed"]
_Phase = Literal["stopped", "deadline", "cancelled", "lost", "unreachable"]
# ECS's stopCode when the task ended because its container exited (not by StopTask).
EXITED_ON_ITS_OWN = "EssentialContainerExited"


@dataclass(frozen=True)
class TaskState:
    """The parts of a DescribeTasks entry the launcher reports."""

    last_status: str
    stop_code: str | None = None
    stopped_reason: str | None = None
    exit_code: int | None = None
    container_reason: str | None = None

    @classmethod
    def from_description(cls, task: Mapping[str, Any], container: str) -> TaskState:
        mine = [c for c in task.get("containers", []) if c.get("name") == container]
        details: Mapping[str, Any] = mine[0] if mine else {}
        return cls(last_status=str(task.get("lastStatus", "UNKNOWN")),
                   stop_code=task.get("stopCode") or None,
                   stopped_reason=task.get("stoppedReason") or None,
                   exit_code=details.get("exitCode"),
                   container_reason=details.get("reason") or None)

    @property
    def stopped(self) -> bool:
        return self.last_status == "STOPPED"

    def describe(self) -> str:
        if not self.stopped:
            return self.last_status
        code = "no exit code" if self.exit_code is None else f"exit code {self.exit_code}"
        why = ": ".join(part for part in (self.stop_code, self.stopped_reason) if part)
        return f"STOPPED: {code}" + (f" ({why})" if why else "")

    def line(self) -> str:
        return f"status {self.describe()}"


@dataclass
class Watch:
    """Follows one task; every collaborator is passed in so tests control time and AWS."""

    ecs: ECSClient
    cluster: str
    task_arn: str
    container: str
    tail: LogTail
    printer: Printer
    clock: Clock
    cancellation: Cancellation
    stop_reason: Callable[[str], str]
    finished_output: Callable[[], bool] = lambda: False
    stop_command: str = "python -m tasks stop"
    backoff: Backoff = field(default_factory=Backoff)
    missing_grace_seconds: float = 60.0
    unreachable_grace_seconds: float = 120.0
    drain_seconds: float = 10.0
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
            self._poll_once()
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
        while True:
            if self.cancellation.requested:
                return "cancelled"
            # Poll even at the deadline: a task that stopped just before it is not a timeout.
            past_deadline = self.clock.monotonic() >= deadline
            changed = self._poll_once()
            if self.state is not None and self.state.stopped:
                self._drain(patient=self.state.exit_code is not None)
                self.printer.status(self.state.line())
                return "stopped"
            if past_deadline:
                return "deadline"
            if self._missing_for() >= self.missing_grace_seconds:
                self.printer.status(f"task MISSING for {duration(self._missing_for())}: ECS no "
                                    "longer knows it")
                return "lost"
            if self._failing_for() >= self.unreachable_grace_seconds:
                return "unreachable"
            if changed:
                self.backoff.reset()
            pause = min(self.backoff.next(), max(deadline - self.clock.monotonic(), 0.0))
            self.clock.sleep(pause, self.cancellation.event)

    def _poll_once(self) -> bool:
        """Describe the task and tail its logs; True when anything new appeared."""
        described = self._describe()
        changed = False
        if isinstance(described, TaskState):
            self._missing_since = None
            changed = self.state is None or described.last_status != self.state.last_status
            if changed and not described.stopped:
                self.printer.status(described.line())
            self.state = described
        elif described == "missing" and self._missing_since is None:
            self._missing_since = self.clock.monotonic()
        return self.tail.poll() > 0 or changed

    def _describe(self) -> TaskState | Literal["missing", "throttled", "failed"]:
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
        if self._failing_since is None:
            return 0.0
        return self.clock.monotonic() - self._failing_since

    def _missing_for(self) -> float:
        if self._missing_since is None:
            return 0.0
        return self.clock.monotonic() - self._missing_since

    def _drain(self, *, patient: bool) -> None:
        """Print the lines CloudWatch receives after the stop; wait for the result line."""
        deadline = self.clock.monotonic() + (self.drain_seconds if patient else 0.0)
        while self.tail.poll() or not (self.finished_output()
                                       or self.clock.monotonic() >= deadline):
            if self.cancellation.requested and patient:
                return
            self.clock.sleep(1.0, self.cancellation.event)
