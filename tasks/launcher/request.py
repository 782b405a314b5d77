"""Turning an operator's request into one RunTask call, checked before any AWS call.

Everything here is pure: the same arguments and environment give the same request,
byte for byte, which is what ``--dry-run`` prints and what a retry sends again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tasks.contract.context import APPROVAL_COMMENT_VARIABLE, APPROVED_BY_VARIABLE, RunContext
from tasks.contract.outcome import RESULT_KEY_VARIABLE
from tasks.contract.settings import LaunchSettings, TaskSettings
from tasks.contract.tenants import CONTROLS_VARIABLE, WORKER_VARIABLE
from tasks.launcher.inputs import CheckedInputs

STARTED_BY_PREFIX = "admin-tasks/"
MAX_STARTED_BY = 128
MAX_TAG_VALUE = 256
MAX_STOP_REASON = 255
_NOT_STARTED_BY = re.compile(r"[^A-Za-z0-9_-]")
_NOT_TAG_VALUE = re.compile(r"[^\w .:/=+@-]")


def started_by(run_id: str) -> str:
    """ECS ``startedBy`` for a run: at most 128 characters of [A-Za-z0-9_/-]."""
    value = STARTED_BY_PREFIX + _NOT_STARTED_BY.sub("-", run_id)
    if len(value) <= MAX_STARTED_BY:
        return value
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:16]
    return f"{value[:MAX_STARTED_BY - 17]}-{digest}"


def stop_reason(why: str, context: RunContext) -> str:
    return f"admin-tasks: {why} by {context.actor} (run {context.run_id})"[:MAX_STOP_REASON]


def stop_command(run_id: str, environment: str) -> str:
    """What an operator types to stop the tasks of a run the launcher could not stop."""
    return f"python -m tasks stop --run-id {run_id} --environment {environment}"


@dataclass(frozen=True)
class LaunchRequest:
    """A validated request to run one task once, with the approval it was given."""

    inputs: CheckedInputs
    settings: LaunchSettings
    task: TaskSettings
    repository: str
    reviewed_in_github: bool = False
    """Whether this is a GitHub run (whose approvals were read), not a terminal's."""
    result_key: str | None = None
    """Sent to the reporting container (a built-in task's, or an application task's
    recorder; never to the application's), repeated in its result line: only a line with
    this key and the run id is the task's result, so no line of the application's output
    can pass for one."""
    worker: int = 1
    """Which of a tenant run's ECS tasks this request starts (1 to ``--parallel``)."""

    @property
    def task_name(self) -> str:
        return self.inputs.task_name

    @property
    def context(self) -> RunContext:
        return self.inputs.context

    @property
    def timeout_seconds(self) -> int:
        return self.inputs.timeout_seconds

    @property
    def preview(self) -> bool:
        return self.inputs.preview

    @property
    def started_by(self) -> str:
        return started_by(self.context.run_id)

    @property
    def stop_command(self) -> str:
        return stop_command(self.context.run_id, self.settings.environment)

    def overrides(self, *, reporting: bool = True) -> list[tuple[str, str]]:
        """A container's environment overrides: every input, as values, never a command;
        the result key only for the reporting container."""
        context = self.context
        environment = [(given.env_var, given.value) for given in self.inputs.parameters]
        environment += [("ADMIN_TASK_ACTOR", context.actor), ("ADMIN_TASK_RUN_ID", context.run_id),
                        ("ADMIN_TASK_REASON", context.reason)]
        if context.approved_by:
            environment.append((APPROVED_BY_VARIABLE, ",".join(context.approved_by)))
        if context.approval_comment:
            environment.append((APPROVAL_COMMENT_VARIABLE, context.approval_comment))
        if self.preview:
            environment.append(("ADMIN_TASK_PREVIEW", "true"))
        if self.result_key is not None and reporting:
            environment.append((RESULT_KEY_VARIABLE, self.result_key))
        controls = self.inputs.tenant_controls
        if controls is not None and reporting:  # the recorder keeps the ledger; not the app
            environment += [(CONTROLS_VARIABLE, controls.to_json()),
                            (WORKER_VARIABLE, str(self.worker))]
        return environment

    def is_result(self, line: Mapping[str, Any]) -> bool:
        """Whether a parsed JSON line is this task's result line, bound to this run."""
        return (self.result_key is not None and line.get("resultKey") == self.result_key
                and line.get("runId") == self.context.run_id)

    def container_overrides(self) -> list[dict[str, Any]]:
        """The task's container, then an application task's recorder (the same inputs,
        which it records, and the result key)."""
        names = dict.fromkeys((self.task.container, self.task.reporting_container))
        return [{"name": name, "environment": [
            {"name": key, "value": value} for key, value in
            self.overrides(reporting=name == self.task.reporting_container)]} for name in names]

    def run_task_request(self, revision: str | None = None) -> dict[str, Any]:
        """The RunTask parameters; the clientToken is a digest of everything else.
        ``revision``: the task definition revision whose image was checked (else the
        family, as ``--dry-run`` shows it)."""
        approved_by = " ".join(self.context.approved_by or ()) or "not-reviewed"
        request: dict[str, Any] = {
            "cluster": self.settings.cluster,
            "taskDefinition": revision or self.task.task_definition,
            "launchType": "FARGATE",
            "count": 1,
            "startedBy": self.started_by,
            # The launcher role may only start tasks without ECS Exec (a shell into the
            # container next to the database credentials): say so explicitly.
            "enableExecuteCommand": False,
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": list(self.settings.subnets),
                "securityGroups": list(self.settings.security_groups),
                "assignPublicIp": "ENABLED" if self.settings.assign_public_ip else "DISABLED",
            }},
            "overrides": {"containerOverrides": self.container_overrides()},
            # admin-tasks:environment is what the launcher role's StopTask is scoped to.
            "tags": [{"key": f"admin-tasks:{key}", "value": _tag_value(value)} for key, value in
                     (("actor", self.context.actor), ("run", self.context.run_id),
                      ("repository", self.repository), ("task", self.task_name),
                      ("environment", self.settings.environment),
                      ("approved-by", approved_by), ("preview", str(self.preview).lower()),
                      ("image-digest", self.task.image_digest or "unpinned"),
                      *self._worker_tag())],
        }
        canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
        request["clientToken"] = hashlib.sha256(canonical.encode()).hexdigest()  # 64 characters
        return request


    def _worker_tag(self) -> tuple[tuple[str, str], ...]:
        controls = self.inputs.tenant_controls
        return () if controls is None else (("worker", f"{self.worker}/{controls.parallel}"),)


def _tag_value(value: str) -> str:
    return _NOT_TAG_VALUE.sub("_", value)[:MAX_TAG_VALUE] or "_"


def build_request(inputs: CheckedInputs, settings: LaunchSettings,
                  environ: Mapping[str, str]) -> LaunchRequest:
    """The request for checked inputs (their contract came from these settings)."""
    task = settings.tasks[inputs.task_name]
    return LaunchRequest(inputs=inputs, settings=settings, task=task,
                         repository=environ.get("GITHUB_REPOSITORY") or "local",
                         reviewed_in_github=environ.get("GITHUB_ACTIONS") == "true",
                         result_key=result_key(inputs.context.run_id, environ))


def result_key(run_id: str, environ: Mapping[str, str]) -> str:
    """The result key of a run: an HMAC of its id under the job's GITHUB_TOKEN, so a
    launcher started again for the same attempt sends the same request (and clientToken),
    while nothing in the container can know it before the launcher sends it. Outside
    GitHub the run id is itself drawn at random (``local-…``)."""
    secret = environ.get("GITHUB_TOKEN") or run_id
    return hmac.new(secret.encode(), f"admin-tasks result key {run_id}".encode(),
                    hashlib.sha256).hexdigest()[:32]
