"""The run context in every audit record: launcher-set inside ECS (a missing or empty
variable there is exit 2, nothing written, no connection opened), defaulted elsewhere."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tasks.contract.context import CONTEXT_VARIABLES
from tests.conftest import ECS, LAUNCHED, Database
from tests.reliability.strategies import SUPERUSER_DEFAULTS

SEED = ["seed-admin"]  # inside ECS the email comes from ADMIN_EMAIL, as the launcher sets it
EMAIL = {"ADMIN_EMAIL": "me@example.com"}
CLOSED_PORT_URL = "postgresql://seeder@127.0.0.1:1/app"


def refusal(names: str) -> str:
    return (f"{names} empty, blank or not set: inside ECS every audit record needs the actor, "
            "run id and reason that the launcher (`python -m tasks run`) sets; nothing was "
            "written")


@pytest.mark.parametrize("value", [None, "", " \t "], ids=["unset", "empty", "blank"])
@pytest.mark.parametrize("variable", CONTEXT_VARIABLES)
def test_inside_ecs_a_missing_run_context_variable_is_invalid_and_writes_nothing(
    database: Database, cli: Any, variable: str, value: str | None,
) -> None:
    assert cli(["init-db"], database.env()).code == 0
    env = {k: v for k, v in database.env(**LAUNCHED, **EMAIL).items() if k != variable}
    if value is not None:
        env[variable] = value

    run = cli(SEED, env)

    message = refusal(f"{variable} is")
    assert run.code == 2
    assert run.result == {"ok": False, "outcome": "invalid", "wasNew": False, "preview": False,
                          "error": message}
    assert run.stderr.splitlines() == [f"admin-tasks: {message}"]
    assert database.rows("users") == [] and database.rows("audit_events") == []


@pytest.mark.parametrize("command", [SEED, ["seed-superuser"]])
def test_inside_ecs_without_any_run_context_no_connection_is_opened(
    cli: Any, command: list[str],
) -> None:
    """Exit 2, not the 4 that connecting to the closed port would give."""
    run = cli(command, {**ECS, **SUPERUSER_DEFAULTS, **EMAIL, "DATABASE_URL": CLOSED_PORT_URL,
                        "DJANGO_SUPERUSER_USERNAME": "ops",
                        "DJANGO_SUPERUSER_EMAIL": "ops@example.com"})

    assert run.code == 2
    assert run.stderr.splitlines() == [
        "admin-tasks: " + refusal("ADMIN_TASK_ACTOR, ADMIN_TASK_RUN_ID and ADMIN_TASK_REASON are")]


@pytest.mark.parametrize("extra", [["--reason", "break glass"], ["--email", "x@evil.example"],
                                   ["--profile", "/etc/passwd"]])
def test_inside_ecs_a_command_override_runs_nothing(
    database: Database, cli: Any, extra: list[str],
) -> None:
    """The task definition's entry point ends with the command; anything after it came
    from a RunTask command override, never from the launcher."""
    assert cli(["init-db"], database.env()).code == 0

    run = cli([*SEED, *extra], database.env(**LAUNCHED, **EMAIL))

    assert run.code == 2
    assert run.result["error"] == (
        f"refusing to run: a command override added {len(extra)} argument(s) to 'seed-admin'; "
        "inside ECS a task takes its inputs only from the launcher's environment overrides")
    assert database.rows("users") == [] and database.rows("audit_events") == []


def test_inside_ecs_the_launchers_variables_are_the_record(database: Database, cli: Any) -> None:
    assert cli(["init-db"], database.env()).code == 0
    approval = {"ADMIN_TASK_APPROVED_BY": "bob-dba,carol",
                "ADMIN_TASK_APPROVAL_COMMENT": "checked the address with alice"}
    run = cli(SEED, database.env(**LAUNCHED, **EMAIL, **approval))
    assert run.code == 0, run.stderr
    assert run.result["audit"] == {"event": "admin_account_seeded", "actor": "octocat",
                                   "runId": "4242-1", "reason": "first admin",
                                   "approvedBy": ["bob-dba", "carol"],
                                   "approvalComment": "checked the address with alice",
                                   "email": "me@example.com", "outcome": "created",
                                   "changes": run.result["changes"], "source": "admin-tasks",
                                   "recordedIn": "audit_events"}
    [audit] = database.rows("audit_events")
    metadata = audit["metadata"] if isinstance(audit["metadata"], dict) else json.loads(
        audit["metadata"])
    assert audit["actor"] == "octocat"
    assert (metadata["approvedBy"], metadata["approvalComment"]) == (
        ["bob-dba", "carol"], "checked the address with alice")


def test_a_run_nobody_reviewed_records_no_approver(database: Database, cli: Any) -> None:
    assert cli(["init-db"], database.env()).code == 0
    run = cli(SEED, database.env(**LAUNCHED, **EMAIL))
    assert (run.result["audit"]["approvedBy"], run.result["audit"]["approvalComment"]) == (
        None, None)


@pytest.mark.parametrize("approved_by", ["alice;drop", "a,,b", "-alice", "x" * 40])
def test_a_malformed_approver_list_is_invalid_and_writes_nothing(
    database: Database, cli: Any, approved_by: str,
) -> None:
    assert cli(["init-db"], database.env()).code == 0
    run = cli(SEED, database.env(**LAUNCHED, **EMAIL, ADMIN_TASK_APPROVED_BY=approved_by))
    assert run.code == 2 and "ADMIN_TASK_APPROVED_BY must be GitHub logins" in run.result["error"]
    assert database.rows("users") == [] and database.rows("audit_events") == []


def test_run_context_defaults_locally(sqlite_database: Database, cli: Any) -> None:
    assert cli(["init-db"], sqlite_database.env()).code == 0
    env = {"DATABASE_URL": sqlite_database.url}
    run = cli(["seed-admin", "--email", "me@example.com"], env)
    audit = run.result["audit"]
    assert (audit["runId"], audit["reason"]) == ("local", "")
    assert audit["actor"] not in ("", "tester")


def test_a_control_character_in_the_run_context_is_invalid(sqlite_database: Database, cli: Any) -> None:
    assert cli(["init-db"], sqlite_database.env()).code == 0
    run = cli(["seed-admin", "--email", "me@example.com"],
              sqlite_database.env(ADMIN_TASK_REASON="line\nbreak"))
    assert run.code == 2 and "reason" in run.result["error"]
    assert sqlite_database.rows("users") == []
