"""What DescribeTasks says about the followed task, in the terms the launcher reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tasks.launcher.schedule import STOPPING


@dataclass(frozen=True)
class TaskState:
    """The parts of a DescribeTasks entry the launcher reports."""

    last_status: str
    desired_status: str = "RUNNING"
    stop_code: str | None = None
    stopped_reason: str | None = None
    exit_code: int | None = None
    container_reason: str | None = None

    @classmethod
    def from_description(cls, task: Mapping[str, Any], container: str) -> TaskState:
        mine = [c for c in task.get("containers", []) if c.get("name") == container]
        details: Mapping[str, Any] = mine[0] if mine else {}
        return cls(last_status=str(task.get("lastStatus", "UNKNOWN")),
                   desired_status=str(task.get("desiredStatus", "RUNNING")),
                   stop_code=task.get("stopCode") or None,
                   stopped_reason=task.get("stoppedReason") or None,
                   exit_code=details.get("exitCode"),
                   container_reason=details.get("reason") or None)

    @property
    def stopped(self) -> bool:
        return self.last_status == "STOPPED"

    @property
    def stopping(self) -> bool:
        """ECS is on its way to STOPPED (the container exited, or a stop was asked for)."""
        return self.desired_status == "STOPPED" or self.last_status in STOPPING

    def describe(self) -> str:
        if not self.stopped:
            return self.last_status
        code = "no exit code" if self.exit_code is None else f"exit code {self.exit_code}"
        why = ": ".join(part for part in (self.stop_code, self.stopped_reason) if part)
        return f"STOPPED: {code}" + (f" ({why})" if why else "")

    def line(self) -> str:
        return f"status {self.describe()}"
