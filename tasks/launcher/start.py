"""RunTask, and what to do when its answer never came back.

Every attempt of one RunTask (botocore's retries, or a re-run of the step in the same
run attempt) carries the same ``clientToken``, so ECS starts at most one task for it.
When the last attempt times out or loses its connection, an earlier one may still
have started the task: the launcher then looks for it by ``startedBy`` and follows it,
rather than report a failure while a task runs unwatched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError

from tasks.contract.errors import Refused, TaskFailedToStart
from tasks.launcher.aws import Clients, aws_failure, may_have_been_done
from tasks.launcher.output import Printer
from tasks.launcher.request import LaunchRequest
from tasks.launcher.results import AwsCallFailed
from tasks.launcher.summary import console_url, review_words

# ListTasks is eventually consistent: a task accepted a moment ago may not be listed yet.
FIND_ATTEMPTS = 3
FIND_PAUSE_SECONDS = 2.0
_LISTED: tuple[Literal["RUNNING"], Literal["STOPPED"]] = ("RUNNING", "STOPPED")


def start(request: LaunchRequest, clients: Clients, printer: Printer,
          sleep: Callable[[float], None], known: frozenset[str] = frozenset()) -> str:
    """RunTask of the revision whose image was checked; a ``failures[]`` entry or an empty
    ``tasks[]`` is a failure to start. ``known``: the run's tasks already followed (a
    tenant run starts its tasks one after another), which a lookup after a lost answer
    must not take for this one."""
    revision = checked_revision(request, clients)
    try:
        response = clients.ecs.run_task(**request.run_task_request(revision))
    except (ClientError, BotoCoreError) as error:
        if not may_have_been_done(error):  # ECS answered no (AccessDenied, InvalidParameter…)
            raise aws_failure("ecs:RunTask", error) from None
        task_arn = _find_started_task(request, clients, printer, sleep, error, known)
    else:
        tasks = response.get("tasks") or []
        failures = response.get("failures") or []
        if failures or not tasks:
            detail = "; ".join(" ".join(str(f.get(key, "")) for key in ("reason", "detail", "arn")
                                        if f.get(key)) for f in failures)
            raise TaskFailedToStart(f"ECS did not start {request.task_name}: "
                                    f"{detail or 'no task in the RunTask response'}")
        task_arn = str(tasks[0]["taskArn"])
    review = review_words(request.context.approved_by, request.reviewed_in_github)
    printer.status(f"started {request.task_name} on {request.settings.environment} as {task_arn} "
                   f"(actor {request.context.actor}, run {request.context.run_id}, {review})")
    printer.status("console: " + console_url(request.settings.region, request.settings.cluster,
                                             task_arn))
    return task_arn


def checked_revision(request: LaunchRequest, clients: Clients) -> str:
    """The ARN of the family's current revision, if its container runs the image of the
    approved request (else exit 3): RunTask then names that revision, so a ``pulumi up``
    between this check and the start cannot swap the image."""
    family = request.task.task_definition
    try:
        described = clients.ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    except (ClientError, BotoCoreError) as error:
        raise aws_failure("ecs:DescribeTaskDefinition", error) from None
    images = {str(c.get("name")): str(c.get("image"))
              for c in described.get("containerDefinitions") or []}
    image = images.get(request.task.container, "no such container")
    if image != request.task.image_ref:
        raise Refused(f"the task definition {described.get('taskDefinitionArn', family)} runs "
                      f"{image[:200]}, not {request.task.image_ref}, the image of the approved "
                      "request: the stack changed since the request was shown (or its settings "
                      "are stale); nothing was started. Start a new run, so that a reviewer "
                      "approves the image that will run")
    return str(described["taskDefinitionArn"])


def _find_started_task(request: LaunchRequest, clients: Clients, printer: Printer,
                       sleep: Callable[[float], None], error: BotoCoreError | ClientError,
                       known: frozenset[str]) -> str:
    printer.status(f"ecs:RunTask got no answer after its retries ({error}); looking for a task "
                   f"started by this run ({request.started_by})")
    for attempt in range(FIND_ATTEMPTS):
        if attempt:
            sleep(FIND_PAUSE_SECONDS)
        try:
            found = [arn for status in _LISTED
                     for page in clients.ecs.get_paginator("list_tasks").paginate(
                         cluster=request.settings.cluster, startedBy=request.started_by,
                         desiredStatus=status)
                     for arn in page.get("taskArns", []) if arn not in known]
        except (ClientError, BotoCoreError) as listing:
            raise AwsCallFailed(
                f"ecs:RunTask failed ({error}) and listing the run's tasks failed too "
                f"({listing}): a task may have started; check the ECS console, or stop it "
                f"with: {request.stop_command}") from None
        if found:
            return str(found[0])
    others = f" other than the {len(known)} already followed" if known else ""
    raise AwsCallFailed(f"ecs:RunTask failed: {error}; ECS has no task started by run "
                        f"{request.context.run_id} ({request.started_by}){others}: nothing "
                        "was started")
