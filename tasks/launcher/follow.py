"""Start one validated request on ECS and stay with the task until it ends.

Cancellation (SIGINT, SIGTERM, SIGHUP) and the timeout stop the task. A failure of the
launcher itself never does: a migration stopped half-way is worse than one left to
finish, so the launcher says the task may still be running, how to stop it, writes the
summary and exits 1 (``launcher-error``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tasks.contract.errors import AdminTaskError
from tasks.launcher.cancel import Cancellation, cancel_on_signals
from tasks.launcher.ending import finish
from tasks.launcher.logtail import LogTail, LogTails
from tasks.launcher.output import Printer, workflow_commands_paused
from tasks.launcher.request import LaunchRequest, stop_reason
from tasks.launcher.results import STARTED, LauncherFailed, LauncherResult, failure_description
from tasks.launcher.start import start
from tasks.launcher.summary import result_line_from
from tasks.launcher.watch import Ending, Watch

if TYPE_CHECKING:
    from tasks.launcher.aws import Clients
    from tasks.launcher.runtime import Runtime


class Transcript:
    """Prints the container's lines, escaped, and keeps its result line for the summary:
    only a line bound to this run (``request.is_result``), never one another program in
    the container printed to look like it."""

    def __init__(self, printer: Printer, request: LaunchRequest) -> None:
        self.printer, self._request = printer, request
        self.result: dict[str, Any] | None = None

    def emit(self, text: str) -> None:
        self.printer.container_line(text)
        line = result_line_from(text)
        if line is not None and self._request.is_result(line):
            # The binding fields are the run's, not the task's result.
            self.result = {key: value for key, value in line.items()
                           if key not in ("resultKey", "runId")}


def follow_task(request: LaunchRequest, runtime: Runtime, environ: Mapping[str, str], *,
                wait: bool) -> LauncherResult:
    clients = runtime.clients(request.settings.region)
    printer = Printer(runtime.out, runtime.clock)
    began = runtime.clock.monotonic()
    with cancel_on_signals(Cancellation()) as cancellation:
        task_arn = start_task(request, clients, printer,
                          lambda seconds: runtime.clock.sleep(seconds, cancellation.event))
        if not wait:
            return LauncherResult.of(STARTED, f"started {task_arn}; not waiting", was_new=True,
                                     taskArn=task_arn)
        transcript = Transcript(printer, request)
        watch = watch_task(request, clients, runtime, task_arn, cancellation, transcript)
        ending: Ending
        failure = ""
        try:
            with workflow_commands_paused(printer, environ):
                ending = watch.follow(request.timeout_seconds)
        except Exception as error:  # the launcher's failure, not the task's: leave it running
            ending, failure = "crashed", failure_description(error)
            printer.status(f"the launcher failed ({failure}); the task was not stopped for "
                           "this and may still be running")
        # Still inside the handlers: GitHub's SIGTERM follows SIGINT while this runs.
        return finish(request, watch, ending, transcript.result, environ, failure=failure,
                      duration_seconds=runtime.clock.monotonic() - began)


def start_task(request: LaunchRequest, clients: Clients, printer: Printer,
               sleep: Callable[[float], None], known: frozenset[str] = frozenset()) -> str:
    try:
        return start(request, clients, printer, sleep, known)
    except AdminTaskError:
        raise
    except Exception as error:
        raise LauncherFailed(
            f"the launcher failed while starting {request.task_name} "
            f"({failure_description(error)}); if ecs:RunTask went out a task may be running: "
            f"check the ECS console, or stop it with: {request.stop_command}") from None


def watch_task(request: LaunchRequest, clients: Clients, runtime: Runtime, task_arn: str,
           cancellation: Cancellation, transcript: Transcript) -> Watch:
    printer = transcript.printer
    task_id = task_arn.rsplit("/", 1)[-1]
    reporting = request.task.log_stream(task_id, request.task.reporting_container)
    # Only the reporting container's stream can hold the result line: an application's
    # lines are shown, never taken for it, whatever they say.
    tail = LogTails([LogTail(clients.logs, request.settings.log_group, stream,
                             transcript.emit if stream == reporting else printer.container_line,
                             on_error=printer.status, page_size=runtime.log_page_size)
                     for stream in request.task.log_streams(task_id)])
    return Watch(ecs=clients.ecs, cluster=request.settings.cluster, task_arn=task_arn,
                 container=request.task.reporting_container, tail=tail, printer=printer,
                 clock=runtime.clock, cancellation=cancellation,
                 stop_reason=lambda why: stop_reason(why, request.context),
                 stop_command=request.stop_command,
                 finished_output=lambda: transcript.result is not None)
