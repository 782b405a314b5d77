"""What an operator asked for, validated before any AWS call.

One set of checks serves ``run --check`` (before a reviewer is asked), ``--dry-run`` and
a real run: the task and its parameters are checked against the task's contract — from
the launch settings when there are any, else from the built-in catalog — with the same
validators the container uses.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote

from tasks.catalog import MAX_TIMEOUT_SECONDS, get_task, task_names
from tasks.context import (
    MAX_ACTOR_LENGTH,
    RunContext,
    bounded_line,
    context_from_environment,
    local_user,
)
from tasks.errors import InvalidInput
from tasks.settings import LaunchSettings
from tasks.task_settings import TaskContract
from tasks.validation import validate_environment_name, validate_reason

MAX_PARAMS_LENGTH = 4096
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class GivenParameter:
    """A validated parameter value and the variable it travels in."""

    name: str
    env_var: str
    value: str


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

    @property
    def values(self) -> dict[str, str]:
        return {given.name: given.value for given in self.parameters}

    def argv(self) -> list[list[str]]:
        """What will run in the container, values in place."""
        return self.contract.argv(self.values)

    def digest(self) -> str:
        """A digest of the request a reviewer is shown and of everything the settings say
        about starting it (task definition, container, each parameter's variable, network,
        approval rule): the gated job recomputes it from the deployed settings and refuses
        to start anything else."""
        shown = {"task": self.task_name, "environment": self.environment,
                 "argv": self.argv(), "parameters": self.values,
                 "reason": self.context.reason, "timeoutSeconds": self.timeout_seconds,
                 "preview": self.preview, "settings": self.binding}
        return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


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


def params_query(query: str) -> list[str]:
    """The workflow's ``params`` input: ``name=value`` pairs joined by ``&``; inside a name
    or value ``%XX`` is a UTF-8 escape, so ``&`` is ``%26``, ``%`` is ``%25`` (``+`` and
    ``=`` in a value are themselves). Returns ``--param`` strings."""
    if query == "":
        return []
    if len(query) > MAX_PARAMS_LENGTH:
        raise InvalidInput(f"the params input is {len(query)} characters long; at most "
                           f"{MAX_PARAMS_LENGTH}")
    pairs = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if not equals or not name:
            raise InvalidInput(f"the params input has {part!r}, not name=value: separate pairs "
                               "with & and write a literal & as %26, e.g. days=90&schema=acme")
        pairs.append(f"{_unescape(name)}={_unescape(value)}")
    return pairs


def _unescape(text: str) -> str:
    if _LONE_PERCENT.search(text):
        raise InvalidInput("the params input has a % that starts no escape: write a literal % "
                           "as %25 (and & as %26)")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise InvalidInput("the params input has %-escapes that are not UTF-8") from None


def parse_parameters(task_name: str, contract: TaskContract,
                     raw_params: Sequence[str]) -> tuple[GivenParameter, ...]:
    """``KEY=VALUE`` strings → validated parameters, each given once, none unknown."""
    given: dict[str, str] = {}
    for raw in raw_params:
        name, equals, value = raw.partition("=")
        if not equals or not name:
            raise InvalidInput(f"--param {raw!r} is malformed: use --param KEY=VALUE")
        if name in given:
            raise InvalidInput(f"--param {name} is given twice: pass each parameter once")
        if name not in {p.name for p in contract.parameters}:
            known = ", ".join(p.name for p in contract.parameters) or "none"
            raise InvalidInput(f"task {task_name} has no parameter {name!r} (its parameters: "
                               f"{known})")
        given[name] = value
    found = []
    for parameter in contract.parameters:
        if parameter.name in given:
            found.append(GivenParameter(parameter.name, parameter.env_var,
                                        parameter.validate(given[parameter.name])))
        elif parameter.required:
            raise InvalidInput(f"task {task_name} needs --param {parameter.name}=… "
                               f"({parameter.description})")
    return tuple(found)


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


def check_inputs(*, task_name: str, environment: str, raw_params: Sequence[str], reason: str,
                 timeout: int | None, preview: bool, environ: Mapping[str, str],
                 settings: LaunchSettings | None) -> CheckedInputs:
    """Every exit-2 check of a request; ``settings`` None checks built-in tasks only."""
    validate_environment_name(environment)
    contract = task_contract(task_name, environment, settings)
    parameters = parse_parameters(task_name, contract, raw_params)
    context = run_context(environ, reason)
    if timeout is not None and not 0 < timeout <= MAX_TIMEOUT_SECONDS:
        raise InvalidInput(f"--timeout must be 1 to {MAX_TIMEOUT_SECONDS} seconds (the launcher's "
                           f"credentials last one hour), got {timeout}")
    if preview and not contract.previewable:
        raise InvalidInput(f"task {task_name} runs the application's own command, which has no "
                           "preview: run it without --preview")
    binding = settings.binding(task_name) if settings is not None else asdict(contract)
    return CheckedInputs(task_name=task_name, environment=environment, contract=contract,
                         parameters=parameters, context=context,
                         timeout_seconds=timeout or contract.timeout_seconds, preview=preview,
                         binding=binding)
