"""A tenant task's ECS task as the stack defines it, run under the ECS emulation
(tests/ecs_task.py) against PostgreSQL with real schemas: the recorder reads the tenants,
writes the ledger, names each unit to the application's entry script through the pipe,
and ends each tenant's row. The tenant step is a stand-in that creates a table in the
tenant's schema with psql, so a tenant whose schema does not exist really fails."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tasks.contract.tenants import CONTROLS_VARIABLE, WORKER_VARIABLE, TenantControls
from tests.ecs_task import CAN_RUN, EmulatedTask
from tests.infra.harness import local_containers

pytestmark = pytest.mark.skipif(not CAN_RUN, reason="the ECS emulation needs root and unshare")
POSTGRES = os.environ.get("ADMIN_TASKS_TEST_POSTGRES_URL",
                          "postgresql://postgres@127.0.0.1:5432/test")
TENANT_TABLE = "admin_tasks_test_tenants"
STAND_IN = """#!/usr/bin/python3 -I
import json, os, signal, subprocess, sys, time
args = sys.argv[1:]
here = os.path.dirname(sys.argv[0])
hold = os.path.join(here, "hold-" + args[-1])
shared_done = os.path.join(here, "shared-done-" + os.environ.get("ADMIN_TASK_RUN_ID", ""))
if args[0] == "shared":
    if os.path.exists(os.path.join(here, "fail-shared")):
        sys.exit(1)
    if os.path.exists(os.path.join(here, "slow-shared")):
        time.sleep(2)  # the other tasks of the run start meanwhile and must wait
    open(shared_done, "w").close()
if args[0] == "tenant" and not os.path.exists(shared_done):
    sys.exit(9)  # a tenant must never start before the steps succeeded
with open("/tmp/steps.log", "a") as log:
    log.write(json.dumps(args) + "\\n")
print("step " + " ".join(args), flush=True)
if args[0] == "tenant" and os.path.exists(hold):
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(7))
    open("/tmp/waiting", "w").close()
    for _ in range(600):  # short sleeps: a handler waits out a long one
        time.sleep(0.1)
if args[0] == "tenant":
    sql = 'CREATE TABLE "%s".migrated (id int)' % args[1]
    sys.exit(subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d",
                             "test", "-v", "ON_ERROR_STOP=1", "-c", sql]).returncode)
"""
#: Host directories the containers may write (the stand-in's markers), as bind mounts.
WRITABLE: list[str] = []
CONTEXT = {"ADMIN_TASK_ACTOR": "alice", "ADMIN_TASK_REASON": "release 2026.12",
           "ADMIN_TASK_APPROVED_BY": "bob-dba,carol"}


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = Path(os.path.realpath("/var/tmp")) / f"tenant-image-{uuid.uuid4().hex[:8]}"
    root.mkdir()
    root.chmod(0o1777)  # the steps, as the stack's non-root user, leave markers here
    WRITABLE.append(str(root))
    step = root / "step"
    step.write_text(STAND_IN)
    step.chmod(0o755)
    return step


@pytest.fixture(scope="module")
def containers(program: Path) -> list[dict[str, Any]]:
    """The stack's containers of the tenant task (tests/infra/harness.py: local_containers)."""
    return local_containers({
        "admin-tasks:appTasks": {"migrate-tenants": {
            "description": "Shared migrations, then each tenant",
            "steps": [[str(program), "shared"]],
            "tenantSteps": [[str(program), "tenant", "{tenant}"]]}},
        "admin-tasks:tenants": {"table": TENANT_TABLE, "schemaColumn": "schema_name"},
        "admin-tasks:maxParallelTasks": 4}, "admin-tasks-staging-migrate-tenants")


@pytest.fixture
def database() -> Iterator[Any]:
    engine = create_engine(POSTGRES.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE IF NOT EXISTS {TENANT_TABLE} "
                                "(schema_name varchar(63) PRIMARY KEY)"))
    yield engine
    engine.dispose()


@pytest.fixture
def tenants(database: Any) -> Iterator[list[str]]:
    """Four tenants of this test: the schemas of a, c and d exist; b's does not, so its
    step fails."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}_{letter}" for letter in "abcd"]
    with database.begin() as connection:
        for name in names:
            connection.execute(text(f"INSERT INTO {TENANT_TABLE} VALUES (:n)"), {"n": name})
            if not name.endswith("_b"):
                connection.execute(text(f'CREATE SCHEMA "{name}"'))
    yield names
    with database.begin() as connection:
        for name in names:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            connection.execute(text(f"DELETE FROM {TENANT_TABLE} WHERE schema_name = :n"),
                               {"n": name})


SHELLS = {"dash": "/usr/bin/dash", "bash": "/bin/bash", "busybox": "/bin/busybox"}


def _task(containers: list[dict[str, Any]], run_id: str, controls: TenantControls,
          shell: str | None = None, worker: int = 1) -> EmulatedTask:
    inputs = {**CONTEXT, "ADMIN_TASK_RUN_ID": run_id}
    return EmulatedTask(containers, overrides={
        "migrate-tenants": inputs,
        "admin_tasks_record": {**inputs, "ADMIN_TASK_RESULT_KEY": "k1", "DATABASE_URL": POSTGRES,
                               CONTROLS_VARIABLE: controls.to_json(),
                               WORKER_VARIABLE: str(worker)}}, shell=shell,
                        host_paths=WRITABLE)


def _run(containers: list[dict[str, Any]], run_id: str, controls: TenantControls,
         during: Any = None, shell: str | None = None) -> EmulatedTask:
    task = _task(containers, run_id, controls, shell)
    task.run(timeout=90, during=during)
    return task


def _run_together(containers: list[dict[str, Any]], run_id: str,
                  controls: TenantControls) -> list[EmulatedTask]:
    """K tasks of one run at once, as the launcher starts them."""
    tasks = [_task(containers, run_id, controls, worker=n)
             for n in range(1, controls.parallel + 1)]
    threads = [threading.Thread(target=task.run, kwargs={"timeout": 60}) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return tasks


def _ledger(engine: Any, run_id: str) -> dict[str, tuple[str, int | None, int]]:
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT schema_name, status, exit_code, attempt FROM admin_task_tenants "
            "WHERE run_id = :id ORDER BY position"), {"id": run_id}).all()
    return {row.schema_name: (row.status, row.exit_code, row.attempt) for row in rows}


def _migrated(engine: Any, names: list[str]) -> list[str]:
    with engine.connect() as connection:
        return [name for name in names if connection.execute(
            text("SELECT to_regclass(:t)"), {"t": f'"{name}".migrated'}).scalar()]


def _result(task: EmulatedTask) -> dict[str, Any]:
    (line,) = [json.loads(line) for line in task.by_name("admin_tasks_record").lines
               if line.startswith("{")]
    return dict(line)


def _run_id() -> str:
    return f"{uuid.uuid4().int % 10**9}-1"


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_a_failure_with_stop_skips_the_tenants_not_started(
        containers: list[dict[str, Any]], database: Any, tenants: list[str], shell: str) -> None:
    """On the /bin/sh of Debian (dash), Amazon Linux (bash) and Alpine (BusyBox), the
    application container running as the stack's non-root user."""
    if not os.path.exists(SHELLS[shell]):
        pytest.skip(f"{shell} is not installed (apt-get install -y {shell})")
    run_id = _run_id()
    task = _run(containers, run_id, TenantControls(tenants=tuple(tenants)), shell=SHELLS[shell])
    try:
        a, b, c, d = tenants
        assert _ledger(database, run_id) == {a: ("succeeded", 0, 1), b: ("failed", 1, 1),
                                             c: ("skipped", None, 1), d: ("skipped", None, 1)}
        assert _migrated(database, tenants) == [a]
        recorder = task.by_name("admin_tasks_record")
        assert recorder.exit_code == 1, recorder.lines
        result = _result(task)
        assert result["tenantCounts"] == {"succeeded": 1, "failed": 1, "skipped": 2}
        assert result["resume"] == f"staging/migrate-tenants/{run_id}"
        app = task.by_name("migrate-tenants")
        assert any(f"tenant {b}: step 1/1 failed with exit code 1" in line
                   for line in app.lines), app.lines
        with database.connect() as connection:
            row = connection.execute(text("SELECT status, tenant_run FROM admin_task_runs "
                                          "WHERE run_id = :id"), {"id": run_id}).one()
        assert row.status == "failed"
        assert json.loads(row.tenant_run)["counts"] == result["tenantCounts"]
    finally:
        task.cleanup()


def test_continue_runs_every_tenant_and_still_fails_the_run(
        containers: list[dict[str, Any]], database: Any, tenants: list[str]) -> None:
    run_id = _run_id()
    task = _run(containers, run_id, TenantControls(tenants=tuple(tenants),
                                                   on_failure="continue"))
    try:
        a, b, c, d = tenants
        assert {name: state[0] for name, state in _ledger(database, run_id).items()} == {
            a: "succeeded", b: "failed", c: "succeeded", d: "succeeded"}
        assert _migrated(database, tenants) == [a, c, d]
        assert task.by_name("admin_tasks_record").exit_code == 1
        steps = [json.loads(line) for line in
                 (task.volume("tmp") / "steps.log").read_text().splitlines()]
        assert steps[0] == ["shared"]  # the steps ran first, once
    finally:
        task.cleanup()


def test_a_failing_canary_skips_the_rest_even_with_continue(
        containers: list[dict[str, Any]], database: Any, tenants: list[str]) -> None:
    run_id = _run_id()
    a, b, c, d = tenants
    task = _run(containers, run_id, TenantControls(tenants=(b, a, c, d), canary=1,
                                                   on_failure="continue"))
    try:
        assert {name: state[0] for name, state in _ledger(database, run_id).items()} == {
            b: "failed", a: "skipped", c: "skipped", d: "skipped"}
        assert _migrated(database, tenants) == []
    finally:
        task.cleanup()


def test_a_stopped_worker_ends_its_tenant_interrupted_and_resume_runs_exactly_the_rest(
        containers: list[dict[str, Any]], database: Any, tenants: list[str],
        program: Path) -> None:
    a, _, c, d = tenants
    waiting = f"{c[:-2]}_wait"
    with database.begin() as connection:
        connection.execute(text(f"INSERT INTO {TENANT_TABLE} VALUES (:n)"), {"n": waiting})
        connection.execute(text(f'CREATE SCHEMA "{waiting}"'))
    hold = program.with_name(f"hold-{waiting}")
    hold.write_text("")
    first = _run_id()

    def stop_while_waiting(task: EmulatedTask) -> bool:
        if (task.volume("tmp") / "waiting").exists():
            task.stop("admin-tasks: cancelled by alice")
            return True
        return False

    task = _run(containers, first, TenantControls(tenants=(a, waiting, c, d)),
                during=stop_while_waiting)
    try:
        assert _ledger(database, first) == {
            a: ("succeeded", 0, 1), waiting: ("interrupted", 7, 1), c: ("pending", None, 1),
            d: ("pending", None, 1)}
    finally:
        task.cleanup()
    hold.unlink()  # the waiting tenant's migration now runs through
    second = _run_id()
    resumed = _run(containers, second, TenantControls(
        resume=f"staging/migrate-tenants/{first}"))
    try:
        assert resumed.by_name("admin_tasks_record").exit_code == 0, resumed.by_name(
            "admin_tasks_record").lines
        # Exactly the rest, in order, each on its second attempt; a not run again.
        assert _ledger(database, second) == {waiting: ("succeeded", 0, 2),
                                             c: ("succeeded", 0, 2), d: ("succeeded", 0, 2)}
        assert _migrated(database, [a, waiting, c, d]) == [a, waiting, c, d]
    finally:
        resumed.cleanup()
        with database.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{waiting}" CASCADE'))
            connection.execute(text(f"DELETE FROM {TENANT_TABLE} WHERE schema_name = :n"),
                               {"n": waiting})


def test_an_unknown_tenant_is_refused_before_anything_is_written(
        containers: list[dict[str, Any]], database: Any, tenants: list[str]) -> None:
    run_id = _run_id()
    task = _run(containers, run_id, TenantControls(tenants=(tenants[0], "no_such_tenant")))
    try:
        recorder = task.by_name("admin_tasks_record")
        assert recorder.exit_code == 2, recorder.lines
        assert any("no_such_tenant" in line for line in recorder.lines)
        assert task.by_name("migrate-tenants").never_started
        assert _ledger(database, run_id) == {}
        with database.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM admin_task_runs WHERE "
                                           "run_id = :id"), {"id": run_id}).scalar() == 0
    finally:
        task.cleanup()


def test_three_tasks_run_each_tenant_once_and_only_after_the_steps(
        containers: list[dict[str, Any]], database: Any, tenants: list[str],
        program: Path) -> None:
    """Task 1 runs the steps (two seconds); tasks 2 and 3 start with it and wait: a tenant
    step that started before the steps succeeded would exit 9. One task finds no tenant
    left and still ends at once, not at its timeout."""
    a, _, c, _ = tenants
    run_id = _run_id()
    slow = program.with_name("slow-shared")
    slow.write_text("")
    began = time.monotonic()
    try:
        tasks = _run_together(containers, run_id, TenantControls(tenants=(a, c), canary=0,
                                                                 parallel=3))
    finally:
        slow.unlink()
    try:
        assert time.monotonic() - began < 45
        assert [t.by_name("admin_tasks_record").exit_code for t in tasks] == [0, 0, 0], [
            t.by_name("admin_tasks_record").lines for t in tasks]
        assert _ledger(database, run_id) == {a: ("succeeded", 0, 1), c: ("succeeded", 0, 1)}
        with database.connect() as connection:
            row = connection.execute(text("SELECT status, exit_code FROM admin_task_runs WHERE "
                                          "run_id = :id"), {"id": run_id}).one()
        assert (row.status, row.exit_code) == ("succeeded", 0)
    finally:
        for task in tasks:
            task.cleanup()


def test_failing_steps_run_no_tenant_in_any_task(
        containers: list[dict[str, Any]], database: Any, tenants: list[str],
        program: Path) -> None:
    failing = program.with_name("fail-shared")
    failing.write_text("")
    run_id = _run_id()
    try:
        tasks = _run_together(containers, run_id, TenantControls(tenants=tuple(tenants),
                                                                 canary=0, parallel=2))
    finally:
        failing.unlink()
    try:
        assert [t.by_name("admin_tasks_record").exit_code for t in tasks] == [1, 0]
        assert _ledger(database, run_id) == {}
        assert _migrated(database, tenants) == []
        with database.connect() as connection:
            row = connection.execute(text("SELECT status FROM admin_task_runs WHERE "
                                          "run_id = :id"), {"id": run_id}).one()
        assert row.status == "failed"
    finally:
        for task in tasks:
            task.cleanup()


def test_a_resume_taken_meanwhile_ends_the_run_refused_and_offers_no_resume(
        containers: list[dict[str, Any]], database: Any, tenants: list[str],
        program: Path) -> None:
    """While task 1 of a resume runs the steps, another run takes the resumed run over:
    task 1's ledger is refused (exit 3) and its run's row says so; task 2 joined nothing
    and offers no --resume of a run that has nothing to resume."""
    from tasks.jobs.database import make_engine, resolve_target
    from tasks.jobs.tenant_ledger import write_ledger

    a, b, _, _ = tenants
    first = _run_id()
    _run(containers, first, TenantControls(tenants=(a, b), on_failure="continue")).cleanup()
    assert _ledger(database, first)[b][0] == "failed"
    second, rival = _run_id(), _run_id()
    controls = TenantControls(resume=f"staging/migrate-tenants/{first}", parallel=2)
    tasks = [_task(containers, second, controls, worker=n) for n in (1, 2)]
    slow = program.with_name("slow-shared")
    slow.write_text("")  # the steps take two seconds: the rival takes the run meanwhile
    threads = [threading.Thread(target=task.run, kwargs={"timeout": 60}) for task in tasks]
    for thread in threads:
        thread.start()
    target = resolve_target({"DATABASE_URL": POSTGRES})
    engine = make_engine(target)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _run_row(database, second):
            time.sleep(0.1)  # task 1 opened its run: its steps take two seconds now
        write_ledger(engine, target, rival, [(b, 2)], first)
        for thread in threads:
            thread.join(90)
        recorders = [task.by_name("admin_tasks_record") for task in tasks]
        assert [r.exit_code for r in recorders] == [3, 0], [r.lines for r in recorders]
        assert any(f"already resumed by run {rival}" in line for line in recorders[0].lines)
        assert _run_row(database, second) == ("refused", 3)
        assert _result(tasks[1])["resume"] is None
        assert _ledger(database, second) == {}
    finally:
        slow.unlink()
        engine.dispose()
        for task in tasks:
            task.cleanup()


def _run_row(engine: Any, run_id: str) -> tuple[str, int | None] | None:
    with engine.connect() as connection:
        row = connection.execute(text("SELECT status, exit_code FROM admin_task_runs WHERE "
                                      "run_id = :id"), {"id": run_id}).first()
    return None if row is None else (row.status, row.exit_code)
