"""How a followed task ends: the lines printed last, the summary, the exit code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tasks.contract.errors import AdminTaskError, Cancelled, TaskFailedToStart, TaskTimedOut
from tasks.launcher.clock import duration
from tasks.launcher.request import LaunchRequest
from tasks.launcher.results import (
    FAILED,
    SUCCEEDED,
    LauncherFailed,
    LauncherResult,
    Outcome,
    TaskLost,
    TaskUnwatched,
)
from tasks.launcher.summary import RunReport, append_summary, review_note
from tasks.launcher.watch import Ending, TaskState, Watch

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
    watch.printer.container_line(f"stopCode: {state.stop_code or '-'}")
    watch.printer.container_line(f"stoppedReason: {state.stopped_reason or '-'}")
    watch.printer.container_line(
        f"container {request.task.container}: {state.container_reason or '-'}")
    watch.printer.line(f"hint: {start_failure_hint(*reasons)}")
    detail = state.container_reason or state.stopped_reason or state.stop_code or "no reason given"
    return TaskFailedToStart(f"{request.task_name} never ran its container: {detail}")


def _stopped_or_not(request: LaunchRequest, watch: Watch) -> str:
    if watch.stop_error is None:
        return "the task was stopped"
    return (f"could not stop {watch.task_arn}: {watch.stop_error}; stop it with: "
            f"{request.stop_command}")


def _ending_error(request: LaunchRequest, watch: Watch, ending: Ending,
                  failure: str) -> AdminTaskError | None:
    state = watch.state
    if ending == "timeout":
        return TaskTimedOut(f"{request.task_name} ran past its timeout of "
                            f"{duration(request.timeout_seconds)}; {_stopped_or_not(request, watch)}")
    if ending == "cancelled":
        return Cancelled(f"cancelled by {watch.cancellation.signal_name}; "
                         f"{_stopped_or_not(request, watch)}")
    stop_it = f"check the ECS console, or stop it with: {request.stop_command}"
    if ending == "unreachable":
        return TaskUnwatched(f"lost contact with {watch.task_arn} (ecs:DescribeTasks kept "
                             f"failing); the task was not stopped and may still be running: "
                             f"{stop_it}")
    if ending == "crashed":
        return LauncherFailed(f"the launcher failed while following {watch.task_arn} "
                              f"({failure}); the task was not stopped for this and may still be "
                              f"running: {stop_it}")
    if ending == "lost" or state is None:
        return TaskLost(f"ECS lost track of {watch.task_arn}: check the ECS console")
    if state.exit_code is None:
        return _failed_to_start(request, watch, state)
    return None


def _summarise(path: str, request: LaunchRequest, watch: Watch, outcome: Outcome, exit_code: int,
               result: dict[str, Any] | None, duration_seconds: float) -> None:
    """Append the job summary; failing to write it changes neither the ending nor the code."""
    report = RunReport(
        task=request.task_name, description=request.inputs.contract.description,
        environment=request.settings.environment,
        actor=request.context.actor, reason=request.context.reason,
        run_id=request.context.run_id, region=request.settings.region,
        cluster=request.settings.cluster, task_arn=watch.task_arn, outcome=outcome.name,
        final_status=watch.state.describe() if watch.state else "MISSING", exit_code=exit_code,
        duration_seconds=duration_seconds, result=result, preview=request.preview,
        image=request.task.image_ref,
        review=review_note(request.context.approved_by, request.context.approval_comment,
                           in_github=request.reviewed_in_github))
    try:
        append_summary(path, report)
    except OSError as error:
        watch.printer.status(f"could not write the job summary to {path}: "
                             f"{error.strerror or error}")


def settle(request: LaunchRequest, watch: Watch, ending: Ending,
           failure: str = "") -> tuple[Outcome, int, AdminTaskError | None]:
    """How a followed task ended: its outcome, its exit code, and the launcher's error to
    raise (None when the container's exit code is the answer)."""
    error = _ending_error(request, watch, ending, failure)
    if error is not None:
        return Outcome.of(type(error)), error.exit_code, error
    state = watch.state
    exit_code = state.exit_code if state is not None and state.exit_code is not None else 0
    return (SUCCEEDED if exit_code == 0 else FAILED), exit_code, None


def summarise(environ: Mapping[str, str], request: LaunchRequest, watch: Watch,
              outcome: Outcome, exit_code: int, result: dict[str, Any] | None,
              duration_seconds: float) -> None:
    """The job summary's block of the run, when the job has a summary."""
    summary_path = environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        _summarise(summary_path, request, watch, outcome, exit_code, result, duration_seconds)


def finish(request: LaunchRequest, watch: Watch, ending: Ending, result: dict[str, Any] | None,
           environ: Mapping[str, str], *, duration_seconds: float,
           failure: str = "") -> LauncherResult:
    """Write the job summary, then return the container's exit code or raise the launcher's.
    ``failure`` says what went wrong when the launcher itself failed (``crashed``)."""
    outcome, exit_code, error = settle(request, watch, ending, failure)
    summarise(environ, request, watch, outcome, exit_code, result, duration_seconds)
    if error is not None:
        raise error
    return LauncherResult.of(outcome, f"{request.task_name} on {request.settings.environment} "
                             f"exited with code {exit_code}", exit_code=exit_code,
                             was_new=bool(result and result.get("wasNew")), exitCode=exit_code,
                             taskArn=watch.task_arn, preview=request.preview,
                             image=request.task.image_ref or None,
                             approvedBy=list(request.context.approved_by or ()) or None,
                             result=result)
