"""seed-admin on the role profile: every row of the outcome table, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from tasks.cli import main
from tests.conftest import Database

CREATED_AT = "2024-01-01 00:00:00"


def insert_user(db: Database, email: str, role: str = "member", active: bool = True,
                deleted: bool = False) -> None:
    db.execute(
        "insert into users (email, role, is_active, email_verified, created_at, deleted_at) "
        "values (:email, :role, :active, true, :created, :deleted)",
        email=email, role=role, active=active, created=CREATED_AT,
        deleted=CREATED_AT if deleted else None,
    )


def audit_events(db: Database) -> list[dict[str, Any]]:
    return db.rows("audit_events")


def test_creates_an_admin_when_no_active_user_has_the_email(role_db: Database, cli: Any) -> None:
    run = cli(["seed-admin", "--email", "Ops.Lead@Example.COM", "--reason", "first admin"],
              role_db.env())

    assert run.code == 0
    assert run.result["outcome"] == "created" and run.result["wasNew"] is True
    [user] = role_db.rows("users")
    assert user["email"] == "ops.lead@example.com"
    assert (user["role"], bool(user["is_active"]), bool(user["email_verified"])) == ("admin", True, True)
    assert user["deleted_at"] is None
    [event] = audit_events(role_db)
    assert event["event_type"] == "admin_account_seeded"
    assert event["actor"] == "tester" and event["resource_id"] == str(user["id"])
    metadata = event["metadata"]
    metadata = metadata if isinstance(metadata, dict) else __import__("json").loads(metadata)
    assert metadata["actor"] == "tester"
    assert metadata["runId"] == "run-1"
    assert metadata["reason"] == "first admin"
    assert "created admin ops.lead@example.com" in run.stderr


def test_an_existing_active_admin_is_left_alone(role_db: Database, cli: Any) -> None:
    insert_user(role_db, "Boss@Example.com", role="admin")
    before = role_db.rows("users")

    run = cli(["seed-admin", "--email", "boss@example.com"], role_db.env())

    assert run.code == 0
    assert run.result["outcome"] == "exists" and run.result["wasNew"] is False
    assert role_db.rows("users") == before
    assert [e["event_type"] for e in audit_events(role_db)] == ["admin_seed_noop"]


@pytest.mark.parametrize(
    ("role", "active", "state"),
    [("member", True, "role 'member'"), ("admin", False, "role 'admin', inactive"),
     ("member", False, "role 'member', inactive")],
)
def test_a_non_admin_or_inactive_user_is_never_elevated(
    role_db: Database, cli: Any, role: str, active: bool, state: str
) -> None:
    insert_user(role_db, "someone@example.com", role=role, active=active)
    before = role_db.rows("users")

    run = cli(["seed-admin", "--email", "SOMEONE@example.com"], role_db.env())

    assert run.code == 3
    assert run.result["outcome"] == "refused" and run.result["ok"] is False
    assert state in run.result["error"]
    assert role_db.rows("users") == before
    assert [e["event_type"] for e in audit_events(role_db)] == ["admin_seed_refused"]


def test_only_soft_deleted_users_means_a_new_row(role_db: Database, cli: Any) -> None:
    insert_user(role_db, "back@example.com", role="admin", deleted=True)
    insert_user(role_db, "Back@example.com", role="member", deleted=True)

    run = cli(["seed-admin", "--email", "back@example.com"], role_db.env())

    assert run.code == 0 and run.result["outcome"] == "created"
    users = role_db.rows("users")
    assert len(users) == 3
    live = [u for u in users if u["deleted_at"] is None]
    assert [(u["email"], u["role"]) for u in live] == [("back@example.com", "admin")]
    assert [e["event_type"] for e in audit_events(role_db)] == ["admin_account_seeded"]


def test_an_invalid_email_writes_nothing_and_opens_no_connection(cli: Any, tmp_path: Any) -> None:
    # Both targets would fail with exit 4 if anything tried to connect.
    for url in ("postgresql://postgres@127.0.0.1:1/none", f"sqlite:///{tmp_path}/absent.db"):
        run = cli(["seed-admin", "--email", "not-an-email"], {"DATABASE_URL": url})
        assert run.code == 2, run.stderr
        assert run.result == {"ok": False, "outcome": "invalid", "wasNew": False, "preview": False,
                              "error": run.result["error"]}
        assert "exactly one '@'" in run.result["error"]
    assert not (tmp_path / "absent.db").exists()


def test_an_unreachable_database_is_exit_4_with_one_clean_line(cli: Any) -> None:
    run = cli(["seed-admin", "--email", "a@example.com"],
              {"DATABASE_URL": "postgresql://postgres:hunter2-secret@127.0.0.1:1/app"})

    assert run.code == 4
    assert run.result["outcome"] == "error"
    assert "127.0.0.1" in run.result["error"] and "nothing was changed" in run.result["error"]
    assert "hunter2-secret" not in run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_a_missing_schema_is_exit_4_with_the_fix(database: Database, cli: Any) -> None:
    run = cli(["seed-admin", "--email", "a@example.com"], database.env())
    assert run.code == 4
    assert "init-db" in run.result["error"]


@pytest.mark.parametrize("make_unwritable", ["drop", "trigger"])
def test_user_and_audit_commit_together_or_not_at_all(
    role_db: Database, cli: Any, make_unwritable: str
) -> None:
    if make_unwritable == "drop":
        role_db.execute("drop table audit_events")
    elif role_db.kind == "sqlite":
        role_db.execute("create trigger audit_read_only before insert on audit_events "
                        "begin select raise(abort, 'audit_events is read-only'); end")
    else:
        role_db.execute("create function audit_read_only() returns trigger language plpgsql as "
                        "$$ begin raise exception 'audit_events is read-only'; end $$")
        role_db.execute("create trigger audit_read_only before insert on audit_events "
                        "for each row execute function audit_read_only()")

    run = cli(["seed-admin", "--email", "a@example.com"], role_db.env())

    assert run.code == 4
    assert run.result["outcome"] == "error"
    assert role_db.rows("users") == []


HOSTILE_EMAILS = [
    "", " ", "a", "@", "@example.com", "a@", "a@@example.com", "a@b@example.com",
    "a@example", "a@localhost", "a@example.com\n", "\na@example.com", "a@example.com\r\nBcc: x@y.com",
    " a@example.com", "a@example.com ", "a b@example.com", "a\t@example.com", "a@example.com\x00",
    "a\u200b@example.com", "a\u00a0@example.com", "ä@example.com", "a@exämple.com",
    "a..b@example.com", ".a@example.com", "a.@example.com", '"quoted"@example.com',
    "a(comment)@example.com", "a@[127.0.0.1]", "a@-example.com", "a@example-.com",
    "a@exa_mple.com", "a@example..com", "a@.example.com", "a@example.123",
    "x" * 65 + "@example.com", "a@" + "b" * 64 + ".com", "a@" + ("b" * 62 + ".") * 4 + "com",
    "a@example.com'; DROP TABLE users; --", "' OR 1=1 --@example.com",
    "admin@example.com\"); DELETE FROM users; --", "<script>alert(1)</script>@example.com",
    "a@example.com%0a", "${jndi:ldap://x}@example.com", "a@example.com;rm -rf /",
    "$(touch /tmp/pwned)@example.com", "a@ex ample.com", "a@example.com\u2028",
]


def test_malformed_and_hostile_emails_are_rejected_and_change_nothing(
    role_db: Database, cli: Any
) -> None:
    insert_user(role_db, "existing@example.com", role="member")
    before = role_db.snapshot()

    for email in HOSTILE_EMAILS:
        run = cli(["seed-admin", "--email", email], role_db.env())
        assert run.code == 2, f"{email!r} was not rejected: {run.stdout}"
        assert run.result["outcome"] == "invalid", email

    assert role_db.snapshot() == before


def _seed_at_the_barrier(url: str, barrier: Any, results: Any) -> None:
    env = {"DATABASE_URL": url, "ADMIN_TASK_ACTOR": "racer", "ADMIN_TASK_RUN_ID": "race"}
    barrier.wait()
    results.put(main(["seed-admin", "--email", "race@example.com"], env))


@pytest.mark.parametrize(("kind", "processes"), [("sqlite", 8), ("postgres", 32)])
def test_concurrent_seeds_of_one_email_create_exactly_one_admin(
    request: pytest.FixtureRequest, cli: Any, kind: str, processes: int
) -> None:
    db: Database = request.getfixturevalue(f"{kind}_database")
    assert cli(["init-db"], db.env()).code == 0
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=_seed_at_the_barrier, args=(db.url, barrier, results))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    codes = [results.get(timeout=5) for _ in workers]

    assert codes == [0] * processes
    users = db.rows("users")
    assert [(u["email"], u["role"]) for u in users] == [("race@example.com", "admin")]
    events = sorted(e["event_type"] for e in audit_events(db))
    assert events == ["admin_account_seeded"] + ["admin_seed_noop"] * (processes - 1)
