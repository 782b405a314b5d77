"""The account commands' invariants under real concurrency: 16 processes released together
by a barrier (as in benchmarks/race_worker.py), on PostgreSQL and on SQLite.

Without the row locks of ``Scope.lock_target`` (tasks/jobs/operation.py) the
PostgreSQL cases fail: two removals each count the other admin and both go ahead, and
concurrent reactivations all report ``reactivated``.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import text

from tasks.cli import main
from tests.accounts import admins, insert_superuser, insert_user, superusers
from tests.conftest import Database

PROCESSES = 16
KINDS = ["sqlite", "postgres"]


def _at_the_barrier(url: str, argv: list[str], barrier: Any, results: Any) -> None:
    env = {"DATABASE_URL": url, "ADMIN_TASK_ACTOR": "racer", "ADMIN_TASK_RUN_ID": "race"}
    out = io.StringIO()
    barrier.wait()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv, env)
    results.put((argv[2], code, json.loads(out.getvalue().splitlines()[-1])["outcome"]))


def race(db: Database, argvs: list[list[str]]) -> list[tuple[str, int, str]]:
    """Run each argv in its own process, all released at once; (target, exit code, outcome)."""
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(len(argvs)), context.Queue()
    workers = [context.Process(target=_at_the_barrier, args=(db.url, argv, barrier, results))
               for argv in argvs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return sorted(results.get(timeout=5) for _ in workers)


def prepared(request: pytest.FixtureRequest, kind: str, profile: str) -> Database:
    """A database with the profile's tables. On PostgreSQL every UPDATE of a user row
    sleeps 50 ms, so that runs released together overlap between reading the rows and
    committing, whatever the machine's speed: without the locks the race is then lost every
    time, not now and then. (SQLite has no sleep; BEGIN IMMEDIATE serialises it anyway.)"""
    db: Database = request.getfixturevalue(f"{kind}_database")
    assert main(["init-db", "--profile", profile], db.env()) == 0
    if kind == "postgres":
        table = "users" if profile == "role" else "auth_user"
        db.execute("create function slow_update() returns trigger language plpgsql as "
                   "$$ begin perform pg_sleep(0.05); return new; end $$")
        db.execute(f"create trigger slow_update before update on {table} "
                   "for each row execute function slow_update()")
    return db


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("count", [2, 4])
def test_racing_removals_of_the_last_admins_leave_exactly_one(
    request: pytest.FixtureRequest, kind: str, count: int,
) -> None:
    db = prepared(request, kind, "role")
    emails = [f"admin{n}@example.com" for n in range(count)]
    for email in emails:
        insert_user(db, email, role="admin")

    runs = race(db, [["remove-admin", "--email", emails[n % count]] for n in range(PROCESSES)])

    assert len(admins(db)) == 1
    outcomes = Counter(outcome for _, _, outcome in runs)
    assert outcomes["removed"] == count - 1 and outcomes["refused"] >= 1, runs
    assert set(outcomes) <= {"removed", "refused", "absent"}
    [survivor] = admins(db)
    assert {outcome for target, _, outcome in runs if target == survivor} == {"refused"}
    assert {code for _, code, _ in runs} <= {0, 3}
    events = Counter(row["event_type"] for row in db.rows("audit_events"))
    assert events["admin_removed"] == count - 1 and sum(events.values()) == PROCESSES


@pytest.mark.parametrize("kind", KINDS)
def test_racing_deactivations_of_the_last_superusers_leave_exactly_one(
    request: pytest.FixtureRequest, kind: str,
) -> None:
    db = prepared(request, kind, "django")
    for username in ("alpha", "bravo", "charlie"):
        insert_superuser(db, username)
    names = ["alpha", "bravo", "charlie"]

    runs = race(db, [["deactivate-superuser", "--username", names[n % 3]]
                     for n in range(PROCESSES)])

    assert len(superusers(db)) == 1
    outcomes = Counter(outcome for _, _, outcome in runs)
    assert outcomes["deactivated"] == 2 and outcomes["refused"] >= 1, runs
    assert set(outcomes) <= {"deactivated", "refused", "exists"}
    assert {code for _, code, _ in runs} <= {0, 3}


@pytest.mark.parametrize("kind", KINDS)
def test_racing_reactivations_of_one_admin_reactivate_it_once(
    request: pytest.FixtureRequest, kind: str,
) -> None:
    db = prepared(request, kind, "role")
    insert_user(db, "dormant@example.com", role="admin", active=False)

    runs = race(db, [["reactivate-admin", "--email", "dormant@example.com"]] * PROCESSES)

    assert admins(db) == ["dormant@example.com"] and len(db.rows("users")) == 1
    assert Counter(outcome for _, _, outcome in runs) == {"reactivated": 1,
                                                          "exists": PROCESSES - 1}
    assert {code for _, code, _ in runs} == {0}
    assert Counter(row["event_type"] for row in db.rows("audit_events")) == {
        "admin_reactivated": 1, "admin_reactivate_noop": PROCESSES - 1}


@pytest.mark.parametrize("kind", KINDS)
def test_seeding_a_new_admin_while_removing_the_last_one_never_leaves_none(
    request: pytest.FixtureRequest, kind: str,
) -> None:
    db = prepared(request, kind, "role")
    insert_user(db, "last@example.com", role="admin")

    runs = race(db, [["remove-admin", "--email", "last@example.com"],
                     ["seed-admin", "--email", "next@example.com"]] * (PROCESSES // 2))

    assert "next@example.com" in admins(db)
    removals = [outcome for target, _, outcome in runs if target == "last@example.com"]
    assert set(removals) <= {"removed", "refused", "absent"} and removals.count("removed") <= 1
    seeds = Counter(outcome for target, _, outcome in runs if target == "next@example.com")
    assert seeds == {"created": 1, "exists": PROCESSES // 2 - 1}


def test_an_admin_being_seeded_does_not_count_until_it_commits(
    postgres_database: Database, cli: Any,
) -> None:
    """remove-admin counts only committed admins: an uncommitted seed makes it refuse (never
    remove the last admin on the strength of a row that may yet roll back), and it does
    not wait for that transaction."""
    assert cli(["init-db"], postgres_database.env()).code == 0
    insert_user(postgres_database, "last@example.com", role="admin")
    with postgres_database.engine().connect() as seeding:
        seeding.execute(text(
            "insert into users (email, role, is_active, email_verified, created_at) "
            "values ('next@example.com', 'admin', true, true, now())"))
        refused = cli(["remove-admin", "--email", "last@example.com"], postgres_database.env())
        seeding.commit()
    removed = cli(["remove-admin", "--email", "last@example.com"], postgres_database.env())

    assert (refused.code, refused.result["outcome"]) == (3, "refused")
    assert (removed.code, removed.result["outcome"]) == (0, "removed")
    assert admins(postgres_database) == ["next@example.com"]
