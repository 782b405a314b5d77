"""``run`` and ``stop``: the launcher's two commands, wired to their collaborators.

``default_runtime`` is the seam tests replace: it makes the boto3 clients (through
:func:`tasks.launcher.aws.make_clients`), the clock and the output stream.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from tasks.context import context_from_environment
from tasks.errors import AdminTaskError, InvalidInput
from tasks.launcher.aws import Clients, aws_errors, make_clients
from tasks.launcher.cancel import Cancellation, cancel_on_signals
from tasks.launcher.clock import Clock, SystemClock
from tasks.launcher.logtail import LogTail
from tasks.launcher.outcome import LauncherResult, finish
from tasks.launcher.output import Printer, workflow_commands_paused
from tasks.launcher.request import (
    LaunchRequest,
    actor_from,
    build_request,
    check_inputs,
    started_by,
    stop_reason,
)
from tasks.launcher.settings_input import load_launch_settings
from tasks.launcher.start import start
from tasks.launcher.summary import result_line_from
from tasks.launcher.watch import Ending, Watch


@dataclass(frozen=True)
class Runtime:
    """Where the launcher gets AWS clients and time, and where it writes."""

    clients: Callable[[str], Clients]
    clock: Clock
    out: TextIO
    log_page_size: int | None = None


def default_runtime() -> Runtime:
    return Runtime(clients=make_clients, clock=SystemClock(), out=sys.stdout)


def dispatch(args: argparse.Namespace, environ: Mapping[str, str]) -> LauncherResult:
    runtime = default_runtime()
    if args.command == "stop":
        return stop_run(args, environ, runtime)
    return run_task(args, environ, runtime)


class Transcript:
    """Prints the container's lines and keeps its JSON result line for the summary."""

    def __init__(self, printer: Printer) -> None:
        self.printer = printer
        self.result: dict[str, Any] | None = None

    def emit(self, text: str) -> None:
        self.printer.line(text)
        self.result = result_line_from(text) or self.result


def run_task(args: argparse.Namespace, environ: Mapping[str, str],
             runtime: Runtime) -> LauncherResult:
    if args.check:
        checked = check_inputs(task_name=args.task, environment=args.environment,
                               raw_params=args.param, reason=args.reason, timeout=args.timeout,
                               environ=environ)
        return LauncherResult({"ok": True, "outcome": "checked", "wasNew": False}, 0,
                              f"the inputs for {checked.entry.name} on {args.environment} are "
                              "valid (checked without launch settings; nothing was called)")
    request = build_request(task_name=args.task, environment=args.environment,
                            raw_params=args.param, reason=args.reason, timeout=args.timeout,
                            settings_file=args.settings, environ=environ)
    if args.dry_run:
        runtime.out.write(json.dumps(request.run_task_request(), indent=2) + "\n")
        return LauncherResult({"ok": True, "outcome": "dry-run", "wasNew": False}, 0,
                              "dry run: printed the RunTask request, called nothing")
    clients = runtime.clients(request.settings.region)
    printer = Printer(runtime.out, runtime.clock)
    began = runtime.clock.monotonic()
    with cancel_on_signals(Cancellation()) as cancellation:
        task_arn = start(request, clients, printer,
                         lambda seconds: runtime.clock.sleep(seconds, cancellation.event))
        if args.no_wait:
            return LauncherResult({"ok": True, "outcome": "started", "wasNew": True,
                                   "taskArn": task_arn}, 0, f"started {task_arn}; not waiting")
        transcript = Transcript(printer)
        watch = _watch(request, clients, runtime, task_arn, cancellation, transcript)

        def ended(ending: Ending) -> LauncherResult:
            return finish(request, watch, ending, transcript.result, environ,
                          duration_seconds=runtime.clock.monotonic() - began)

        try:
            with workflow_commands_paused(printer, environ):
                ending = _follow(watch, request.timeout_seconds)
        except BaseException:
            with contextlib.suppress(AdminTaskError):
                ended("crashed")  # the summary is written whatever the ending
            raise
        # Still inside the handlers: GitHub's SIGTERM follows SIGINT while this runs.
        return ended(ending)


def _watch(request: LaunchRequest, clients: Clients, runtime: Runtime, task_arn: str,
           cancellation: Cancellation, transcript: Transcript) -> Watch:
    printer = transcript.printer
    stream = request.task.log_stream(task_arn.rsplit("/", 1)[-1])
    tail = LogTail(clients.logs, request.settings.log_group, stream, transcript.emit,
                   on_error=printer.status, page_size=runtime.log_page_size)
    return Watch(ecs=clients.ecs, cluster=request.settings.cluster, task_arn=task_arn,
                 container=request.task.container, tail=tail, printer=printer,
                 clock=runtime.clock, cancellation=cancellation,
                 stop_reason=lambda why: stop_reason(why, request.context),
                 stop_command=request.stop_command,
                 finished_output=lambda: transcript.result is not None)


def _follow(watch: Watch, timeout_seconds: int) -> Ending:
    """Follow the task; if following itself fails, stop the task rather than leave it alone."""
    try:
        with aws_errors("following the task"):
            return watch.follow(timeout_seconds)
    except BaseException:
        watch.stop("the launcher failed")
        raise


def stop_run(args: argparse.Namespace, environ: Mapping[str, str],
             runtime: Runtime) -> LauncherResult:
    """Stop every task the run started that ECS still has running (the cancel backstop)."""
    settings = load_launch_settings(args.settings, environ, args.environment)
    if not args.run_id:
        raise InvalidInput("--run-id is empty: pass GITHUB_RUN_ID-GITHUB_RUN_ATTEMPT")
    context = context_from_environment({"ADMIN_TASK_ACTOR": actor_from(environ),
                                        "ADMIN_TASK_RUN_ID": args.run_id})
    printer = Printer(runtime.out, runtime.clock)
    ecs = runtime.clients(settings.region).ecs
    marker = started_by(context.run_id)
    stopped: list[str] = []
    with aws_errors("ecs:ListTasks/StopTask"):
        pages = ecs.get_paginator("list_tasks").paginate(
            cluster=settings.cluster, startedBy=marker, desiredStatus="RUNNING")
        for arn in (arn for page in pages for arn in page.get("taskArns", [])):
            reason = stop_reason("the workflow run was cancelled; stopped", context)
            ecs.stop_task(cluster=settings.cluster, task=arn, reason=reason)
            printer.status(f"stopped {arn} ({reason})")
            stopped.append(arn)
    if not stopped:
        printer.status(f"no running task was started by run {context.run_id} ({marker})")
    return LauncherResult({"ok": True, "outcome": "stopped", "wasNew": False, "stopped": stopped},
                          0, f"stopped {len(stopped)} task(s) of run {context.run_id}")
