"""``python -m tasks stop``: stop every task of a run that ECS still has running.

Each task gets its own StopTask: one that fails does not keep the others running. The
command exits 1 (``aws-error``) naming every task it could not stop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from tasks.contract.context import RunContext
from tasks.contract.settings import LaunchSettings
from tasks.launcher.aws import aws_errors
from tasks.launcher.clock import Clock
from tasks.launcher.output import Printer
from tasks.launcher.request import started_by, stop_reason
from tasks.launcher.results import AWS_ERROR, STOPPED, LauncherResult

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient


def _running_tasks(ecs: ECSClient, settings: LaunchSettings, marker: str) -> list[str]:
    with aws_errors("ecs:ListTasks"):
        pages = ecs.get_paginator("list_tasks").paginate(
            cluster=settings.cluster, startedBy=marker, desiredStatus="RUNNING")
        return [str(arn) for page in pages for arn in page.get("taskArns", [])]


def stop_tasks(settings: LaunchSettings, context: RunContext, ecs: ECSClient, out: TextIO,
               clock: Clock) -> LauncherResult:
    printer = Printer(out, clock)
    marker = started_by(context.run_id)
    reason = stop_reason("the workflow run was cancelled; stopped", context)
    stopped: list[str] = []
    failed: dict[str, str] = {}
    for arn in _running_tasks(ecs, settings, marker):
        try:
            ecs.stop_task(cluster=settings.cluster, task=arn, reason=reason)
        except (ClientError, BotoCoreError) as error:
            failed[arn] = str(error)
            printer.status(f"could not stop {arn}: {error}")
            continue
        printer.status(f"stopped {arn} ({reason})")
        stopped.append(arn)
    if failed:
        listed = "; ".join(f"{arn} ({why})" for arn, why in failed.items())
        message = (f"could not stop {len(failed)} of {len(failed) + len(stopped)} task(s) of run "
                   f"{context.run_id}: {listed}; stop them in the ECS console, or run this "
                   "command again")
        return LauncherResult.of(AWS_ERROR, message, error=message, stopped=stopped,
                                 notStopped=list(failed))
    if not stopped:
        printer.status(f"no running task was started by run {context.run_id} ({marker})")
    return LauncherResult.of(STOPPED, f"stopped {len(stopped)} task(s) of run {context.run_id}",
                             stopped=stopped)
