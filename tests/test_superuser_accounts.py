"""deactivate-superuser and reset-superuser-password on the django profile: every row of
their outcome tables, on SQLite and PostgreSQL. The profile has no audit table, so the
result line's ``audit`` object is the record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.accounts import APPROVALS, audit_metadata, insert_superuser, superusers
from tests.conftest import CHEAP_HASHES, LAUNCHED, CliRun, Database
from tests.test_seed_superuser import django_check_password

REASON = "break glass INC-42"
NEW_PASSWORD = "violet-anchor-trombone-41"
#: What is written and refused, not how hard it hashes (tests/conftest.py: cheap_hashes).
pytestmark = pytest.mark.usefixtures("cheap_hashes")


def run(cli: Any, db: Database, command: str, username: str, **env: str) -> CliRun:
    result: CliRun = cli([command, "--username", username, "--reason", REASON],
                         db.env(**{**APPROVALS, **CHEAP_HASHES, "DJANGO_SUPERUSER_PASSWORD": NEW_PASSWORD,
                                   **env}))
    return result


def assert_record(result: CliRun, event: str, changes: dict[str, Any], username: str) -> None:
    assert result.result["changes"] == changes
    assert result.result["audit"] == {
        "event": event, "actor": "tester", "runId": "run-1", "reason": REASON,
        "approvedBy": ["bob-dba", "carol"], "approvalComment": "checked with the owner",
        "username": username, "outcome": result.result["outcome"], "changes": changes,
        "source": "admin-tasks", "recordedIn": "result-line"}


def test_deactivate_superuser_while_another_stays_active(django_db: Database, cli: Any) -> None:
    insert_superuser(django_db, "leaver")
    insert_superuser(django_db, "ops")

    result = run(cli, django_db, "deactivate-superuser", "leaver")

    assert (result.code, result.result["ok"], result.result["outcome"]) == (0, True, "deactivated")
    assert result.stderr.splitlines() == ["admin-tasks: deactivated superuser leaver"]
    assert superusers(django_db) == ["ops"]
    [leaver] = [u for u in django_db.rows("auth_user") if u["username"] == "leaver"]
    assert leaver["is_superuser"] and not leaver["is_active"]
    assert result.result["user"] == {"id": leaver["id"], "username": "leaver",
                                     "email": "leaver@example.com", "isSuperuser": True,
                                     "isActive": False}
    assert_record(result, "superuser_deactivated",
                  {"before": {"isActive": True}, "after": {"isActive": False}}, "leaver")


def test_deactivate_superuser_that_is_already_inactive_is_as_asked(
    django_db: Database, cli: Any,
) -> None:
    insert_superuser(django_db, "leaver", active=False)
    before = django_db.snapshot()

    result = run(cli, django_db, "deactivate-superuser", "leaver")

    assert (result.code, result.result["outcome"]) == (0, "exists")
    assert result.stderr.splitlines() == [
        "admin-tasks: superuser leaver is already inactive; nothing changed"]
    assert django_db.snapshot() == before
    assert_record(result, "superuser_deactivate_noop", {"before": {}, "after": {}}, "leaver")


@pytest.mark.parametrize(("rows", "error", "changes"), [
    ([("staffer", False, True), ("ops", True, True)],
     "user staffer is not a superuser; deactivate-superuser deactivates only superusers: change "
     "that user in the application", {"before": {}, "after": {}}),
    ([("staffer", True, True), ("ops", True, False)],
     "staffer is the only active superuser: deactivating it would leave none. Create another "
     "first (seed-superuser), then deactivate this one", {"before": {}, "after": {}}),
    ([("ops", True, True)], "no user has the username staffer; nothing to deactivate",
     {"before": None, "after": None}),
], ids=["non-superuser", "only-active-superuser", "no-such-user"])
def test_deactivate_superuser_refusals_change_nothing(
    django_db: Database, cli: Any, rows: list[tuple[str, bool, bool]], error: str,
    changes: dict[str, Any],
) -> None:
    for username, superuser, active in rows:
        insert_superuser(django_db, username, superuser=superuser, active=active)
    before = django_db.snapshot()

    result = run(cli, django_db, "deactivate-superuser", "staffer")

    assert (result.code, result.result["ok"], result.result["outcome"]) == (3, False, "refused")
    assert result.result["error"] == error
    assert result.stderr.splitlines() == [f"admin-tasks: {error}"]
    assert django_db.snapshot() == before
    assert_record(result, "superuser_deactivate_refused", changes, "staffer")


def test_reset_superuser_password_sets_the_secrets_password(django_db: Database, cli: Any) -> None:
    insert_superuser(django_db, "ops", password="pbkdf2_sha256$1000$old$old")
    [before] = django_db.rows("auth_user")

    result = run(cli, django_db, "reset-superuser-password", "ops")

    assert (result.code, result.result["outcome"], result.result["ok"]) == (0, "password-reset", True)
    assert result.stderr.splitlines() == [
        "admin-tasks: set a new password for superuser ops (from DJANGO_SUPERUSER_PASSWORD)"]
    [after] = django_db.rows("auth_user")
    assert after["password"].startswith("pbkdf2_sha256$1000$")
    assert django_check_password(NEW_PASSWORD, after["password"])
    assert {k: v for k, v in after.items() if k != "password"} == {
        k: v for k, v in before.items() if k != "password"}
    assert_record(result, "superuser_password_reset",
                  {"before": {"password": "redacted"}, "after": {"password": "changed"}}, "ops")
    assert NEW_PASSWORD not in result.stdout + result.stderr
    assert after["password"].split("$")[2] not in result.stdout + result.stderr


@pytest.mark.parametrize(("superuser", "active", "error", "changes"), [
    (False, True, "user ops is not a superuser; reset-superuser-password sets only superusers' "
     "passwords: change that user in the application", {"before": {}, "after": {}}),
    (True, False, "superuser ops is inactive, so a new password would not let anyone in: "
     "reactivate it in the application first", {"before": {}, "after": {}}),
    (None, None, "no user has the username ops; to create a superuser, use seed-superuser",
     {"before": None, "after": None}),
], ids=["non-superuser", "inactive-superuser", "no-such-user"])
def test_reset_superuser_password_refusals_change_nothing(
    django_db: Database, cli: Any, superuser: bool | None, active: bool | None, error: str,
    changes: dict[str, Any],
) -> None:
    if superuser is not None and active is not None:
        insert_superuser(django_db, "ops", superuser=superuser, active=active)
    before = django_db.snapshot()

    result = run(cli, django_db, "reset-superuser-password", "ops")

    assert (result.code, result.result["outcome"], result.result["error"]) == (3, "refused", error)
    assert django_db.snapshot() == before
    assert_record(result, "superuser_password_reset_refused", changes, "ops")


@pytest.mark.parametrize(("password", "rule"), [
    ("Wilhelmina-2024!", "too similar to the first name"),
    ("Oyelaran-Kofi-1", "too similar to the last name"),
    ("contoso-widgets!", "too similar to the email address"),
], ids=["first-name", "last-name", "email"])
def test_the_new_password_is_checked_against_the_stored_row(
    django_db: Database, cli: Any, password: str, rule: str,
) -> None:
    """The row's own names and email, not the secret's DJANGO_SUPERUSER_EMAIL."""
    insert_superuser(django_db, "ops", first_name="Wilhelmina", last_name="Oyelaran-Kofi",
                     email="ops@contoso-widgets.com")
    before = django_db.snapshot()

    result = run(cli, django_db, "reset-superuser-password", "ops",
                 DJANGO_SUPERUSER_PASSWORD=password, DJANGO_SUPERUSER_EMAIL="x@example.org")

    assert (result.code, result.result["outcome"]) == (2, "invalid"), result.stdout
    assert rule in result.result["error"]
    assert password not in result.stdout + result.stderr
    assert django_db.snapshot() == before


@pytest.mark.parametrize(("env", "error"), [
    ({"DJANGO_SUPERUSER_PASSWORD": "CookieMonster"}, "list of common passwords"),
    ({"DJANGO_SUPERUSER_PASSWORD": ""}, "DJANGO_SUPERUSER_PASSWORD is not set"),
    ({"ADMIN_TASKS_PBKDF2_ITERATIONS": "1000"}, "from 600,000 to 20,000,000"),
], ids=["common", "unset", "iterations"])
@pytest.mark.usefixtures("real_floor")
def test_password_problems_are_invalid_before_any_connection(cli: Any, env: dict[str, str],
                                                           error: str) -> None:
    result = cli(["reset-superuser-password", "--username", "ops"],
                 {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none",
                  "DJANGO_SUPERUSER_PASSWORD": NEW_PASSWORD, **env})
    assert (result.code, result.result["outcome"]) == (2, "invalid"), result.stderr
    assert error in result.result["error"]


@pytest.mark.parametrize("command", ["deactivate-superuser", "reset-superuser-password"])
def test_the_username_comes_from_admin_username(django_db: Database, cli: Any, command: str) -> None:
    insert_superuser(django_db, "ops")
    insert_superuser(django_db, "other")
    env = django_db.env(**LAUNCHED, **CHEAP_HASHES, ADMIN_USERNAME="ops",
                        DJANGO_SUPERUSER_USERNAME="other", DJANGO_SUPERUSER_PASSWORD=NEW_PASSWORD)

    result = cli([command], env)

    assert result.code == 0, result.stderr
    assert result.result["user"]["username"] == "ops"
    bad = cli([command, "--username", "root admin"], django_db.env(**CHEAP_HASHES))
    assert (bad.code, bad.result["error"]) == (2, "username must be 1-150 characters of letters, "
                                               "digits and @.+-_ (set --username or ADMIN_USERNAME)")


def test_a_django_profile_with_an_audit_table_gets_an_audit_row(
    database: Database, cli: Any, tmp_path: Path,
) -> None:
    profile = tmp_path / "django-audited.json"
    profile.write_text(json.dumps({"kind": "django", "users": {"table": "auth_user"},
                                   "audit": {"table": "audit_events"}}))
    env = database.env(ADMIN_TASKS_PROFILE=str(profile), **APPROVALS)
    assert cli(["init-db"], env).code == 0
    insert_superuser(database, "leaver")
    insert_superuser(database, "ops")

    result = cli(["deactivate-superuser", "--username", "leaver", "--reason", REASON], env)

    assert (result.code, result.result["audit"]["recordedIn"]) == (0, "audit_events")
    [row] = database.rows("audit_events")
    assert row["event_type"] == "superuser_deactivated"
    assert audit_metadata(row)["changes"] == {"before": {"isActive": True},
                                              "after": {"isActive": False}}


def test_a_legacy_table_with_null_names_and_email_still_resets(
    django_db: Database, cli: Any,
) -> None:
    """Custom or legacy user tables may hold NULL names or email: skipped, as Django skips
    them, never a crash without a result line."""
    insert_superuser(django_db, "ops")
    if django_db.kind == "postgres":
        django_db.execute("alter table auth_user alter column first_name drop not null, "
                          "alter column last_name drop not null, alter column email drop not null")
    else:  # SQLite cannot drop NOT NULL in place: a copy keeps the columns, not the constraints
        django_db.execute("alter table auth_user rename to auth_user_strict")
        django_db.execute("create table auth_user as select * from auth_user_strict")
        django_db.execute("drop table auth_user_strict")
    django_db.execute("update auth_user set first_name = null, last_name = null, email = null")

    result = run(cli, django_db, "reset-superuser-password", "ops")

    assert (result.code, result.result["outcome"]) == (0, "password-reset")
    [after] = django_db.rows("auth_user")
    assert django_check_password(NEW_PASSWORD, after["password"])
