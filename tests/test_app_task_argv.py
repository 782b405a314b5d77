"""What an application task's container really executes, end to end: the stack's task
definition (under Pulumi mocks), the launcher's overrides for hostile values (applied as
ECS applies them: override variables replace the definition's, a command override is
appended to the entry point), then the entry point run with a stand-in `python` that
records its argv. Each value must arrive as exactly that part of one argv element."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tasks.contract.settings import parse_settings
from tasks.launcher.inputs import check_inputs
from tasks.launcher.request import build_request
from tests.conftest import recorded_argv, stand_in_python
from tests.infra.harness import main_container, run_stack, stack_config

TASK = "tenant-command"
DECLARATION = {
    "description": "Run the tenant command for one schema",
    "steps": [["python", "manage.py", "tenant_command", "--schema={schema}", "{schema}"],
              ["python", "manage.py", "report", "--note={note}"]],
    "parameters": {
        "schema": {"type": "string", "description": "any text", "pattern": "(?s).+",
                   "maxLength": 256},
        "note": {"type": "string", "description": "optional", "pattern": ".+",
                 "required": False},
    },
}
HOSTILE = ["; rm -rf /", "$(touch pwned)", "`touch pwned`", "it's \"quoted\"", "a  b  c",
           "*", "-rf", "--help", "\\", "${PATH}", "x" * 256, "ünï ¢ødé", "'$(id)'"]


@pytest.fixture(scope="module")
def deployed() -> tuple[dict[str, Any], str]:
    """The task's container definition and the launch settings, from the real program."""
    config = stack_config("staging")
    config["admin-tasks:appTasks"] = {**config["admin-tasks:appTasks"], TASK: DECLARATION}
    run = run_stack(config, "staging")
    (definition,) = [d for d in run.of_type("aws:ecs/taskDefinition:TaskDefinition")
                     if d.inputs["family"] == f"admin-tasks-staging-{TASK}"]
    container = main_container(definition.inputs)
    return container, run.outputs["launchSettings"]


def run_as_ecs(tmp_path: Path, container: dict[str, Any], overrides: list[dict[str, str]],
               command_override: list[str] | None = None) -> tuple[int, list[list[str]]]:
    bin_dir, record = stand_in_python(tmp_path)
    environment = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
    environment |= {item["name"]: item["value"] for item in container["environment"]}
    environment |= {item["name"]: item["value"] for item in overrides}
    argv = container["entryPoint"] + (command_override or container["command"])
    completed = subprocess.run(argv, env=environment, cwd=tmp_path, capture_output=True,
                               text=True, check=False, timeout=60)
    return completed.returncode, recorded_argv(record)


def launcher_overrides(settings_json: str, params: list[str]) -> list[dict[str, str]]:
    settings = parse_settings(json.loads(settings_json))
    environ = {"GITHUB_ACTOR": "alice", "GITHUB_RUN_ID": "7", "GITHUB_RUN_ATTEMPT": "1"}
    inputs = check_inputs(task_name=TASK, environment="staging", raw_params=params,
                          reason="tenant fix", timeout=None, preview=False, environ=environ,
                          settings=settings)
    request = build_request(inputs, settings, environ).run_task_request()
    environment: list[dict[str, str]] = request["overrides"]["containerOverrides"][0][
        "environment"]
    return environment


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_arrives_as_exactly_its_part_of_one_argv_element(
        tmp_path: Path, deployed: tuple[dict[str, Any], str], value: str) -> None:
    container, settings = deployed

    code, runs = run_as_ecs(tmp_path, container, launcher_overrides(settings, [f"schema={value}"]))

    assert code == 0
    assert runs == [["manage.py", "tenant_command", f"--schema={value}", value],
                    ["manage.py", "report"]]
    assert not (tmp_path / "pwned").exists()


def test_an_optional_value_fills_its_element_when_given(
        tmp_path: Path, deployed: tuple[dict[str, Any], str]) -> None:
    container, settings = deployed
    overrides = launcher_overrides(settings, ["schema=acme", "note=a b; c"])

    code, runs = run_as_ecs(tmp_path, container, overrides)

    assert code == 0 and runs[1] == ["manage.py", "report", "--note=a b; c"]


def test_a_command_override_on_the_task_definition_runs_nothing(
        tmp_path: Path, deployed: tuple[dict[str, Any], str]) -> None:
    container, settings = deployed
    overrides = launcher_overrides(settings, ["schema=acme"])

    code, runs = run_as_ecs(tmp_path, container, overrides,
                            command_override=["sh", "-c", "touch pwned"])

    assert (code, runs) == (2, [])
    assert not (tmp_path / "pwned").exists()
