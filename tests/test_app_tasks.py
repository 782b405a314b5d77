"""Application tasks: declarations are refused with the key named, and a parameter's value
arrives in the container as exactly one argv element, whatever it contains."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.render_settings import stack_file_config
from tasks.contract.app_tasks import AppTask, DeclarationError, entry_point, parse_app_task, parse_app_tasks
from tasks.contract.argv_templates import render_steps
from tasks.contract.catalog import task_names
from tasks.contract.entry_script import SCRUB
from tests.conftest import PROJECT_ROOT, recorded_argv, stand_in_python

RETENTION = {
    "description": "Delete activity logs older than the given number of days",
    "command": ["python", "manage.py", "cleanup_activity_logs", "--days-to-keep={days}"],
    "parameters": {"days": {"type": "integer", "description": "days to keep", "min": 1,
                            "max": 3650}},
}


def declare(**changes: Any) -> dict[str, Any]:
    return {**RETENTION, **changes}


@pytest.mark.parametrize(("name", "declaration", "key", "words"), [
    ("cleanup", declare(command=["python", "manage.py", "cleanup", "--days={day}"]),
     "appTasks.cleanup step 1 argument 3", "names no parameter"),
    ("cleanup", declare(command=["python", "manage.py", "cleanup"]),
     "appTasks.cleanup.parameters.days", "not used by any {days} placeholder"),
    ("tenant", declare(command=["python", "manage.py", "x", "{schema}"],
                       parameters={"schema": {"type": "string", "description": "tenant"}}),
     "appTasks.tenant.parameters.schema", "needs a pattern"),
    ("tenant", declare(command=["python", "manage.py", "x", "{schema}"],
                       parameters={"schema": {"type": "string", "description": "t",
                                              "pattern": "[a-z"}}),
     "appTasks.tenant.parameters.schema", "does not compile"),
    ("tenant", declare(command=["python", "manage.py", "x", "{schema}"],
                       parameters={"schema": {"type": "string", "description": "t",
                                              "pattern": "[a-z]*"}}),
     "appTasks.tenant.parameters.schema", "matches the empty string"),
    ("seed-admin", RETENTION, "appTasks.seed-admin", "has the name of a built-in task"),
    ("cleanup", declare(command=[]), "appTasks.cleanup.command", "is empty"),
    ("cleanup", declare(command=[""]), "appTasks.cleanup.command", "is empty"),
    ("cleanup", declare(steps=[["python", "a.py"]]), "appTasks.cleanup", "exactly one of"),
    ("cleanup", declare(command=["{days}", "x"]), "appTasks.cleanup.command[0]",
     "program's name"),
    ("cleanup", declare(command=["python", "--x={days}}"]), "appTasks.cleanup step 1 argument 1",
     "lone '}'"),
    ("cleanup", declare(secrets=["aws-keys"]), "appTasks.cleanup.secrets", "must list some of"),
    ("cleanup", declare(timeoutSeconds=4000), "appTasks.cleanup.timeoutSeconds", "60 to 3300"),
    ("cleanup", declare(shell="bash"), "appTasks.cleanup.shell", "not a known field"),
    ("Bad_Name", RETENTION, "appTasks.Bad_Name", "not a valid task name"),
])
def test_a_bad_declaration_is_refused_naming_the_key(
    name: str, declaration: dict[str, Any], key: str, words: str
) -> None:
    with pytest.raises(DeclarationError) as refused:
        parse_app_task(name, declaration, task_names())
    assert str(refused.value).startswith(key + " "), str(refused.value)
    assert words in str(refused.value)
    assert "Fix: " in str(refused.value)


HOSTILE = ["; rm -rf /", "$(touch pwned)", "`touch pwned`", "it's \"quoted\"", "two  spaces",
           "*", "-rf", "--days=1", "a\\b", "${HOME}", "x" * 256, "%s%n", "ünïcødé", "' ; '",
           "\\\"$(id)\\\""]

ANYTHING = {
    "description": "Run the tenant command for one schema",
    "steps": [["python", "manage.py", "tenant_command", "--schema={schema}", "{schema}",
               "pre{schema}post{{literal}}"],
              ["python", "manage.py", "after", "{note}"]],
    "parameters": {
        "schema": {"type": "string", "description": "any text", "pattern": "(?s).+"},
        "note": {"type": "string", "description": "optional", "pattern": ".+", "required": False},
    },
}


def record_argv(tmp_path: Path, task: AppTask, environment: dict[str, str],
                *extra: str) -> tuple[int, list[list[str]], str]:
    """Run the entry point as ECS would (/bin/sh -c SCRIPT admin-tasks [override args…])
    with a stand-in `python` first on PATH that appends its argv to a file."""
    bin_dir, record = stand_in_python(tmp_path)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", **environment}
    completed = subprocess.run([*entry_point(task), *extra], env=env,
                               cwd=tmp_path, capture_output=True, text=True, check=False)
    return completed.returncode, recorded_argv(record), completed.stderr


@pytest.mark.parametrize("value", HOSTILE)
def test_a_value_arrives_as_exactly_that_part_of_one_argv_element(tmp_path: Path,
                                                                  value: str) -> None:
    task = parse_app_task("tenant-command", ANYTHING, task_names())
    spec = task.parameters[0]
    assert spec.validate(value) == value

    code, runs, stderr = record_argv(tmp_path, task,
                                     {"ADMIN_TASK_PARAM_SCHEMA": value, "IFS": "-e "})

    assert code == 0, stderr
    assert runs == [["manage.py", "tenant_command", f"--schema={value}", value,
                     f"pre{value}post{{literal}}"], ["manage.py", "after"]]
    assert not (tmp_path / "pwned").exists()
    assert [["python", *argv] for argv in runs] == render_steps(task.steps, task.parameters,
                                                                {"schema": value})


def test_a_failing_step_stops_the_steps_after_it_with_its_exit_code(tmp_path: Path) -> None:
    task = parse_app_task("tenant-command", ANYTHING, task_names())

    code, runs, stderr = record_argv(tmp_path, task,
                                     {"ADMIN_TASK_PARAM_SCHEMA": "acme", "STAND_IN_EXIT": "7"})

    assert code == 7
    assert len(runs) == 1, "the second step must not run after the first failed"
    assert "step 1/2 failed with exit code 7: python manage.py tenant_command" in stderr
    assert "the steps after it did not run" in stderr


def test_a_command_override_does_not_run(tmp_path: Path) -> None:
    task = parse_app_task("tenant-command", ANYTHING, task_names())

    code, runs, stderr = record_argv(tmp_path, task,
                                     {"ADMIN_TASK_PARAM_SCHEMA": "acme"}, "touch", "pwned")

    assert (code, runs) == (2, [])
    assert "a command override added arguments" in stderr
    assert not (tmp_path / "pwned").exists()


def test_a_required_parameter_missing_in_the_container_runs_nothing(tmp_path: Path) -> None:
    task = parse_app_task("tenant-command", ANYTHING, task_names())
    code, runs, stderr = record_argv(tmp_path, task, {})
    assert (code, runs) == (2, [])
    assert "parameter schema (ADMIN_TASK_PARAM_SCHEMA) was not passed" in stderr


def test_an_optional_parameter_given_fills_its_element(tmp_path: Path) -> None:
    task = parse_app_task("tenant-command", ANYTHING, task_names())
    environment = {"ADMIN_TASK_PARAM_SCHEMA": "acme", "ADMIN_TASK_PARAM_NOTE": "a b"}
    code, runs, _ = record_argv(tmp_path, task, environment)
    assert code == 0 and runs[1] == ["manage.py", "after", "a b"]
    assert render_steps(task.steps, task.parameters, {"schema": "acme", "note": "a b"})[1] == [
        "python", "manage.py", "after", "a b"]


def test_the_documented_examples_are_the_staging_stacks_declarations() -> None:
    page = (PROJECT_ROOT / "docs" / "APP-TASKS.md").read_text(encoding="utf-8")
    examples = page.split("\n## Examples\n", 1)[1]
    documented = yaml.safe_load(examples.split("```yaml\n", 1)[1].split("```", 1)[0])
    stack = stack_file_config("staging")
    assert documented["admin-tasks:appTasks"] == stack["admin-tasks:appTasks"]
    assert len(parse_app_tasks(documented["admin-tasks:appTasks"], task_names())) == 5


HIJACK_PYTHON = {"BASH_FUNC_python%%": "() { echo HIJACKED; }"}
# A `[` that is always false would let a command override's arguments past the guard.
FUNCTION_OVERRIDES = {**HIJACK_PYTHON, "BASH_FUNC_[%%": "() { return 1; }",
                      "BASH_ENV": "/dev/null"}


@pytest.mark.parametrize("shell", [p for p in ("/bin/dash", "/bin/bash") if Path(p).exists()])
def test_exported_shell_functions_cannot_replace_a_steps_program(tmp_path: Path,
                                                                 shell: str) -> None:
    """Where /bin/sh is bash, an environment override can define functions; the script
    unsets them and runs each step with `command` (run here as bash started under the name
    sh, and as dash; tests/test_entry_script_shells.py runs BusyBox ash too)."""
    task = parse_app_task("tenant-command", ANYTHING, task_names())
    bin_dir, record = stand_in_python(tmp_path)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "ADMIN_TASK_PARAM_SCHEMA": "acme",
           **FUNCTION_OVERRIDES}
    argv = ["sh", *entry_point(task)[len(SCRUB) + 1:]]

    ran = subprocess.run(argv, executable=shell, env=env, capture_output=True, text=True,
                         check=False)
    refused = subprocess.run([*argv, "extra"], executable=shell, env=env, capture_output=True,
                             text=True, check=False)

    assert "HIJACKED" not in ran.stdout and ran.returncode == 0, ran.stderr
    assert len(recorded_argv(record)) == 2
    assert refused.returncode == 2, "an imported [ function must not disable the guard"


@pytest.mark.skipif(not Path("/bin/bash").exists(), reason="needs bash to show the attack")
def test_without_its_guards_bash_as_sh_would_run_the_imported_function(tmp_path: Path) -> None:
    """The control for the test above: the attack is real on this machine."""
    task = parse_app_task("tenant-command", ANYTHING, task_names())
    *shell, script, argv0 = entry_point(task)[len(SCRUB):]
    unguarded = script.replace("unset -f command printf kill read wait\n", "").replace(
        'command "$@" 3<&- &', '"$@" 3<&- &')
    assert "unset -f" not in unguarded and 'command "$@"' not in unguarded
    argv = ["sh", *shell[1:], unguarded, argv0]
    ran = subprocess.run(argv, executable="/bin/bash", capture_output=True, text=True,
                         env={"PATH": os.environ["PATH"], "ADMIN_TASK_PARAM_SCHEMA": "acme",
                              **HIJACK_PYTHON}, check=False)
    assert "HIJACKED" in ran.stdout


@pytest.mark.parametrize("builtin", ["eval", "exit", "exec", ".", "source", "set", "trap"])
def test_a_shell_builtin_cannot_be_a_steps_program(builtin: str) -> None:
    with pytest.raises(DeclarationError, match=rf"is the shell builtin '{re.escape(builtin)}'"):
        parse_app_task("cleanup", declare(command=[builtin, "{days}"]), task_names())
