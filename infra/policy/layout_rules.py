"""Guardrail 5's layout part: what a container of an admin task definition runs is fixed by
the task definition, so that the reviewed task is the task that runs.

RunTask may override a container's `command` and `environment`, never its `entryPoint`: the
whole argv is the entry point, and no plain variable changes what the interpreter or the
dynamic loader loads. The forms are those infra/containers.py builds, kept here (not
imported) so that the pack checks the program against its own expectation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.policy.iam_rules import as_list

# The tasks image: `-I` ignores PYTHON* variables and the user site (tasks/contract/catalog.py).
TASKS_ENTRY_POINT = ["python", "-I", "-m", "tasks.container"]
# The application image: `/bin/sh -c <script> admin-tasks`, no `-p` (BusyBox refuses it). The
# script starts by resetting the options and removing the functions bash may have imported for
# the commands it uses, and refuses arguments a command override would append
# (tasks/contract/entry_script.py says why this holds on dash, bash and BusyBox).
APP_SHELL = ["/usr/bin/env", "-u", "SHELLOPTS", "-u", "BASHOPTS", "-u", "PS4", "-u", "BASH_ENV",
             "-u", "ENV", "/bin/sh", "-c"]
APP_ARGV0 = "admin-tasks"
APP_SCRIPT_START = "set +a +e +f +m +u +v +x\nunset -f command printf kill read wait\n"
# Every task definition's first container (tasks/contract/run_record.py): uid 0 with every
# capability dropped, so it may chmod the volumes Fargate creates root-owned, and nothing else.
PREPARE_ENTRY_POINT = ["/bin/chmod", "1777", "/tmp", "/run/admin-tasks"]  # noqa: S108 -- the task-local volume
RECORD_COMMAND = "record-app-run"
# The program's own hygiene settings, harmless (and ignored by `python -I`).
HARMLESS_PYTHON_VARIABLES = {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
LOADING_PREFIXES = ("PYTHON", "LD_")


def layout_problems(container: Mapping[str, Any]) -> list[str]:
    """The container's argv is all in its entry point, in one of the program's two forms."""
    entry = as_list(container.get("entryPoint"))
    tasks_form = len(entry) > len(TASKS_ENTRY_POINT) and entry[:4] == TASKS_ENTRY_POINT
    app_form = (len(entry) == len(APP_SHELL) + 2 and entry[:len(APP_SHELL)] == APP_SHELL
                and entry[-1] == APP_ARGV0 and isinstance(entry[-2], str)
                and entry[-2].startswith(APP_SCRIPT_START))
    problems = []
    if not (tasks_form or app_form or entry == PREPARE_ENTRY_POINT):
        problems.append(f"entryPoint {[str(part) for part in entry]} must be the whole argv, as "
                        f"{' '.join(TASKS_ENTRY_POINT)} <task> (tasks image) or "
                        f"{' '.join(APP_SHELL)} <script> {APP_ARGV0} (application image, "
                        "the script starting with its guards), or the prepare container's "
                        f"{' '.join(PREPARE_ENTRY_POINT)}")
    if as_list(container.get("command")):
        problems.append("command must be empty: RunTask can override it; put the argv in "
                        "entryPoint")
    for variable in as_list(container.get("environment")):
        name = str(variable.get("name", "")) if isinstance(variable, Mapping) else ""
        if name.startswith(LOADING_PREFIXES) and name not in HARMLESS_PYTHON_VARIABLES:
            problems.append(f"environment variable {name} changes what the interpreter or the "
                            "dynamic loader loads; remove it")
    return problems


def is_prepare(container: Mapping[str, Any]) -> bool:
    """The one container that may run as uid 0: the prepare argv, every capability dropped
    and none added, no secret, not privileged, not essential."""
    capabilities = (container.get("linuxParameters") or {}).get("capabilities") or {}
    return (as_list(container.get("entryPoint")) == PREPARE_ENTRY_POINT
            and as_list(capabilities.get("drop")) == ["ALL"] and not capabilities.get("add")
            and not as_list(container.get("secrets")) and not container.get("privileged")
            and container.get("essential") is False)


def _is_app(container: Mapping[str, Any]) -> bool:
    entry = as_list(container.get("entryPoint"))
    return entry[:len(APP_SHELL)] == APP_SHELL


def _is_recorder(container: Mapping[str, Any]) -> bool:
    entry = [str(part) for part in as_list(container.get("entryPoint"))]
    return entry[:4] == TASKS_ENTRY_POINT and RECORD_COMMAND in entry


def _depends(container: Mapping[str, Any]) -> dict[str, str]:
    return {str(item.get("containerName")): str(item.get("condition"))
            for item in as_list(container.get("dependsOn")) if isinstance(item, Mapping)}


def order_problems(containers: list[Mapping[str, Any]]) -> list[str]:
    """Every container after the prepare container; an application container after its
    recorder is HEALTHY (the run's row is open), and not essential (the recorder outlives
    it to complete the row)."""
    prepare = [str(c.get("name")) for c in containers if is_prepare(c)]
    recorders = [c for c in containers if _is_recorder(c)]
    problems = [] if len(prepare) == 1 else [
        "must have exactly one prepare container (chmod of the volumes, uid 0, capabilities "
        "dropped) that every other container depends on with condition SUCCESS"]
    for container in containers:
        name = str(container.get("name"))
        if prepare and not is_prepare(container) and _depends(container).get(
                prepare[0]) != "SUCCESS":
            problems.append(f"container {name} must depend on {prepare[0]} with SUCCESS")
        if not _is_app(container):
            continue
        healthy = [r for r in recorders if r.get("essential") is True and r.get("healthCheck")
                   and _depends(container).get(str(r.get("name"))) == "HEALTHY"]
        if not healthy:
            problems.append(f"container {name} (application image) must depend on an "
                            "essential recorder (record-app-run, with a health check) with "
                            "condition HEALTHY: no step may run before its run record is open")
        if container.get("essential") is not False:
            problems.append(f"container {name} (application image) must not be essential: "
                            "its recorder completes the run record after it stops")
    return problems
