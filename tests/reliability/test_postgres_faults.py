"""Fault injection on real PostgreSQL: a killed connection, an unreachable server and a
statement timeout each end in exit 4, one clear stderr line and an unchanged database.

Never stops the shared server: "unreachable" is a closed port, and every other fault is
confined to the test's own schema and backend.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import CliRun, Database, run_process

SEED = ["seed-admin", "--email", "ops@example.com", "--reason", "fault injection"]
CLOSED_PORT_URL = "postgresql://postgres@127.0.0.1:1/test"


@pytest.fixture
def role_postgres(postgres_database: Database, cli: Any) -> Database:
    assert cli(["init-db", "--profile", "role"], postgres_database.env()).code == 0
    return postgres_database


def assert_failed_cleanly(run: CliRun, *, mentions: str) -> None:
    """Exit 4, the error result line, and exactly one stderr line saying what failed."""
    assert run.code == 4, run.stderr
    assert run.result["ok"] is False and run.result["outcome"] == "error"
    assert len(run.stdout.splitlines()) == 1
    assert "Traceback" not in run.stderr
    [line] = [line for line in run.stderr.splitlines() if line.strip()]
    assert line.startswith("admin-tasks: database ") and "nothing was changed" in line, line
    assert mentions in line.lower(), line


def assert_nothing_written(database: Database) -> None:
    assert database.rows("users") == []
    assert database.rows("audit_events") == []


def terminate_when_sleeping(database: Database, tag: str) -> bool:
    """Wait (bounded) for the backend tagged ``tag`` to sleep in the audit trigger, then
    terminate it; return whether it had written its user row by then (holds a row lock
    on ``users``)."""
    with database.engine().connect() as connection:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            victim = connection.execute(text(
                "select a.pid, exists (select 1 from pg_locks l join pg_class c "
                "on c.oid = l.relation where l.pid = a.pid and c.relname = 'users' "
                "and l.mode = 'RowExclusiveLock') from pg_stat_activity a "
                "where a.application_name = :tag and a.wait_event = 'PgSleep'"), {"tag": tag},
            ).one_or_none()
            connection.rollback()
            if victim is not None:
                connection.execute(text("select pg_terminate_backend(:pid)"), {"pid": victim[0]})
                return bool(victim[1])
            time.sleep(0.05)
    raise AssertionError("the seeding run never reached the audit insert")


def test_connection_killed_between_user_insert_and_audit_insert_writes_nothing(
    role_postgres: Database, cli: Any,
) -> None:
    tag = f"victim-{uuid.uuid4().hex[:8]}"
    role_postgres.execute(f"""
        create function audit_waits() returns trigger language plpgsql as $$
        begin
            perform set_config('application_name', '{tag}', true);
            perform pg_sleep(60);
            return new;
        end $$;
        create trigger audit_waits before insert on audit_events
            for each row execute function audit_waits();
    """)
    with ThreadPoolExecutor(max_workers=1) as pool:
        killer = pool.submit(terminate_when_sleeping, role_postgres, tag)
        run = cli(SEED, role_postgres.env())
        user_row_was_written = killer.result()

    assert user_row_was_written, "the kill must land after the user insert"
    assert_failed_cleanly(run, mentions="terminat")
    assert_nothing_written(role_postgres)


def test_backend_terminating_itself_in_the_audit_insert_writes_nothing(
    role_postgres: Database, cli: Any,
) -> None:
    role_postgres.execute("""
        create function audit_dies() returns trigger language plpgsql as $$
        begin
            perform pg_terminate_backend(pg_backend_pid());
            return new;
        end $$;
        create trigger audit_dies before insert on audit_events
            for each row execute function audit_dies();
    """)

    run = cli(SEED, role_postgres.env())

    assert_failed_cleanly(run, mentions="terminat")
    assert_nothing_written(role_postgres)


def test_unreachable_server_is_exit_4_with_one_clear_line(sqlite_database: Database) -> None:
    run = run_process(SEED, sqlite_database.env(DATABASE_URL=CLOSED_PORT_URL))

    assert_failed_cleanly(run, mentions="127.0.0.1")
    assert "connection" in run.stderr.lower()


def display(database: Database) -> str:
    return database.url.replace("postgresql://", "postgresql+psycopg://", 1)


def test_lock_held_by_another_session_times_out_with_exit_4(role_postgres: Database) -> None:
    """The lock wait is half the statement timeout (300 of 600 ms), so a wait on a lock is
    reported as one, with what to do about the lock; no longer timeout would help."""
    with role_postgres.engine().connect() as other_session:
        other_session.execute(text("lock table users in access exclusive mode"))
        run = run_process(SEED, role_postgres.env(ADMIN_TASKS_STATEMENT_TIMEOUT_MS="600"))
        other_session.rollback()

    assert_failed_cleanly(run, mentions="lock timeout")
    assert run.stderr.splitlines() == [
        f"admin-tasks: database {display(role_postgres)} failed: canceling statement due to lock "
        "timeout (another session held a lock this task needed for over 300 ms: find it with "
        "SELECT pid, state, xact_start, query FROM pg_stat_activity WHERE pid IN (SELECT pid FROM "
        "pg_locks WHERE granted) ORDER BY xact_start, let it finish or end it, then run again); "
        "nothing was changed"]
    assert_nothing_written(role_postgres)


def test_slow_statement_times_out_with_exit_4_and_writes_nothing(role_postgres: Database) -> None:
    role_postgres.execute("""
        create function users_slow() returns trigger language plpgsql as $$
        begin perform pg_sleep(30); return new; end $$;
        create trigger users_slow before insert on users
            for each row execute function users_slow();
    """)

    run = run_process(SEED, role_postgres.env(ADMIN_TASKS_STATEMENT_TIMEOUT_MS="300"))

    assert_failed_cleanly(run, mentions="statement timeout")
    assert run.stderr.splitlines() == [
        f"admin-tasks: database {display(role_postgres)} failed: canceling statement due to "
        "statement timeout (a statement ran longer than ADMIN_TASKS_STATEMENT_TIMEOUT_MS (300 ms): "
        "raise it, up to 3600000); nothing was changed"]
    assert_nothing_written(role_postgres)
