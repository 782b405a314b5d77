"""Turning an operator's request into one RunTask call, checked before any AWS call.

Everything here is pure: the same arguments and environment give the same request,
byte for byte, which is what ``--dry-run`` prints and what a retry sends again.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tasks.catalog import MAX_TIMEOUT_SECONDS, CatalogEntry, get_task
from tasks.context import RunContext, context_from_environment, local_user
from tasks.errors import InvalidInput
from tasks.launcher.settings_input import load_launch_settings
from tasks.settings import LaunchSettings, TaskSettings
from tasks.validation import validate_environment_name, validate_reason

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


def run_context(environ: Mapping[str, str], reason: str) -> RunContext:
    """Who and which run, checked with the container's own rules so it cannot refuse them."""
    validate_reason(reason, required=True)
    if environ.get("GITHUB_RUN_ID"):
        run_id = f"{environ['GITHUB_RUN_ID']}-{environ.get('GITHUB_RUN_ATTEMPT') or '1'}"
    else:
        run_id = f"local-{secrets.token_hex(6)}"
    return context_from_environment(
        {"ADMIN_TASK_ACTOR": actor_from(environ), "ADMIN_TASK_RUN_ID": run_id,
         "ADMIN_TASK_REASON": reason})


def actor_from(environ: Mapping[str, str]) -> str:
    """Who asked: on a re-run GITHUB_ACTOR is still the first run's starter, while
    GITHUB_TRIGGERING_ACTOR is whoever clicked Re-run; outside GitHub, the OS user."""
    return environ.get("GITHUB_TRIGGERING_ACTOR") or environ.get("GITHUB_ACTOR") or local_user()


def stop_command(run_id: str, environment: str) -> str:
    """What an operator types to stop the tasks of a run the launcher could not stop."""
    return f"python -m tasks stop --run-id {run_id} --environment {environment}"


def parse_parameters(entry: CatalogEntry, raw_params: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """``KEY=VALUE`` pairs → (env var, validated value), in the catalog's order."""
    given: dict[str, str] = {}
    for raw in raw_params:
        name, equals, value = raw.partition("=")
        if not equals or not name:
            raise InvalidInput(f"--param {raw!r} is malformed: use --param KEY=VALUE")
        if name in given:
            raise InvalidInput(f"--param {name} is given twice: pass each parameter once")
        entry.parameter(name)  # unknown name → InvalidInput listing the known ones
        given[name] = value
    pairs = []
    for parameter in entry.parameters:
        if parameter.name not in given:
            if parameter.required:
                raise InvalidInput(f"task {entry.name} needs --param {parameter.name}=… "
                                   f"({parameter.description})")
            continue
        pairs.append((parameter.env_var, parameter.validator(given[parameter.name])))
    return tuple(pairs)


@dataclass(frozen=True)
class LaunchRequest:
    """A validated request to run one catalog task once."""

    entry: CatalogEntry
    settings: LaunchSettings
    task: TaskSettings
    parameters: tuple[tuple[str, str], ...]
    context: RunContext
    repository: str
    timeout_seconds: int

    @property
    def started_by(self) -> str:
        return started_by(self.context.run_id)

    @property
    def stop_command(self) -> str:
        return stop_command(self.context.run_id, self.settings.environment)

    def run_task_request(self) -> dict[str, Any]:
        """The RunTask parameters; the clientToken is a digest of everything else."""
        environment = [*self.parameters, ("ADMIN_TASK_ACTOR", self.context.actor),
                       ("ADMIN_TASK_RUN_ID", self.context.run_id),
                       ("ADMIN_TASK_REASON", self.context.reason)]
        request: dict[str, Any] = {
            "cluster": self.settings.cluster,
            "taskDefinition": self.task.task_definition,
            "launchType": "FARGATE",
            "count": 1,
            "startedBy": self.started_by,
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": list(self.settings.subnets),
                "securityGroups": list(self.settings.security_groups),
                "assignPublicIp": "ENABLED" if self.settings.assign_public_ip else "DISABLED",
            }},
            "overrides": {"containerOverrides": [{
                "name": self.task.container,
                "environment": [{"name": name, "value": value} for name, value in environment],
            }]},
            "tags": [{"key": f"admin-tasks:{key}", "value": _tag_value(value)} for key, value in
                     (("actor", self.context.actor), ("run", self.context.run_id),
                      ("repository", self.repository), ("task", self.entry.name))],
        }
        canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
        request["clientToken"] = hashlib.sha256(canonical.encode()).hexdigest()  # 64 characters
        return request


def _tag_value(value: str) -> str:
    return _NOT_TAG_VALUE.sub("_", value)[:MAX_TAG_VALUE] or "_"


@dataclass(frozen=True)
class CheckedInputs:
    """The operator's inputs, validated without the launch settings or any AWS call."""

    entry: CatalogEntry
    parameters: tuple[tuple[str, str], ...]
    context: RunContext
    timeout: int | None


def check_inputs(*, task_name: str, environment: str, raw_params: Sequence[str], reason: str,
                 timeout: int | None, environ: Mapping[str, str]) -> CheckedInputs:
    """Every exit-2 check that needs neither the launch settings nor AWS (``run --check``)."""
    validate_environment_name(environment)
    entry = get_task(task_name)
    if not entry.enabled_in(environment):
        raise InvalidInput(f"task {entry.name} is not enabled in {environment} "
                           f"(catalog: {', '.join(sorted(entry.environments or ()))})")
    parameters = parse_parameters(entry, raw_params)
    context = run_context(environ, reason)
    if timeout is not None and not 0 < timeout <= MAX_TIMEOUT_SECONDS:
        raise InvalidInput(f"--timeout must be 1 to {MAX_TIMEOUT_SECONDS} seconds (the launcher's "
                           f"credentials last one hour), got {timeout}")
    return CheckedInputs(entry, parameters, context, timeout)


def build_request(*, task_name: str, environment: str, raw_params: Sequence[str], reason: str,
                  timeout: int | None, settings_file: str | None,
                  environ: Mapping[str, str]) -> LaunchRequest:
    """Validate everything the operator passed; raise InvalidInput (exit 2) on the first problem."""
    checked = check_inputs(task_name=task_name, environment=environment, raw_params=raw_params,
                           reason=reason, timeout=timeout, environ=environ)
    entry = checked.entry
    settings = load_launch_settings(settings_file, environ, environment)
    task = settings.tasks.get(entry.name)
    if task is None:
        raise InvalidInput(f"the {environment} stack has no task definition for {entry.name}: "
                           "run `pulumi up` for it, then re-export ADMIN_TASKS_SETTINGS")
    # The stack derives the settings' timeoutSeconds from the catalog it was deployed with.
    return LaunchRequest(entry=entry, settings=settings, task=task, parameters=checked.parameters,
                         context=checked.context,
                         repository=environ.get("GITHUB_REPOSITORY") or "local",
                         timeout_seconds=(checked.timeout or task.timeout_seconds
                                          or entry.timeout_seconds))
