"""Custom profiles: another application's table and column names, validated up front."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tasks.jobs.profiles import parse_profile
from tests.conftest import PROJECT_ROOT, Database

CUSTOM_ROLE = {
    "kind": "role",
    "users": {"table": "accounts", "idStrategy": "uuid",
              "columns": {"email": "email_address", "isActive": "active", "createdAt": "inserted_at"}},
    "adminRole": "owner",
    "audit": {"table": "audit_log", "columns": {"timestamp": "recorded_at", "metadata": "details"}},
}


def write_profile(tmp_path: Path, document: object) -> str:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_a_custom_role_profile_seeds_into_the_applications_own_tables(
    database: Database, cli: Any, tmp_path: Path
) -> None:
    env = database.env(ADMIN_TASKS_PROFILE=write_profile(tmp_path, CUSTOM_ROLE))
    assert cli(["init-db"], env).code == 0

    first = cli(["seed-admin", "--email", "Owner@Example.com"], env)
    second = cli(["seed-admin", "--email", "owner@example.com"], env)

    assert (first.code, first.result["outcome"]) == (0, "created")
    assert (second.code, second.result["outcome"]) == (0, "exists")
    [account] = database.rows("accounts")
    assert account["email_address"] == "owner@example.com" and account["role"] == "owner"
    assert len(account["id"]) == 36 and first.result["user"]["id"] == account["id"]
    events = database.rows("audit_log", order_by="recorded_at")
    assert sorted(e["event_type"] for e in events) == ["admin_account_seeded", "admin_seed_noop"]
    assert first.result["audit"]["recordedIn"] == "audit_log"


def test_a_profile_without_an_audit_table_puts_the_record_in_the_result_line(
    sqlite_database: Database, cli: Any, tmp_path: Path
) -> None:
    env = sqlite_database.env(
        ADMIN_TASKS_PROFILE=write_profile(tmp_path, {**CUSTOM_ROLE, "audit": None}))
    assert cli(["init-db"], env).code == 0

    run = cli(["seed-admin", "--email", "a@example.com", "--reason", "launch"], env)

    assert run.code == 0
    assert run.result["audit"] == {"event": "admin_account_seeded", "actor": "tester",
                                   "runId": "run-1", "reason": "launch",
                                   "approvedBy": None, "approvalComment": None,
                                   "email": "a@example.com", "outcome": "created",
                                   "changes": run.result["changes"], "source": "admin-tasks",
                                   "recordedIn": "result-line"}
    assert run.result["changes"]["before"] is None
    assert run.result["changes"]["after"]["email"] == "a@example.com"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "must be a JSON object"),
        ({"kind": "admin", "users": {"table": "u"}}, '"kind" must be "role" or "django"'),
        ({"kind": "role"}, '"users" is missing'),
        ({"kind": "role", "users": {"table": "users; drop table x"}}, "must be an SQL identifier"),
        ({"kind": "role", "users": {"table": "u", "columns": {"mail": "m"}}},
         "unknown columns ['mail']"),
        ({"kind": "role", "users": {"table": "u", "columns": {"email": "x", "role": "x"}}},
         "same column"),
        ({"kind": "role", "users": {"table": "u", "idStrategy": "serial"}}, "idStrategy"),
        ({"kind": "role", "users": {"table": "u"}, "adminRole": ""}, "adminRole"),
        ({"kind": "role", "users": {"table": "u"}, "extra": 1}, "unknown keys ['extra']"),
        ({"kind": "django", "users": {"table": "auth_user"}}, "needs a 'role' profile"),
    ],
)
def test_a_bad_profile_is_refused_before_any_connection(
    cli: Any, tmp_path: Path, document: object, message: str
) -> None:
    env = {"ADMIN_TASKS_PROFILE": write_profile(tmp_path, document),
           "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"}

    run = cli(["seed-admin", "--email", "a@example.com"], env)

    assert run.code == 2, run.stdout
    assert message in run.result["error"]


def test_a_missing_or_unreadable_profile_file_is_named(cli: Any, tmp_path: Path) -> None:
    run = cli(["seed-admin", "--email", "a@example.com"],
              {"ADMIN_TASKS_PROFILE": str(tmp_path / "nope.json")})
    assert run.code == 2 and "nope.json" in run.result["error"]
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    run = cli(["seed-admin", "--email", "a@example.com"], {"ADMIN_TASKS_PROFILE": str(broken)})
    assert run.code == 2 and "cannot be read as JSON" in run.result["error"]


def test_init_db_is_idempotent(database: Database, cli: Any) -> None:
    first = cli(["init-db", "--profile", "django"], database.env())
    second = cli(["init-db", "--profile", "django"], database.env())
    assert (first.result["outcome"], first.result["created"]) == ("created", ["auth_user"])
    assert (second.result["outcome"], second.result["created"]) == ("exists", [])


def test_every_command_takes_the_profile_the_same_way(
    database: Database, cli: Any, tmp_path: Path
) -> None:
    custom = write_profile(tmp_path, CUSTOM_ROLE)
    assert cli(["init-db", "--profile", custom], database.env()).code == 0

    flagged = cli(["seed-admin", "--profile", custom, "--email", "a@example.com"], database.env())
    from_variable = cli(["seed-admin", "--email", "b@example.com"],
                        database.env(ADMIN_TASKS_PROFILE=custom))

    assert (flagged.code, from_variable.code) == (0, 0)
    assert sorted(row["email_address"] for row in database.rows("accounts")) == [
        "a@example.com", "b@example.com"]


def test_the_flag_wins_over_the_variable_and_errors_name_the_one_used(
    cli: Any, tmp_path: Path
) -> None:
    missing = str(tmp_path / "nope.json")
    by_flag = cli(["init-db", "--profile", missing], {"ADMIN_TASKS_PROFILE": "django"})
    by_variable = cli(["init-db"], {"ADMIN_TASKS_PROFILE": missing})
    wrong_kind = cli(["seed-superuser", "--profile", "role", "--username", "admin",
                      "--email", "a@example.com"],
                     {"DJANGO_SUPERUSER_PASSWORD": "a long and unusual passphrase"})

    assert by_flag.code == 2 and by_flag.result["error"].startswith(f"--profile {missing!r}")
    assert by_variable.code == 2 and by_variable.result["error"].startswith(
        f"ADMIN_TASKS_PROFILE {missing!r}")
    assert wrong_kind.code == 2 and "needs a 'django' profile: pass --profile django" in \
        wrong_kind.result["error"]
    assert list(tmp_path.iterdir()) == []


def test_the_documented_profile_example_is_a_valid_profile() -> None:
    page = (PROJECT_ROOT / "docs" / "TASK-PACKAGE.md").read_text(encoding="utf-8")
    example = page.split("## Profiles", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    profile = parse_profile(json.loads(example), source="docs")
    assert (profile.users.name, profile.users.id_strategy, profile.admin_role) == (
        "accounts", "uuid", "owner")
