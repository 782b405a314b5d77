"""What an operator asked for, validated before any AWS call, in one pass.

:func:`check_run` is the one place a ``run``'s arguments are checked, in this order: the
environment, the launch settings (``--settings`` or ADMIN_TASKS_SETTINGS; only built-in
tasks can be checked without them), the approved-request digest's shape, the task, its
parameters, who asks and why, the timeout and ``--preview``. One set of checks serves
``run --check`` (before a reviewer is asked), ``--dry-run`` and a real run, with the same
validators the container uses.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from tasks.contract.argv_templates import render_steps
from tasks.contract.catalog import MAX_TIMEOUT_SECONDS, get_task, task_names
from tasks.contract.context import (
    MAX_ACTOR_LENGTH,
    RunContext,
    bounded_line,
    context_from_environment,
    local_user,
)
from tasks.contract.errors import InvalidInput
from tasks.contract.settings import LaunchSettings
from tasks.contract.task_settings import TaskContract
from tasks.contract.tenants import TENANT, TENANT_PLACEHOLDER, TenantControls, tenant_controls
from tasks.contract.validation import validate_environment_name, validate_reason
from tasks.launcher.approved import SETTINGS, TASK_SETTINGS, TOKEN, request_token
from tasks.launcher.params import GivenParameter, params_query, parse_parameters
from tasks.launcher.settings_input import SETTINGS_VARIABLE, load_launch_settings


@dataclass(frozen=True)
class CheckedInputs:
    """Everything the operator asked for, validated; what a reviewer approves."""

    task_name: str
    environment: str
    contract: TaskContract
    parameters: tuple[GivenParameter, ...]
    context: RunContext
    timeout_seconds: int
    preview: bool
    binding: Mapping[str, Any]
    """What the launch settings say about starting the task (or, without settings, its
    built-in contract): bound by the digest with the request itself."""
    tenant_controls: TenantControls | None = None
    """A tenant task's controls (``--canary`` …); None for any other task."""

    @property
    def values(self) -> dict[str, str]:
        return {given.name: given.value for given in self.parameters}

    def argv(self) -> list[list[str]]:
        """What will run in the container, values in place (an application task's
        ``previewSteps`` for a preview)."""
        return self.contract.argv(self.values, preview=self.preview)

    def tenant_argv(self) -> list[list[str]]:
        """What runs for each tenant, values in place and ``{tenant}`` left as it is."""
        values = {**self.values, TENANT_PLACEHOLDER: "{tenant}"}
        return render_steps(self.contract.tenant_steps, (*self.contract.parameters, TENANT),
                            values)

    def _shown(self) -> dict[str, Any]:
        tenant_run = None if self.tenant_controls is None else {
            **self.tenant_controls.to_document(), "argv": self.tenant_argv()}
        return {"task": self.task_name, "environment": self.environment,
                "argv": self.argv(), "parameters": self.values,
                "reason": self.context.reason, "timeoutSeconds": self.timeout_seconds,
                "preview": self.preview, "settings": self.binding, "tenantRun": tenant_run}

    def digest(self) -> str:
        """A digest of the request a reviewer is shown and of everything the settings say
        about starting it (task definition, container, image, each parameter's variable,
        network, approval rule): the gated job recomputes it from the deployed settings and
        refuses to start anything else."""
        return hashlib.sha256(json.dumps(self._shown(), sort_keys=True).encode()).hexdigest()

    def parts(self) -> dict[str, Any]:
        """The request part by part, to name what differs when a digest does
        (:mod:`tasks.launcher.approved`): what the operator gave (a timeout only when it is
        not the task's own), then each value of the launch settings."""
        binding = dict(self.binding)
        task = binding.pop("task", {})
        given = None if self.timeout_seconds == self.contract.timeout_seconds \
            else self.timeout_seconds
        return {"task": self.task_name, "environment": self.environment,
                "parameters": self.values, "reason": self.context.reason,
                "preview": self.preview, "timeout": given,
                "tenantRun": None if self.tenant_controls is None
                else self.tenant_controls.to_document(),
                **{f"{SETTINGS}{key}": value for key, value in binding.items()},
                **{f"{TASK_SETTINGS}{key}": value for key, value in task.items()}}

    def token(self) -> str:
        """The check job's ``request`` output: the digest, then each part's short digest."""
        return request_token(self.digest(), self.parts())


_GITHUB_RUN = re.compile(r"[1-9][0-9]{0,19}-[1-9][0-9]{0,5}", re.ASCII)


def actor_from(environ: Mapping[str, str]) -> str:
    """Who asked: on a re-run GITHUB_ACTOR is still the first run's starter, while
    GITHUB_TRIGGERING_ACTOR is whoever clicked Re-run; outside GitHub, the OS user."""
    return environ.get("GITHUB_TRIGGERING_ACTOR") or environ.get("GITHUB_ACTOR") or local_user()


def run_context(environ: Mapping[str, str], reason: str) -> RunContext:
    """Who and which run, checked with the container's own rules so it cannot refuse them."""
    validate_reason(reason, required=True)
    actor = bounded_line("the actor (GITHUB_TRIGGERING_ACTOR, else GITHUB_ACTOR, else your OS "
                         "user name)", actor_from(environ), MAX_ACTOR_LENGTH)
    if environ.get("GITHUB_RUN_ID"):
        run_id = f"{environ['GITHUB_RUN_ID']}-{environ.get('GITHUB_RUN_ATTEMPT') or '1'}"
        if not _GITHUB_RUN.fullmatch(run_id):
            raise InvalidInput("GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT must be numbers (GitHub "
                               "sets them; outside GitHub Actions leave them unset)")
    else:
        run_id = f"local-{secrets.token_hex(6)}"
    return context_from_environment(
        {"ADMIN_TASK_ACTOR": actor, "ADMIN_TASK_RUN_ID": run_id, "ADMIN_TASK_REASON": reason})


def task_contract(task_name: str, environment: str,
                  settings: LaunchSettings | None) -> TaskContract:
    """The task's contract: from the launch settings, else (built-in tasks) the catalog."""
    if task_name in task_names() and not (entry := get_task(task_name)).enabled_in(environment):
        raise InvalidInput(f"task {task_name} is not enabled in {environment} "
                           f"(catalog: {', '.join(sorted(entry.environments or ()))})")
    if settings is not None:
        task = settings.tasks.get(task_name)
        if task is not None:
            return task
        if task_name in task_names():
            raise InvalidInput(f"the {environment} stack has no task definition for {task_name}: "
                               "run `pulumi up` for it, then re-export ADMIN_TASKS_SETTINGS")
        raise InvalidInput(f"unknown task {task_name!r}{_did_you_mean(task_name, settings.tasks)}: "
                           f"the {environment} stack has {', '.join(sorted(settings.tasks))}")
    if task_name not in task_names():
        raise InvalidInput(
            f"unknown task {task_name!r}{_did_you_mean(task_name, task_names())}: the "
            f"built-in tasks are {', '.join(task_names())}; "
            "an application task is checked against launch settings: pass --settings FILE "
            f"(`python -m infra.render_settings --environment {environment}` renders them)")
    return TaskContract.built_in(get_task(task_name))


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def check_run(args: argparse.Namespace, environ: Mapping[str, str], *,
              settings_required: bool) -> tuple[CheckedInputs, LaunchSettings | None]:
    """Every exit-2 check of ``run``, once each; the settings are None only when none were
    given and ``settings_required`` is false (``--check`` of a built-in task)."""
    validate_environment_name(args.environment)
    settings = None
    if settings_required or args.settings or environ.get(SETTINGS_VARIABLE):
        settings = load_launch_settings(args.settings, environ, args.environment)
    if args.approved_request is not None and not TOKEN.fullmatch(args.approved_request):
        raise InvalidInput(f"--approved-request {args.approved_request[:80]!r} is not a request "
                           "digest: pass the check job's request output (64 hex digits, "
                           "then a short digest of each part)")
    inputs = check_inputs(task_name=args.task, environment=args.environment,
                          raw_params=[*args.param, *params_query(args.params)],
                          reason=args.reason, timeout=args.timeout, preview=args.preview,
                          environ=environ, settings=settings)
    controls = check_tenant_controls(args, inputs)
    return replace(inputs, tenant_controls=controls) if controls else inputs, settings


TENANT_FLAGS = ("canary", "on_failure", "parallel", "tenants", "resume")


def check_tenant_controls(args: argparse.Namespace,
                          inputs: CheckedInputs) -> TenantControls | None:
    """``--canary`` … for a tenant task (defaults filled in); any of them for another
    task, or with ``--preview`` (which runs no tenant), is exit 2."""
    given = {flag: getattr(args, flag, None) for flag in TENANT_FLAGS}
    named = [f"--{flag.replace('_', '-')}" for flag, value in given.items() if value is not None]
    source = inputs.contract.tenant_source
    if source is None or inputs.preview:
        if named:
            why = ("a preview runs the steps' preview only, no tenant" if source is not None
                   else f"task {inputs.task_name} declares no tenantSteps")
            raise InvalidInput(f"{', '.join(named)}: {why}; leave {named[0]} out")
        return None
    return tenant_controls(
        canary=1 if given["canary"] is None else given["canary"],
        on_failure=given["on_failure"] or "stop",
        parallel=1 if given["parallel"] is None else given["parallel"],
        tenants=given["tenants"], resume=given["resume"], environment=inputs.environment,
        task=inputs.task_name, max_parallel=source.max_parallel_tasks)


def check_inputs(*, task_name: str, environment: str, raw_params: Sequence[str], reason: str,
                 timeout: int | None, preview: bool, environ: Mapping[str, str],
                 settings: LaunchSettings | None) -> CheckedInputs:
    """The task-level checks of :func:`check_run`, for an environment already validated
    (and the settings loaded for it); ``settings`` None checks built-in tasks only."""
    contract = task_contract(task_name, environment, settings)
    parameters = parse_parameters(task_name, contract, raw_params)
    context = run_context(environ, reason)
    if timeout is not None and not 0 < timeout <= MAX_TIMEOUT_SECONDS:
        raise InvalidInput(f"--timeout must be 1 to {MAX_TIMEOUT_SECONDS} seconds (the launcher's "
                           f"credentials last one hour), got {timeout}")
    if preview and not contract.previewable:
        raise InvalidInput(f"task {task_name} declares no previewSteps, so it has no preview: "
                           "run it without --preview, or declare previewSteps for it")
    binding = settings.binding(task_name) if settings is not None else asdict(contract)
    return CheckedInputs(task_name=task_name, environment=environment, contract=contract,
                         parameters=parameters, context=context,
                         timeout_seconds=timeout or contract.timeout_seconds, preview=preview,
                         binding=binding)
