"""The recorder's own refusals, before any row is opened: run as its task definition runs
it (``python -I -m tasks.container``), with a database that must stay untouched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tasks.contract.run_record import record_argv
from tasks.jobs.app_container import _container_state, read_progress

SETTINGS = {"taskDefinition": "admin-tasks-staging-release", "container": "release",
            "logStreamPrefix": "admin-tasks", "timeoutSeconds": 600,
            "description": "a release", "image": "app",
            "imageRef": "registry.example.com/app@sha256:" + "a" * 64,
            "steps": [["python", "manage.py", "migrate", "--schema={schema}"]],
            "previewSteps": [],
            "parameters": {"schema": {"type": "string", "description": "schema",
                                      "pattern": "[a-z]+", "env": "ADMIN_TASK_PARAM_SCHEMA"}}}
CONTEXT = {"ADMIN_TASK_ACTOR": "alice", "ADMIN_TASK_RUN_ID": "7-1", "ADMIN_TASK_REASON": "x"}


def _record(tmp_path: Path, argv: list[str], environment: dict[str, str]) -> Any:
    url = f"sqlite:///{tmp_path}/app.db"
    return subprocess.run([sys.executable, "-I", "-m", "tasks.container", *argv],
                          env={"PATH": "/usr/bin:/bin", "DATABASE_URL": url, **environment},
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(("argv", "environment", "says"), [
    ([*record_argv("staging", "release", SETTINGS), "--declaration={}"],
     {**CONTEXT, "ADMIN_TASK_PARAM_SCHEMA": "a"}, "a command override added 1 argument"),
    (["record-app-run", "--declaration=[1]"], {**CONTEXT, "ADMIN_TASK_PARAM_SCHEMA": "a"},
     "is not an object of environment, task and settings"),
    (record_argv("staging", "release", {**SETTINGS, "imageRef": "app:latest"}),
     {**CONTEXT, "ADMIN_TASK_PARAM_SCHEMA": "a"}, "imageRef"),
    (record_argv("staging", "release", SETTINGS), CONTEXT,
     "parameter schema (ADMIN_TASK_PARAM_SCHEMA) was not passed"),
    (record_argv("staging", "release", SETTINGS), {**CONTEXT, "ADMIN_TASK_PARAM_SCHEMA": "A;b"},
     "schema"),
    (record_argv("staging", "release", SETTINGS),
     {**CONTEXT, "ADMIN_TASK_PARAM_SCHEMA": "a", "ADMIN_TASK_PREVIEW": "true"},
     "declares no previewSteps"),
    (record_argv("staging", "release", SETTINGS),
     {"ADMIN_TASK_ACTOR": "alice", "ADMIN_TASK_PARAM_SCHEMA": "a"}, "ADMIN_TASK_RUN_ID"),
], ids=["an appended declaration", "a malformed declaration", "an unpinned image",
        "a missing parameter", "a parameter out of its rule", "a preview it cannot run",
        "no run context"])
def test_bad_input_is_exit_2_and_no_table_is_created(
        tmp_path: Path, argv: list[str], environment: dict[str, str], says: str) -> None:
    completed = _record(tmp_path, argv, environment)
    assert completed.returncode == 2, completed.stderr
    assert says in completed.stderr
    assert json.loads(completed.stdout.splitlines()[-1])["ok"] is False
    assert not (tmp_path / "app.db").exists()


def test_the_progress_file_is_read_leniently(tmp_path: Path) -> None:
    path = tmp_path / "steps"
    path.write_text("start 1 3\nexit 1 3 0\nstart 2 3\ngarbage\nexit 2 3 99999999\n"
                    "exit 2 3 4\ndone x\n")
    progress = read_progress(path)
    assert (progress.last_started, progress.failed, progress.total, progress.done) == (
        2, 2, 3, None)
    assert read_progress(tmp_path / "missing").failed is None


@pytest.mark.parametrize("document", [None, [], {"Containers": "x"},
                                      {"Containers": [{"Name": "other"}]}])
def test_a_metadata_answer_without_the_container_is_no_answer(document: object) -> None:
    assert _container_state(document, "release") is None


def test_a_boolean_exit_code_is_not_one() -> None:
    state = _container_state({"Containers": [{"Name": "release", "KnownStatus": "STOPPED",
                                              "ExitCode": True}]}, "release")
    assert state is not None and state.stopped and state.exit_code is None
