"""An application task's whole ECS task, as the stack defines it (under Pulumi mocks), run
under the ECS emulation (tests/ecs_task.py: namespaces, root-owned volumes, read-only
root, dependsOn, essential, health check, the metadata endpoint): the prepare container,
the recorder in this project's image, the application's container on dash, bash and
BusyBox as ``/bin/sh``. The application's steps are a stand-in program that records its
argv in ``/tmp`` (writable only because the prepare container made it so) and fails or
waits when told. The run's row is read back from PostgreSQL (and SQLite)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tasks.contract.context import RunContext
from tasks.contract.parameters import app_parameter_env
from tasks.jobs.database import make_engine, resolve_target
from tasks.jobs.run_records import RunRow, open_run
from tests.ecs_task import CAN_RUN, EmulatedTask
from tests.infra.harness import local_containers

pytestmark = pytest.mark.skipif(not CAN_RUN, reason="the ECS emulation needs root and unshare")
SHELLS = {"dash": "/usr/bin/dash", "bash": "/bin/bash", "busybox": "/bin/busybox"}  # .ci/run installs them
SYSTEM_PYTHON = "/usr/bin/python3"
STAND_IN = """#!/usr/bin/python3 -I
import json, os, signal, sys, time
args = sys.argv[1:]
with open("/tmp/steps.log", "a") as log:
    log.write(json.dumps(args) + "\\n")
print("step " + " ".join(args), flush=True)
if args[0] == "fail-with":
    sys.exit(int(args[1]))
if args[0] == "wait":
    def stopped(number, frame):
        print("stand-in stopped by", number, flush=True)
        sys.exit(int(args[1]))
    signal.signal(signal.SIGTERM, stopped)
    open("/tmp/waiting", "w").close()
    for _ in range(600):  # short sleeps: a handler waits out a long one
        time.sleep(0.1)
"""
CONTEXT = {"ADMIN_TASK_ACTOR": "alice",
           "ADMIN_TASK_REASON": "release 2026.12", "ADMIN_TASK_APPROVED_BY": "bob-dba,carol"}
ANY_TEXT = {"type": "string", "description": "any text", "pattern": "(?s).+"}


@pytest.fixture(scope="module")
def program() -> Iterator[Path]:
    """The stand-in step, where every container can read and run it."""
    root = Path(tempfile.mkdtemp(prefix="app-image-", dir="/var/tmp"))
    root.chmod(0o755)
    step = root / "step"
    step.write_text(STAND_IN)
    step.chmod(0o755)
    yield step
    shutil.rmtree(root)


def _declaration(step: Path) -> dict[str, Any]:
    return {"release": {
        "description": "Migrate, then the step the test chooses, then check",
        "steps": [[str(step), "migrate", "--schema={schema}"],
                  [str(step), "{second}", "{code}"],
                  [str(step), "check"]],
        "parameters": {"schema": ANY_TEXT, "second": ANY_TEXT,
                       "code": {"type": "integer", "description": "exit code", "min": 0,
                                "max": 200}}}}


@pytest.fixture(scope="module")
def containers(program: Path) -> list[dict[str, Any]]:
    """The stack's containers of the task (tests/infra/harness.py: local_containers)."""
    return local_containers({"admin-tasks:appTasks": _declaration(program)},
                            "admin-tasks-staging-release")


POSTGRES = os.environ.get("ADMIN_TASKS_TEST_POSTGRES_URL",
                          "postgresql://postgres@127.0.0.1:5432/test")


#: Each test's run id: the tests share one admin_task_runs table (and may run at once).
RUN = {"id": ""}


@pytest.fixture(autouse=True)
def run_id() -> str:
    RUN["id"] = f"{uuid.uuid4().int % 10**9}-1"
    return RUN["id"]


@pytest.fixture
def database() -> Iterator[Any]:
    engine = create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://"))
    yield engine
    engine.dispose()


def _overrides(url: str = POSTGRES, **values: str) -> dict[str, dict[str, str]]:
    parameters = {app_parameter_env(name): value for name, value in values.items()}
    inputs = {**CONTEXT, "ADMIN_TASK_RUN_ID": RUN["id"], **parameters}
    return {"release": inputs, "admin_tasks_record": {**inputs, "ADMIN_TASK_RESULT_KEY": "k1",
                                                      "DATABASE_URL": url}}


def _row(engine: Any) -> dict[str, Any]:
    with engine.connect() as connection:
        (row,) = connection.execute(text("SELECT * FROM admin_task_runs WHERE run_id = :id"),
                                    {"id": RUN["id"]}).mappings()
    return dict(row)


def _steps_run(task: EmulatedTask) -> list[list[str]]:
    log = task.volume("tmp") / "steps.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _result(task: EmulatedTask) -> dict[str, Any]:
    (line,) = [json.loads(line) for line in task.by_name("admin_tasks_record").lines
               if line.startswith("{")]
    return dict(line)


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_the_second_step_fails_and_the_record_names_it(
        containers: list[dict[str, Any]], database: Any, program: Path, shell: str) -> None:
    if not os.path.exists(SHELLS[shell]):
        pytest.skip(f"{shell} is not installed (apt-get install -y {shell})")
    task = EmulatedTask(containers, overrides=_overrides(
        schema="tenant a; $(reboot) 'q'", second="fail-with", code="3"), shell=SHELLS[shell])
    try:
        task.run()
        app, recorder = task.by_name("release"), task.by_name("admin_tasks_record")
        assert app.exit_code == 3, app.lines
        assert recorder.exit_code == 3, recorder.lines
        # Hostile text reached the step as one argument, untouched; step 3 never ran.
        assert _steps_run(task) == [["migrate", "--schema=tenant a; $(reboot) 'q'"],
                                    ["fail-with", "3"]]
        assert any("step 2/3 failed with exit code 3" in line for line in app.lines), app.lines
        row = _row(database)
        assert (row["status"], row["exit_code"], row["requested_by"], row["approved_by"]) == (
            "failed", 3, "alice", "bob-dba,carol")
        failed = json.loads(row["failed_step"])
        assert failed == {"index": 2, "total": 3, "argv": [str(program), "fail-with", "3"]}
        assert json.loads(row["steps"])[0] == [str(program), "migrate",
                                               "--schema=tenant a; $(reboot) 'q'"]
        assert row["image"].startswith("111111111111.dkr.ecr") and "@sha256:" in row["image"]
        result = _result(task)
        assert result["failedStep"] == failed and result["resultKey"] == "k1"
        assert result["runId"] == RUN["id"] and result["exitCode"] == 3
    finally:
        task.cleanup()


def test_every_step_runs_and_the_row_is_opened_before_the_first(
        containers: list[dict[str, Any]], database: Any) -> None:
    seen: dict[str, Any] = {}

    def when_the_first_step_runs(task: EmulatedTask) -> bool:
        if not (task.volume("tmp") / "steps.log").exists():
            return False
        seen["row"] = _row(database)
        return True

    task = EmulatedTask(containers, overrides=_overrides(schema="a", second="ok", code="0"))
    try:
        task.run(during=when_the_first_step_runs)
        assert seen["row"]["status"] == "running"
        assert task.by_name("admin_tasks_record").exit_code == 0
        assert len(_steps_run(task)) == 3
        row = _row(database)
        assert (row["status"], row["exit_code"], row["failed_step"]) == ("succeeded", 0, None)
        assert row["finished_at"] >= row["started_at"]
    finally:
        task.cleanup()


def test_a_stop_reaches_the_running_step_and_the_row_says_stopped(
        containers: list[dict[str, Any]], database: Any) -> None:
    def stop_while_waiting(task: EmulatedTask) -> bool:
        if (task.volume("tmp") / "waiting").exists():
            task.stop("admin-tasks: cancelled by alice")
            return True
        return False

    task = EmulatedTask(containers, overrides=_overrides(schema="a", second="wait", code="7"),
                        shell=SHELLS["dash"] if os.path.exists(SHELLS["dash"]) else None)
    try:
        task.run(during=stop_while_waiting)
        app = task.by_name("release")
        assert any("stand-in stopped by 15" in line for line in app.lines), app.lines
        assert app.exit_code == 7
        assert [step[0] for step in _steps_run(task)] == ["migrate", "wait"]
        row = _row(database)
        assert (row["status"], row["exit_code"]) == ("stopped", 7)
        assert json.loads(row["failed_step"])["index"] == 2
    finally:
        task.cleanup()


def test_a_row_that_cannot_be_opened_runs_no_step(
        containers: list[dict[str, Any]], database: Any) -> None:
    """The run id is the table's key: a second task for the same run opens no row, is never
    healthy, and its application container is never started."""
    target = resolve_target({"DATABASE_URL": POSTGRES})
    open_run(make_engine(target), target, RunRow(
        task="release", environment="staging", image="app@sha256:" + "0" * 64, preview=False,
        context=RunContext(actor="mallory", run_id=RUN["id"], reason="first"),
        steps=[["true"]], ecs_task=None))
    task = EmulatedTask(containers, overrides=_overrides(schema="a", second="ok", code="0"))
    try:
        task.run()
        recorder, app = task.by_name("admin_tasks_record"), task.by_name("release")
        assert recorder.exit_code != 0
        assert app.never_started and app.process is None
        assert _steps_run(task) == []
        assert _result(task)["ok"] is False
    finally:
        task.cleanup()


def test_without_the_prepare_container_nothing_is_writable_and_no_step_runs(
        containers: list[dict[str, Any]], database: Any) -> None:
    """What the prepare container is for: Fargate's volumes are root's, 0755."""
    others = [dict(c, dependsOn=[d for d in c.get("dependsOn", [])
                                 if d["containerName"] != "admin_tasks_prepare"])
              for c in containers if c["name"] != "admin_tasks_prepare"]
    task = EmulatedTask(others, overrides=_overrides(schema="a", second="ok", code="0"))
    try:
        task.run()
        mode = stat.S_IMODE(task.volume("admin-tasks-run").stat().st_mode)
        assert mode == 0o755
        assert task.by_name("admin_tasks_record").exit_code == 1
        assert task.by_name("release").never_started
        with database.connect() as connection:
            if connection.execute(text("SELECT to_regclass('admin_task_runs')")).scalar():
                assert connection.execute(text(
                    "SELECT count(*) FROM admin_task_runs WHERE run_id = :id"),
                    {"id": RUN["id"]}).scalar() == 0
    finally:
        task.cleanup()


def test_the_row_is_opened_and_completed_in_sqlite_too(containers: list[dict[str, Any]]) -> None:
    """The same task with a SQLite file standing for the application database."""
    where = Path(tempfile.mkdtemp(prefix="app-db-", dir="/var/tmp"))
    where.chmod(0o777)  # the recorder's uid creates the file and its journal
    url = f"sqlite:///{where}/app.db"
    with create_engine(url).begin() as connection:  # the application's database exists
        connection.execute(text("CREATE TABLE django_migrations (id INTEGER PRIMARY KEY)"))
    (where / "app.db").chmod(0o666)
    task = EmulatedTask(containers, overrides=_overrides(url, schema="a", second="fail-with",
                                                         code="5"), host_paths=[str(where)])
    try:
        task.run()
        assert task.by_name("admin_tasks_record").exit_code == 5, task.by_name(
            "admin_tasks_record").lines
        row = _row(create_engine(url))
        assert (row["status"], row["exit_code"]) == ("failed", 5)
        assert json.loads(row["failed_step"])["index"] == 2
    finally:
        task.cleanup()
        shutil.rmtree(where)
