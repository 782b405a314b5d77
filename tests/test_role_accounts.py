"""remove-admin and reactivate-admin on the role profile: every row of their outcome
tables, on SQLite and PostgreSQL, as an operator sees them: exit code, result line,
stderr, the users table and the audit row."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts import APPROVALS, admins, audit_metadata, insert_user, without_times
from tests.conftest import LAUNCHED, CliRun, Database

REASON = "offboarding ticket OPS-7"


def run(cli: Any, db: Database, command: str, email: str) -> CliRun:
    result: CliRun = cli([command, "--email", email, "--reason", REASON], db.env(**APPROVALS))
    return result


def assert_recorded(db: Database, result: CliRun, event: str, changes: dict[str, Any]) -> None:
    """One audit row: the event, who, which run, why, who approved, and what changed;
    its metadata is the result line's ``audit`` object."""
    [row] = db.rows("audit_events")
    metadata = audit_metadata(row)
    assert (row["event_type"], row["resource_type"], row["actor"]) == (event, "user", "tester")
    user = result.result["user"]
    assert row["resource_id"] == ("" if user is None else str(user["id"]))
    assert without_times(metadata["changes"]) == changes == without_times(result.result["changes"])
    assert {k: metadata[k] for k in ("actor", "runId", "reason", "approvedBy", "approvalComment")} == {
        "actor": "tester", "runId": "run-1", "reason": REASON, "approvedBy": ["bob-dba", "carol"],
        "approvalComment": "checked with the owner"}
    audit = result.result["audit"]
    assert (audit["event"], audit["recordedIn"]) == (event, "audit_events")
    assert metadata == {k: v for k, v in audit.items() if k not in ("event", "recordedIn")}


def test_remove_admin_soft_deletes_an_admin_while_another_stays_active(
    role_db: Database, cli: Any,
) -> None:
    insert_user(role_db, "Old.Admin@Example.com", role="admin")
    insert_user(role_db, "keep@example.com", role="admin")

    result = run(cli, role_db, "remove-admin", "old.admin@EXAMPLE.com")

    assert result.code == 0, result.stderr
    assert (result.result["ok"], result.result["outcome"], result.result["preview"]) == (
        True, "removed", False)
    assert result.stderr.splitlines() == [
        "admin-tasks: removed admin old.admin@example.com (soft-deleted: the address can be "
        "seeded again)"]
    removed, kept = role_db.rows("users")
    assert removed["deleted_at"] is not None and removed["is_active"]
    assert kept["deleted_at"] is None
    assert admins(role_db) == ["keep@example.com"]
    assert without_times(result.result["user"]) == {
        "id": removed["id"], "email": "Old.Admin@Example.com", "role": "admin", "isActive": True,
        "deletedAt": "<timestamp>"}
    assert_recorded(role_db, result, "admin_removed",
                    {"before": {"deletedAt": None}, "after": {"deletedAt": "<timestamp>"}})
    # Soft-deleted: the address is free for seed-admin again.
    assert cli(["seed-admin", "--email", "old.admin@example.com"], role_db.env()).result[
        "outcome"] == "created"


def test_remove_admin_removes_an_inactive_admin_whatever_else_is_active(
    role_db: Database, cli: Any,
) -> None:
    """An inactive admin does not count as an active one, so removing it leaves as many."""
    insert_user(role_db, "dormant@example.com", role="admin", active=False)

    result = run(cli, role_db, "remove-admin", "dormant@example.com")

    assert (result.code, result.result["outcome"]) == (0, "removed")
    [row] = role_db.rows("users")
    assert row["deleted_at"] is not None


@pytest.mark.parametrize("deleted_too", [False, True], ids=["no-row", "only-soft-deleted"])
def test_remove_admin_without_a_live_account_is_already_as_asked(
    role_db: Database, cli: Any, deleted_too: bool,
) -> None:
    insert_user(role_db, "keep@example.com", role="admin")
    if deleted_too:
        insert_user(role_db, "gone@example.com", role="admin", deleted=True)
    users = role_db.rows("users")

    result = run(cli, role_db, "remove-admin", "gone@example.com")

    assert (result.code, result.result["ok"], result.result["outcome"]) == (0, True, "absent")
    assert result.result["user"] is None
    assert result.stderr.splitlines() == [
        "admin-tasks: no live account has the address gone@example.com; nothing to remove"]
    assert role_db.rows("users") == users
    assert_recorded(role_db, result, "admin_remove_noop", {"before": None, "after": None})


def test_remove_admin_refuses_a_non_admin(role_db: Database, cli: Any) -> None:
    insert_user(role_db, "member@example.com", role="member")
    insert_user(role_db, "keep@example.com", role="admin")
    users = role_db.rows("users")

    result = run(cli, role_db, "remove-admin", "member@example.com")

    assert (result.code, result.result["ok"], result.result["outcome"]) == (3, False, "refused")
    assert result.result["error"] == (
        "member@example.com belongs to an account with role 'member', not an admin; "
        "remove-admin removes only admins: change that account in the application")
    assert result.stderr.splitlines() == [f"admin-tasks: {result.result['error']}"]
    assert role_db.rows("users") == users
    assert_recorded(role_db, result, "admin_remove_refused", {"before": {}, "after": {}})


def test_remove_admin_refuses_the_only_active_admin(role_db: Database, cli: Any) -> None:
    """Inactive and soft-deleted admins do not count as another active admin."""
    insert_user(role_db, "last@example.com", role="admin")
    insert_user(role_db, "dormant@example.com", role="admin", active=False)
    insert_user(role_db, "gone@example.com", role="admin", deleted=True)
    users = role_db.rows("users")

    result = run(cli, role_db, "remove-admin", "last@example.com")

    assert (result.code, result.result["outcome"]) == (3, "refused")
    assert result.result["error"] == (
        "last@example.com is the only active admin: removing it would leave no active admin. "
        "Seed another admin first (seed-admin), then remove this one")
    assert role_db.rows("users") == users and admins(role_db) == ["last@example.com"]
    assert_recorded(role_db, result, "admin_remove_refused", {"before": {}, "after": {}})


def test_reactivate_admin_sets_an_inactive_admin_active(role_db: Database, cli: Any) -> None:
    insert_user(role_db, "dormant@example.com", role="admin", active=False)

    result = run(cli, role_db, "reactivate-admin", "Dormant@example.com")

    assert (result.code, result.result["outcome"], result.result["ok"]) == (0, "reactivated", True)
    assert result.stderr.splitlines() == ["admin-tasks: reactivated admin dormant@example.com"]
    assert admins(role_db) == ["dormant@example.com"]
    assert result.result["user"]["isActive"] is True
    assert_recorded(role_db, result, "admin_reactivated",
                    {"before": {"isActive": False}, "after": {"isActive": True}})


def test_reactivate_admin_leaves_an_active_admin_alone(role_db: Database, cli: Any) -> None:
    insert_user(role_db, "boss@example.com", role="admin")
    users = role_db.rows("users")

    result = run(cli, role_db, "reactivate-admin", "boss@example.com")

    assert (result.code, result.result["outcome"]) == (0, "exists")
    assert result.stderr.splitlines() == [
        "admin-tasks: boss@example.com is already an active admin; nothing changed"]
    assert role_db.rows("users") == users
    assert_recorded(role_db, result, "admin_reactivate_noop", {"before": {}, "after": {}})


@pytest.mark.parametrize(("setup", "error"), [
    ({"role": "member", "active": False},
     "someone@example.com belongs to an account with role 'member', not an admin; refusing to "
     "elevate it: to make a new admin, use seed-admin with an address no live account has"),
    ({"role": "admin", "active": False, "deleted": True},
     "no live account has the address someone@example.com, so there is nothing to reactivate; "
     "to make a new admin, use seed-admin with an address no live account has"),
], ids=["non-admin", "only-soft-deleted"])
def test_reactivate_admin_refuses_a_non_admin_or_no_live_account(
    role_db: Database, cli: Any, setup: dict[str, Any], error: str,
) -> None:
    insert_user(role_db, "someone@example.com", **setup)
    users = role_db.rows("users")

    result = run(cli, role_db, "reactivate-admin", "someone@example.com")

    assert (result.code, result.result["outcome"], result.result["error"]) == (3, "refused", error)
    assert role_db.rows("users") == users
    changes = {"before": None, "after": None} if setup.get("deleted") else {"before": {}, "after": {}}
    assert_recorded(role_db, result, "admin_reactivate_refused", changes)


@pytest.mark.parametrize("command", ["remove-admin", "reactivate-admin"])
def test_inside_ecs_the_address_comes_from_admin_email(role_db: Database, cli: Any,
                                                       command: str) -> None:
    insert_user(role_db, "one@example.com", role="admin", active=False)
    insert_user(role_db, "two@example.com", role="admin")

    result = cli([command], role_db.env(**LAUNCHED, ADMIN_EMAIL="one@example.com"))

    assert result.code == 0, result.stderr
    assert result.result["audit"]["email"] == "one@example.com"
    assert result.result["audit"]["actor"] == "octocat"


@pytest.mark.parametrize("command", ["remove-admin", "reactivate-admin"])
def test_an_invalid_address_opens_no_connection_and_writes_nothing(cli: Any, command: str) -> None:
    for email in ("", "two@@example.com", "a@example.com\n"):
        result = cli([command, "--email", email],
                     {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"})
        assert (result.code, result.result["outcome"]) == (2, "invalid"), result.stderr
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


def test_seed_admin_points_an_inactive_admin_at_reactivate_admin(role_db: Database,
                                                                 cli: Any) -> None:
    insert_user(role_db, "dormant@example.com", role="admin", active=False)

    refused = cli(["seed-admin", "--email", "dormant@example.com"], role_db.env())
    reactivated = cli(["reactivate-admin", "--email", "dormant@example.com"], role_db.env())

    assert (refused.code, refused.result["error"]) == (3, (
        "dormant@example.com belongs to an existing account (role 'admin', inactive); refusing "
        "to elevate or reactivate it: reactivate it with reactivate-admin, or seed another "
        "address"))
    assert (reactivated.code, reactivated.result["outcome"]) == (0, "reactivated")
