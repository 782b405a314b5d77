"""How a followed task ends: the lines printed last, the summary, the exit code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tasks.errors import AdminTaskError, Cancelled, TaskFailedToStart, TaskTimedOut
from tasks.launcher.clock import duration
from tasks.launcher.request import LaunchRequest
from tasks.launcher.summary import RunReport, append_summary
from tasks.launcher.watch import Ending, TaskState, Watch


@dataclass(frozen=True)
class LauncherResult:
    """A finished launcher command: its JSON result line, exit code and closing message."""

    line: dict[str, Any]
    exit_code: int
    message: str


class TaskLost(AdminTaskError):
    """DescribeTasks kept answering MISSING: ECS no longer knows the task (exit 1)."""

    outcome = "lost"


_HINTS = (
    ("secret", "the execution role could not read a secret the task definition references: "
               "check it exists under admin-tasks/<env>/ and the stack granted GetSecretValue"),
    ("pull", "the image could not be pulled: check the image tag exists and the subnets reach "
             "ECR (NAT gateway or VPC endpoints)"),
    ("resourceinitializationerror", "ECS could not prepare the task's network or secrets: "
                                    "check the subnets' routes to ECR, Secrets Manager and logs"),
    ("capacity", "Fargate had no capacity in these subnets' zones: run the workflow again"),
)


def start_failure_hint(*reasons: str | None) -> str:
    text = " ".join(reason for reason in reasons if reason).lower()
    for needle, hint in _HINTS:
        if needle in text:
            return hint
    return "open the task in the ECS console (link above) for the stopped reason"


def _failed_to_start(request: LaunchRequest, watch: Watch, state: TaskState) -> TaskFailedToStart:
    reasons = (state.stop_code, state.stopped_reason, state.container_reason)
    watch.printer.line(f"stopCode: {state.stop_code or '-'}")
    watch.printer.line(f"stoppedReason: {state.stopped_reason or '-'}")
    watch.printer.line(f"container {request.task.container}: {state.container_reason or '-'}")
    watch.printer.line(f"hint: {start_failure_hint(*reasons)}")
    detail = state.container_reason or state.stopped_reason or state.stop_code or "no reason given"
    return TaskFailedToStart(f"{request.entry.name} never ran its container: {detail}")


class TaskUnwatched(AdminTaskError):
    """DescribeTasks kept failing: the launcher gave up following a task it did not stop."""

    outcome = "lost-contact"


class LauncherFailed(AdminTaskError):
    """The launcher itself failed while following the task (exit 1)."""

    outcome = "launcher-error"


def _stopped_or_not(request: LaunchRequest, watch: Watch) -> str:
    if watch.stop_error is None:
        return "the task was stopped"
    return (f"could not stop {watch.task_arn}: {watch.stop_error}; stop it with: "
            f"{request.stop_command}")


def _ending_error(request: LaunchRequest, watch: Watch, ending: Ending) -> AdminTaskError | None:
    state = watch.state
    if ending == "timeout":
        return TaskTimedOut(f"{request.entry.name} ran past its timeout of "
                            f"{duration(request.timeout_seconds)}; {_stopped_or_not(request, watch)}")
    if ending == "cancelled":
        return Cancelled(f"cancelled by {watch.cancellation.signal_name}; "
                         f"{_stopped_or_not(request, watch)}")
    if ending == "unreachable":
        return TaskUnwatched(f"lost contact with {watch.task_arn} (ecs:DescribeTasks kept "
                             "failing); the task may still be running: check the ECS console, "
                             f"or stop it with: {request.stop_command}")
    if ending == "crashed":
        return LauncherFailed(f"the launcher failed while following {watch.task_arn}")
    if ending == "lost" or state is None:
        return TaskLost(f"ECS lost track of {watch.task_arn}: check the ECS console")
    if state.exit_code is None:
        return _failed_to_start(request, watch, state)
    return None


def finish(request: LaunchRequest, watch: Watch, ending: Ending, result: dict[str, Any] | None,
           environ: Mapping[str, str], *, duration_seconds: float) -> LauncherResult:
    """Write the job summary, then return the container's exit code or raise the launcher's."""
    error = _ending_error(request, watch, ending)
    state = watch.state
    if error is not None:
        exit_code = error.exit_code
    else:
        exit_code = state.exit_code if state is not None and state.exit_code is not None else 0
    outcome = error.outcome if error else ("succeeded" if exit_code == 0 else "failed")
    summary_path = environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        append_summary(summary_path, RunReport(
            task=request.entry.name, environment=request.settings.environment,
            actor=request.context.actor, reason=request.context.reason,
            run_id=request.context.run_id, region=request.settings.region,
            cluster=request.settings.cluster, task_arn=watch.task_arn, outcome=outcome,
            final_status=state.describe() if state else "MISSING", exit_code=exit_code,
            duration_seconds=duration_seconds, result=result))
    if error is not None:
        raise error
    line = {"ok": exit_code == 0, "outcome": outcome, "wasNew": bool(result and result.get("wasNew")),
            "exitCode": exit_code, "taskArn": watch.task_arn, "result": result}
    return LauncherResult(line, exit_code, f"{request.entry.name} on "
                          f"{request.settings.environment} exited with code {exit_code}")
