"""Guardrail 5's layout: the task definition fixes what its container runs. The whole argv
is the entry point (RunTask can override `command`, never `entryPoint`), the tasks image's
interpreter runs with -I, the application's shell is `/bin/sh -c <script> admin-tasks` with
the script's guards first, and no plain variable changes
what the interpreter or the loader loads. Each case breaks one of the program's own
definitions (tests/infra/test_stack.py shows the layout it builds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tasks.contract.entry_script import SCRUB
from tests.infra.breaking import (
    TASK_DEFINITION,
    Cases,
    assert_reported,
    edit_container_list,
    edit_containers,
)
from tests.infra.harness import Registered, StackRun

Container = dict[str, Any]


def _definition(run: StackRun, task: str) -> Registered:
    family = f"admin-tasks-{run.outputs['githubEnvironment']}-{task}"
    return next(r for r in run.of_type(TASK_DEFINITION) if r.inputs["family"] == family)


def _tasks_image(edit: Callable[[Container], object]) -> Callable[[StackRun], Registered]:
    return lambda run: edit_containers(_definition(run, "seed-admin"), edit)


def _app_image(edit: Callable[[Container], object]) -> Callable[[StackRun], Registered]:
    return lambda run: edit_containers(_definition(run, "migrate"), edit)


def _split(at: int) -> Callable[[Container], None]:
    """Move the entry point's arguments from `at` on into the overridable command."""
    def edit(container: Container) -> None:
        argv = container["entryPoint"]
        container["entryPoint"], container["command"] = argv[:at], argv[at:]
    return edit


def _variable(name: str, value: str) -> Callable[[Container], None]:
    return lambda container: container["environment"].append({"name": name, "value": value})


def _entry(change: Callable[[list[str]], list[str]]) -> Callable[[Container], None]:
    return lambda container: container.__setitem__("entryPoint", change(container["entryPoint"]))


def _containers(task: str, edit: Callable[[dict[str, Container]], object],
                ) -> Callable[[StackRun], Registered]:
    """``edit`` gets the definition's containers by name (``prepare``, ``record``, ``main``)."""
    def by_name(containers: list[Container]) -> None:
        named = {{"admin_tasks_prepare": "prepare", "admin_tasks_record": "record"}.get(
            c["name"], "main"): c for c in containers}
        edit(named)
        containers[:] = [c for c in containers if c in named.values()]
    return lambda run: edit_container_list(_definition(run, task), by_name)


def _drop(name: str) -> Callable[[dict[str, Container]], None]:
    return lambda named: named.pop(name) and None


def _in(name: str, change: Callable[[Container], object]) -> Callable[[dict[str, Container]], None]:
    return lambda named: change(named[name]) and None


def _depends_on(conditions: dict[str, str]) -> Callable[[Container], None]:
    return lambda container: container.__setitem__("dependsOn", [
        {"containerName": name, "condition": condition} for name, condition in conditions.items()])


ROOT, HEALTHY = "must run as a non-root user", "with condition HEALTHY"
PREPARE = "admin_tasks_prepare"
LAYOUT: Cases = {
    "prepare: a capability kept": (5, ROOT, _containers("seed-admin", _in(
        "prepare", lambda c: c.__setitem__("linuxParameters", {"capabilities": {"drop": []}})))),
    "prepare: a capability added": (5, ROOT, _containers("seed-admin", _in(
        "prepare", lambda c: c["linuxParameters"]["capabilities"].__setitem__(
            "add", ["SYS_PTRACE"])))),
    "prepare: a secret given to root": (5, ROOT, _containers("migrate", _in(
        "prepare", lambda c: c.__setitem__("secrets", [{"name": "X", "valueFrom": "arn:x"}])))),
    "prepare: another argv as root": (5, ROOT, _containers("seed-admin", _in(
        "prepare", _entry(lambda argv: ["/bin/chmod", "1777", "/"])))),
    "prepare: essential": (5, ROOT, _containers("seed-admin", _in(
        "prepare", lambda c: c.__setitem__("essential", True)))),
    "prepare: missing": (5, "exactly one prepare container", _containers(
        "seed-admin", _drop("prepare"))),
    "tasks image: started before the volumes are prepared": (
        5, f"must depend on {PREPARE} with SUCCESS", _containers(
            "seed-admin", _in("main", lambda c: c.pop("dependsOn")))),
    "app image: started before its row is open": (5, HEALTHY, _containers("migrate", _in(
        "main", _depends_on({PREPARE: "SUCCESS", "admin_tasks_record": "START"})))),
    "app image: no recorder at all": (5, HEALTHY, _containers("migrate", _drop("record"))),
    "app image: a recorder that is not essential": (5, HEALTHY, _containers("migrate", _in(
        "record", lambda c: c.__setitem__("essential", False)))),
    "app image: a recorder without its health check": (5, HEALTHY, _containers(
        "migrate", _in("record", lambda c: c.pop("healthCheck")))),
    "app image: essential, so its stop ends the task before the row is completed": (
        5, "must not be essential", _containers("migrate", _in(
            "main", lambda c: c.__setitem__("essential", True)))),
}
WHOLE_ARGV, OVERRIDABLE = "must be the whole argv", "command must be empty"
SCRIPT = len(SCRUB) + 2  # the script's index in an application task's entry point
LOADS = "changes what the interpreter or the dynamic loader loads"
BROKEN: Cases = {
    "tasks image: the argv in command": (5, OVERRIDABLE, _tasks_image(_split(0))),
    "tasks image: no entry point": (5, WHOLE_ARGV, _tasks_image(_split(0))),
    "tasks image: the task name in command": (5, WHOLE_ARGV, _tasks_image(_split(4))),
    "tasks image: interpreter without -I": (5, WHOLE_ARGV, _tasks_image(_entry(
        lambda argv: [argv[0], *argv[2:]]))),
    "tasks image: -E instead of -I": (5, WHOLE_ARGV, _tasks_image(_entry(
        lambda argv: [argv[0], "-E", *argv[2:]]))),
    "tasks image: another module": (5, WHOLE_ARGV, _tasks_image(_entry(
        lambda argv: [*argv[:3], "code", *argv[4:]]))),
    "tasks image: a command appended": (5, OVERRIDABLE, _tasks_image(
        lambda container: container.__setitem__("command", ["--force"]))),
    "tasks image: PYTHONPATH": (5, f"PYTHONPATH {LOADS}", _tasks_image(_variable(
        "PYTHONPATH", "/tmp"))),
    "tasks image: PYTHONWARNINGS": (5, f"PYTHONWARNINGS {LOADS}", _tasks_image(_variable(
        "PYTHONWARNINGS", "ignore::antigravity.X"))),
    "tasks image: LD_PRELOAD": (5, f"LD_PRELOAD {LOADS}", _tasks_image(_variable(
        "LD_PRELOAD", "/tmp/x.so"))),
    "app image: the script in command": (5, OVERRIDABLE, _app_image(_split(SCRIPT))),
    "app image: the old -p form, which BusyBox refuses": (5, WHOLE_ARGV, _app_image(_entry(
        lambda argv: [*argv[:SCRIPT - 1], "-p", *argv[SCRIPT - 1:]]))),
    "app image: bash instead of sh": (5, WHOLE_ARGV, _app_image(_entry(
        lambda argv: [a if a != "/bin/sh" else "/bin/bash" for a in argv]))),
    "app image: the shell without the scrub of SHELLOPTS and PS4": (5, WHOLE_ARGV, _app_image(
        _entry(lambda argv: argv[len(SCRUB):]))),
    "app image: a scrub that keeps PS4": (5, WHOLE_ARGV, _app_image(_entry(
        lambda argv: argv[:argv.index("PS4") - 1] + argv[argv.index("PS4") + 1:]))),
    "app image: a script without its guards first": (5, WHOLE_ARGV, _app_image(_entry(
        lambda argv: [*argv[:SCRIPT], argv[SCRIPT].split("\n", 2)[2], *argv[SCRIPT + 1:]]))),
    "app image: another command before the guards": (5, WHOLE_ARGV, _app_image(_entry(
        lambda argv: [*argv[:SCRIPT], "python -c 'import os'\n" + argv[SCRIPT],
                      *argv[SCRIPT + 1:]]))),
    "app image: no $0, so an appended argument becomes it": (5, WHOLE_ARGV, _app_image(
        _entry(lambda argv: argv[:SCRIPT + 1]))),
    "app image: $0 is not admin-tasks": (5, WHOLE_ARGV, _app_image(_entry(
        lambda argv: [*argv[:SCRIPT + 1], "--settings=test"]))),
    "app image: LD_LIBRARY_PATH": (5, f"LD_LIBRARY_PATH {LOADS}", _app_image(_variable(
        "LD_LIBRARY_PATH", "/tmp"))),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_layout_is_reported(stack_run: StackRun, case: str) -> None:
    assert_reported(BROKEN, stack_run, case)


def test_the_program_builds_both_forms(stack_run: StackRun) -> None:
    """The cases above are meaningful only if both forms exist in both stacks."""
    tasks, app = (_definition(stack_run, task) for task in ("seed-admin", "migrate"))
    assert '"python", "-I"' in tasks.inputs["containerDefinitions"], tasks.urn
    assert '"/bin/sh", "-c", "set +a +e +f +m +u +v +x\\nunset -f' in app.inputs[
        "containerDefinitions"], app.urn


@pytest.mark.parametrize("case", sorted(LAYOUT))
def test_a_broken_container_order_is_reported(stack_run: StackRun, case: str) -> None:
    assert_reported(LAYOUT, stack_run, case)
