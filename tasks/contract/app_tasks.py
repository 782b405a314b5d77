"""Application tasks: the application's own commands, declared in stack config.

``admin-tasks:appTasks`` maps a task name to a description, one argv list (``command``)
or several run in order (``steps``), typed parameters, the secrets it receives and its
size. A parameter reaches the command only through a ``{name}`` placeholder inside one
argv element (:mod:`tasks.contract.argv_templates`).

Declarations are validated here, once, for the stack (which creates the task
definitions) and for the launcher (which validates parameters from the launch settings).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tasks.contract.app_task_settings import (
    SettingError,
    parse_app_secret_names,
    parse_environment,
    parse_working_directory,
)
from tasks.contract.argv_templates import (
    MAX_ARGUMENT_LENGTH,
    MAX_ARGUMENTS,
    MAX_STEPS,
    container_script,
    entry_point_argv,
    segments,
)
from tasks.contract.catalog import (
    DEFAULT_TIMEOUT_SECONDS,
    MAX_TIMEOUT_SECONDS,
    SECRET_INPUTS,
    TASK_NAME,
    SecretName,
)
from tasks.contract.errors import InvalidInput
from tasks.contract.parameters import ParameterSpec, app_parameter_env, parse_parameter
from tasks.contract.tenants import TENANT, TENANT_PLACEHOLDER

SECRET_NAMES: tuple[SecretName, ...] = tuple(SECRET_INPUTS)
# Names a POSIX shell (or bash, when /bin/sh is bash) runs as builtins or keywords
# rather than as a program: a step's program may be none of them.
SHELL_BUILTINS = frozenset({
    ".", ":", "[", "[[", "alias", "bg", "bind", "break", "builtin", "caller", "case", "cd",
    "command", "compgen", "complete", "continue", "declare", "dirs", "disown", "do", "done",
    "echo", "elif", "else", "enable", "esac", "eval", "exec", "exit", "export", "false", "fc",
    "fg", "fi", "for", "function", "getopts", "hash", "help", "history", "if", "jobs", "kill",
    "let", "local", "logout", "mapfile", "popd", "printf", "pushd", "pwd", "read", "readarray",
    "readonly", "return", "select", "set", "shift", "shopt", "source", "suspend", "test",
    "then", "time", "times", "trap", "true", "type", "typeset", "ulimit", "umask", "unalias",
    "unset", "until", "wait", "while", "{", "}", "!",
})
_FIELDS = {"description", "command", "steps", "previewSteps", "parameters", "secrets",
           "appSecrets", "environment", "workingDirectory", "timeoutSeconds", "cpu", "memory",
           "tenantSteps"}


class DeclarationError(InvalidInput):
    """A bad ``appTasks`` declaration: ``key`` is the dotted path below ``appTasks``."""

    def __init__(self, key: str, problem: str, fix: str) -> None:
        super().__init__(f"appTasks.{key} {problem}. Fix: {fix}")
        self.key, self.problem, self.fix = key, problem, fix


@dataclass(frozen=True)
class AppTask:
    """One application task, validated."""

    name: str
    description: str
    steps: tuple[tuple[str, ...], ...]
    parameters: tuple[ParameterSpec, ...]
    secrets: tuple[SecretName, ...]
    timeout_seconds: int
    cpu: int | None = None
    memory: int | None = None
    preview_steps: tuple[tuple[str, ...], ...] = ()
    """What ``--preview`` runs instead of ``steps`` (none: the task cannot preview)."""
    environment: tuple[tuple[str, str], ...] = ()
    """Plain variables of its container, sorted by name."""
    working_directory: str | None = None
    app_secrets: tuple[str, ...] = ()
    """Names of the stack's ``appSecrets`` it receives (each its own variable)."""
    tenant_steps: tuple[tuple[str, ...], ...] = ()
    """Run once per tenant after ``steps``, ``{tenant}`` holding its schema name."""


def entry_point(task: AppTask) -> list[str]:
    """The task definition's whole argv (ECS cannot override an entry point)."""
    return entry_point_argv(container_script(task.steps, task.parameters,
                                             preview_steps=task.preview_steps,
                                             tenant_steps=task.tenant_steps))


def parse_app_tasks(raw: object, builtin: Sequence[str],
                    app_secrets: Collection[str] = ()) -> tuple[AppTask, ...]:
    """Every declaration under ``appTasks``, validated; DeclarationError names the key.
    ``app_secrets``: the names the stack's ``appSecrets`` declares."""
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise DeclarationError("", "must map task names to declarations",
                               'e.g. {"clearsessions": {"description": "…", "command": […]}}')
    return tuple(parse_app_task(str(name), value, builtin, app_secrets)
                 for name, value in raw.items())


def parse_app_task(name: str, raw: object, builtin: Sequence[str],
                   app_secrets: Collection[str] = ()) -> AppTask:
    if not TASK_NAME.fullmatch(name):
        raise DeclarationError(name, "is not a valid task name", "use 1-40 lower-case letters, "
                               "digits and inner hyphens, starting with a letter")
    if name in builtin:
        raise DeclarationError(name, "has the name of a built-in task", "choose another name")
    if not isinstance(raw, Mapping):
        raise DeclarationError(name, "must be an object", "give description and command or steps")
    unknown = set(raw) - _FIELDS
    if unknown:
        raise DeclarationError(f"{name}.{sorted(unknown)[0]}", "is not a known field",
                               f"use only {sorted(_FIELDS)}")
    parameters = _parameters(name, raw.get("parameters", {}))
    steps = _steps(name, raw)
    preview = () if raw.get("previewSteps") is None else \
        _argv_lists(name, "previewSteps", raw["previewSteps"])
    tenant_steps = () if raw.get("tenantSteps") is None else \
        _argv_lists(name, "tenantSteps", raw["tenantSteps"])
    _check_placeholders(name, steps + preview, parameters, tenant_steps)
    try:
        environment = parse_environment(raw.get("environment"))
        directory = parse_working_directory(raw.get("workingDirectory"))
        secret_names = parse_app_secret_names(raw.get("appSecrets"), app_secrets)
    except SettingError as error:
        raise DeclarationError(f"{name}.{error.key}", error.problem, error.fix) from None
    return AppTask(name=name, description=_one_line(name, raw.get("description")),
                   steps=steps, parameters=parameters, secrets=_secrets(name, raw),
                   timeout_seconds=_integer(name, "timeoutSeconds", raw.get(
                       "timeoutSeconds", DEFAULT_TIMEOUT_SECONDS), 60, MAX_TIMEOUT_SECONDS),
                   cpu=_optional_size(name, "cpu", raw), memory=_optional_size(name, "memory", raw),
                   preview_steps=preview, environment=environment,
                   working_directory=directory, app_secrets=secret_names,
                   tenant_steps=tenant_steps)


def _one_line(name: str, raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 200 or not raw.isprintable():
        raise DeclarationError(f"{name}.description", "must be one printable line",
                               "describe the task in at most 200 characters")
    return raw


def _parameters(name: str, raw: object) -> tuple[ParameterSpec, ...]:
    if not isinstance(raw, Mapping):
        raise DeclarationError(f"{name}.parameters", "must map parameter names to declarations",
                               'e.g. {"days": {"type": "integer", "description": "…", "min": 1}}')
    specs = []
    for key, value in raw.items():
        if key == TENANT_PLACEHOLDER:
            raise DeclarationError(f"{name}.parameters.{key}", "takes the name of the reserved "
                                   "{tenant} placeholder", "choose another name; {tenant} is "
                                   "filled by admin-tasks in tenantSteps")
        try:
            specs.append(parse_parameter(str(key), value, env_var=app_parameter_env(str(key))))
        except InvalidInput as error:
            raise DeclarationError(f"{name}.parameters.{key}", "is invalid",
                                   str(error)) from None
    return tuple(specs)


def _steps(name: str, raw: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
    if ("command" in raw) == ("steps" in raw):
        raise DeclarationError(name, "needs exactly one of command or steps",
                               "give one argv list as command, or a list of argv lists as steps")
    key = "command" if "command" in raw else "steps"
    return _argv_lists(name, key, [raw["command"]] if key == "command" else raw["steps"])


def _argv_lists(name: str, key: str, steps: object) -> tuple[tuple[str, ...], ...]:
    if not isinstance(steps, list) or not 0 < len(steps) <= MAX_STEPS:
        raise DeclarationError(f"{name}.{key}", f"must hold 1-{MAX_STEPS} argv lists",
                               'e.g. ["python", "manage.py", "clearsessions"]')
    for index, step in enumerate(steps):
        where = f"{name}.{key}" + ("" if key == "command" else f"[{index}]")
        if (not isinstance(step, list) or not 0 < len(step) <= MAX_ARGUMENTS
                or not all(isinstance(a, str) and "\0" not in a and len(a) <= MAX_ARGUMENT_LENGTH
                           for a in step) or not step[0]):
            raise DeclarationError(where, "is empty or not an argv list of strings",
                                   'list the program and its arguments, e.g. ["python", '
                                   '"manage.py", "migrate", "--noinput"]')
        if "{" in step[0].replace("{{", ""):
            raise DeclarationError(f"{where}[0]", "puts a parameter in the program's name",
                                   "name the program literally; parameters go in arguments")
        if step[0] in SHELL_BUILTINS:
            raise DeclarationError(f"{where}[0]", f"is the shell builtin {step[0]!r}, which "
                                   "the step's shell would run itself (eval would read a "
                                   "value as shell code, exit would skip the steps after it)",
                                   "name a program, e.g. python or /usr/bin/env")
    return tuple(tuple(step) for step in steps)


def _check_placeholders(name: str, steps: tuple[tuple[str, ...], ...],
                        parameters: tuple[ParameterSpec, ...],
                        tenant_steps: tuple[tuple[str, ...], ...] = ()) -> None:
    """Every placeholder names a parameter (``{tenant}`` too, in ``tenantSteps`` only) and
    every parameter is used."""
    used: set[str] = set()
    numbered = [(f"step {i + 1}", step, parameters) for i, step in enumerate(steps)]
    numbered += [(f"tenant step {i + 1}", step, (*parameters, TENANT))
                 for i, step in enumerate(tenant_steps)]
    for where, step, known in numbered:
        for position, element in enumerate(step):
            try:
                parts = segments(element, known)
            except ValueError as error:
                raise DeclarationError(f"{name} {where} argument {position}",
                                       f"{element!r} {error}",
                                       "declare the parameter under parameters, or fix the "
                                       "braces") from None
            used |= {p.name for p in parts if isinstance(p, ParameterSpec)}
    unused = [p.name for p in parameters if p.name not in used]
    if unused:
        raise DeclarationError(f"{name}.parameters.{unused[0]}", "is not used by any {"
                               f"{unused[0]}}} placeholder", "use it in an argument, or remove it")


def _secrets(name: str, raw: Mapping[str, Any]) -> tuple[SecretName, ...]:
    value = raw.get("secrets", ["database"])
    if (not isinstance(value, list) or len(set(map(str, value))) != len(value)
            or not all(item in SECRET_NAMES for item in value)):
        raise DeclarationError(f"{name}.secrets", f"must list some of {list(SECRET_NAMES)}, "
                               "each once", "e.g. [database]")
    return tuple(item for item in SECRET_NAMES if item in value)


def _integer(name: str, key: str, raw: object, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise DeclarationError(f"{name}.{key}", f"must be a whole number from {low} to {high}",
                               f"set {key} within that range")
    return raw


def _optional_size(name: str, key: str, raw: Mapping[str, Any]) -> int | None:
    return None if raw.get(key) is None else _integer(name, key, raw[key], 256, 122880)
