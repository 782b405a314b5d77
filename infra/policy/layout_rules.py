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
APP_SCRIPT_START = "set +a +e +f +m +u +v +x\nunset -f command printf kill wait\n"
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
    if not (tasks_form or app_form):
        problems.append(f"entryPoint {[str(part) for part in entry]} must be the whole argv, as "
                        f"{' '.join(TASKS_ENTRY_POINT)} <task> (tasks image) or "
                        f"{' '.join(APP_SHELL)} <script> {APP_ARGV0} (application image, "
                        "the script starting with its guards)")
    if as_list(container.get("command")):
        problems.append("command must be empty: RunTask can override it; put the argv in "
                        "entryPoint")
    for variable in as_list(container.get("environment")):
        name = str(variable.get("name", "")) if isinstance(variable, Mapping) else ""
        if name.startswith(LOADING_PREFIXES) and name not in HARMLESS_PYTHON_VARIABLES:
            problems.append(f"environment variable {name} changes what the interpreter or the "
                            "dynamic loader loads; remove it")
    return problems
