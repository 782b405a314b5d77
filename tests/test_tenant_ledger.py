"""The tenant ledger's rules, on PostgreSQL and SQLite: claims by several workers at once
never give a tenant twice; a canary running elsewhere holds the others; a worker that
stopped heart-beating (killed) leaves its row ``interrupted``, never ``running``; a resume
takes exactly the rest and ends the old run's orphaned rows."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update

from tasks.contract.context import RunContext
from tasks.contract.errors import InvalidInput, Refused
from tasks.contract.tenants import TenantControls, TenantSource
from tasks.jobs.database import DatabaseTarget, make_engine, resolve_target
from tasks.jobs.run_records import RunRow, open_run
from tasks.jobs.tenant_ledger import (
    LEDGER,
    claim_next,
    finish_tenant,
    select_tenants,
    status_counts,
    write_ledger,
)

POSTGRES = os.environ.get("ADMIN_TASKS_TEST_POSTGRES_URL")
TABLE = "admin_tasks_ledger_test_tenants"


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, DatabaseTarget]]:
    if request.param == "postgresql":
        if not POSTGRES:
            pytest.skip("set ADMIN_TASKS_TEST_POSTGRES_URL (.ci/run does)")
        url = POSTGRES
    else:
        url = f"sqlite:///{tmp_path}/app.db"
        (tmp_path / "app.db").touch()
    target = resolve_target({"DATABASE_URL": url})
    engine = make_engine(target)
    yield engine, target
    engine.dispose()


def _open(engine: Any, target: DatabaseTarget, task: str) -> str:
    """A new run of ``task`` on staging, its row in admin_task_runs; its id."""
    run_id = f"{uuid.uuid4().int % 10**9}-1"
    open_run(engine, target, RunRow(task=task, environment="staging",
                                    image="app@sha256:" + "0" * 64, preview=False,
                                    context=RunContext(actor="alice", run_id=run_id,
                                                       reason="release"),
                                    steps=[["true"]], ecs_task=None))
    return run_id


def _run(engine: Any, target: DatabaseTarget, names: list[str], task: str = "migrate",
         **controls: Any) -> tuple[str, TenantControls]:
    run_id = _open(engine, target, task)
    write_ledger(engine, target, run_id, [(name, 1) for name in names], None)
    return run_id, TenantControls(**controls)


def _statuses(engine: Any, run_id: str) -> dict[str, str]:
    with engine.connect() as connection:
        return {row.schema_name: row.status for row in connection.execute(
            LEDGER.select().where(LEDGER.c.run_id == run_id).order_by(LEDGER.c.position))}


def test_workers_at_once_never_run_a_tenant_twice(database: tuple[Any, DatabaseTarget]) -> None:
    engine, target = database
    names = [f"t{i:03}" for i in range(60)]
    run_id, controls = _run(engine, target, names, canary=0)
    ran: list[str] = []

    def worker(number: int) -> None:
        while (claimed := claim_next(engine, target, run_id, controls, f"task-{number}")) \
                .outcome != "done":
            if claimed.schema is not None:
                ran.append(claimed.schema)
                finish_tenant(engine, target, run_id, claimed.schema, 0)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(ran) == names  # each once
    assert status_counts(engine, target, run_id) == {"succeeded": 60}


def test_a_canary_running_elsewhere_holds_the_others(
        database: tuple[Any, DatabaseTarget]) -> None:
    engine, target = database
    run_id, controls = _run(engine, target, ["a", "b", "c"], canary=1)
    first = claim_next(engine, target, run_id, controls, "task-1")
    assert (first.outcome, first.schema) == ("run", "a")
    assert claim_next(engine, target, run_id, controls, "task-2").outcome == "wait"
    finish_tenant(engine, target, run_id, "a", 0)
    assert claim_next(engine, target, run_id, controls, "task-2").schema == "b"


def test_a_failed_canary_skips_every_tenant_not_started(
        database: tuple[Any, DatabaseTarget]) -> None:
    engine, target = database
    run_id, controls = _run(engine, target, ["a", "b", "c"], canary=1, on_failure="continue")
    assert claim_next(engine, target, run_id, controls, "task-1").schema == "a"
    finish_tenant(engine, target, run_id, "a", 3)
    assert claim_next(engine, target, run_id, controls, "task-1").outcome == "done"
    assert _statuses(engine, run_id) == {"a": "failed", "b": "skipped", "c": "skipped"}


def test_a_killed_workers_tenant_ends_interrupted_not_running(
        database: tuple[Any, DatabaseTarget]) -> None:
    """SIGKILL leaves no chance to end the row: its heartbeat stops, and the next claim
    (by any task of the run) ends it."""
    engine, target = database
    run_id, controls = _run(engine, target, ["a", "b"], canary=0, on_failure="continue")
    assert claim_next(engine, target, run_id, controls, "task-1").schema == "a"
    with engine.begin() as connection:
        connection.execute(update(LEDGER).where(LEDGER.c.run_id == run_id).values(
            heartbeat_at=datetime.now(UTC) - timedelta(minutes=5)))
    assert claim_next(engine, target, run_id, controls, "task-2").schema == "b"
    assert _statuses(engine, run_id) == {"a": "interrupted", "b": "running"}


def test_a_run_whose_last_task_was_killed_is_ended_by_the_next_run_of_its_task(
        database: tuple[Any, DatabaseTarget]) -> None:
    """Nothing of the killed run claims again and nobody resumes it: the next tenant run
    of the same task on the same environment ends its row; a live worker's row, or one of
    another task, is left alone."""
    engine, target = database
    task = f"migrate-{uuid.uuid4().hex[:8]}"  # no other test's run is of this task
    killed, controls = _run(engine, target, ["a", "b"], task, canary=0)
    alive, _ = _run(engine, target, ["a"], task, canary=0)
    assert claim_next(engine, target, killed, controls, "task-1").schema == "a"
    assert claim_next(engine, target, alive, controls, "task-2").schema == "a"
    _stale(engine, killed)
    _run(engine, target, ["a"], f"{task}-other", canary=0)
    assert _statuses(engine, killed)["a"] == "running"  # another task's run: not its business
    _run(engine, target, ["a"], task, canary=0)
    assert _statuses(engine, killed) == {"a": "interrupted", "b": "pending"}
    assert _statuses(engine, alive) == {"a": "running"}


def _stale(engine: Any, run_id: str) -> None:
    """The run's tasks were killed: their heartbeats stopped five minutes ago."""
    with engine.begin() as connection:
        connection.execute(update(LEDGER).where(LEDGER.c.run_id == run_id).values(
            heartbeat_at=datetime.now(UTC) - timedelta(minutes=5)))


def test_resume_takes_exactly_the_rest_and_hands_the_old_rows_over(
        database: tuple[Any, DatabaseTarget]) -> None:
    engine, target = database
    first, controls = _run(engine, target, ["a", "b", "c", "d"], canary=0,
                           on_failure="continue")
    for name, code in (("a", 0), ("b", 1)):
        assert claim_next(engine, target, first, controls, "task-1").schema == name
        finish_tenant(engine, target, first, name, code)
    assert claim_next(engine, target, first, controls, "task-1").schema == "c"
    source, resume = TenantSource(TABLE, "schema_name"), TenantControls(
        resume=f"staging/migrate/{first}")
    # c is still running (a fresh heartbeat): resuming now would run it twice.
    with pytest.raises(Refused, match="still running tenant c"):
        select_tenants(engine, target, source, resume, task="migrate", environment="staging")
    _stale(engine, first)  # then its task was killed
    rest = select_tenants(engine, target, source, resume, task="migrate",
                          environment="staging")
    assert rest == [("b", 2), ("c", 2), ("d", 2)]
    second = f"{uuid.uuid4().int % 10**9}-1"
    write_ledger(engine, target, second, rest, first)
    # The old run can start nothing more, and a second resume of it is refused.
    assert _statuses(engine, first) == {"a": "succeeded", "b": "failed", "c": "interrupted",
                                        "d": "skipped"}
    assert claim_next(engine, target, first, controls, "task-2").outcome == "done"
    with pytest.raises(Refused, match=f"already resumed by run {second}"):
        select_tenants(engine, target, source, resume, task="migrate", environment="staging")
    with pytest.raises(Refused, match=f"already resumed by run {second}"):
        write_ledger(engine, target, f"{uuid.uuid4().int % 10**9}-1", rest, first)
    with pytest.raises(InvalidInput, match=r"has no run .* of clearsessions on staging"):
        select_tenants(engine, target, source,
                       TenantControls(resume=f"staging/clearsessions/{first}"),
                       task="clearsessions", environment="staging")


def test_an_end_that_comes_after_another_task_ended_the_row_reports_the_row(
        database: tuple[Any, DatabaseTarget]) -> None:
    """A tenant whose heartbeat went stale was ended interrupted by another task's claim;
    its late exit 0 does not overwrite that, and the worker reports what the row says."""
    engine, target = database
    run_id, controls = _run(engine, target, ["a", "b"], canary=0, on_failure="continue")
    assert claim_next(engine, target, run_id, controls, "task-1").schema == "a"
    _stale(engine, run_id)
    assert claim_next(engine, target, run_id, controls, "task-2").schema == "b"
    assert finish_tenant(engine, target, run_id, "a", 0) == "interrupted"


def test_the_tenant_table_is_read_and_a_bad_schema_name_in_it_refused(
        database: tuple[Any, DatabaseTarget]) -> None:
    engine, target = database
    table = f"tenants_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {table} (schema_name varchar(100))"))
        connection.execute(text(f"INSERT INTO {table} VALUES ('public'), ('beta'), ('acme')"))
    source = TenantSource(table, "schema_name")
    try:
        assert select_tenants(engine, target, source, TenantControls(), task="migrate",
                              environment="staging") == [("acme", 1), ("beta", 1)]
        with pytest.raises(InvalidInput, match="does not list as a tenant"):
            select_tenants(engine, target, source, TenantControls(tenants=("acme", "zeta")),
                           task="migrate", environment="staging")
        with engine.begin() as connection:
            connection.execute(text(f"INSERT INTO {table} VALUES ('x; drop table y')"))
        with pytest.raises(InvalidInput, match="which is not a schema name"):
            select_tenants(engine, target, source, TenantControls(), task="migrate",
                           environment="staging")
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE {table}"))


@pytest.fixture
def postgres() -> Iterator[tuple[Any, DatabaseTarget]]:
    if not POSTGRES:
        pytest.skip("set ADMIN_TASKS_TEST_POSTGRES_URL (.ci/run does)")
    target = resolve_target({"DATABASE_URL": POSTGRES})
    engine = make_engine(target)
    yield engine, target
    engine.dispose()


def test_a_container_whose_clock_runs_ahead_ends_no_live_workers_row(
        postgres: tuple[Any, DatabaseTarget], monkeypatch: pytest.MonkeyPatch) -> None:
    """Heartbeats and staleness are the server's time: a task whose own clock is two
    minutes ahead (another container, another host) neither claims over a live worker
    nor ends its row when its run writes a ledger."""
    engine, target = postgres
    task = f"migrate-{uuid.uuid4().hex[:8]}"
    live, controls = _run(engine, target, ["a", "b"], task, canary=0)
    assert claim_next(engine, target, live, controls, "task-1").schema == "a"
    ahead = datetime.now(UTC) + timedelta(minutes=2)
    monkeypatch.setattr("tasks.jobs.tenant_ledger._now", lambda: ahead)
    assert claim_next(engine, target, live, controls, "task-2").schema == "b"
    _run(engine, target, ["a"], task, canary=0)  # the next run's ledger, on that clock
    assert _statuses(engine, live) == {"a": "running", "b": "running"}
    assert finish_tenant(engine, target, live, "a", 0) == "succeeded"


def test_a_claim_holding_the_resumed_runs_lock_does_not_deadlock_the_resume(
        postgres: tuple[Any, DatabaseTarget]) -> None:
    """A claim of run A (its lock held, then A's stale row updated) while run B resumes A:
    B waits for A's lock without holding any of A's rows, so neither deadlocks."""
    engine, target = postgres
    task = f"migrate-{uuid.uuid4().hex[:8]}"
    first, controls = _run(engine, target, ["a", "b"], task, canary=0)
    assert claim_next(engine, target, first, controls, "task-1").schema == "a"
    _stale(engine, first)
    rest = select_tenants(engine, target, TenantSource(TABLE, "schema_name"),
                          TenantControls(resume=f"staging/{task}/{first}"), task=task,
                          environment="staging")
    second = _open(engine, target, task)
    errors: list[BaseException] = []
    with engine.connect() as claim:
        claim.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(:run))"),
                      {"key": 0x61647465, "run": first})

        def resume() -> None:
            try:
                write_ledger(engine, target, second, rest, first)
            except BaseException as error:  # reported below
                errors.append(error)

        thread = threading.Thread(target=resume)
        thread.start()
        time.sleep(1.0)  # the resume is waiting for A's lock now
        claim.execute(update(LEDGER).where(LEDGER.c.run_id == first,
                                           LEDGER.c.status == "running")
                      .values(status="interrupted"))
        claim.commit()
        thread.join(30)
    assert not thread.is_alive() and errors == []
    assert _statuses(engine, first) == {"a": "interrupted", "b": "skipped"}
    assert set(_statuses(engine, second)) == {"a", "b"}
