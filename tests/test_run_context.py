"""The run context in every audit record: launcher-set inside ECS (a missing or empty
variable there is exit 2, nothing written, no connection opened), defaulted elsewhere."""

from __future__ import annotations

from typing import Any

import pytest

from tasks.context import CONTEXT_VARIABLES
from tests.conftest import ECS, LAUNCHED, Database
from tests.reliability.strategies import SUPERUSER_DEFAULTS

SEED = ["seed-admin", "--email", "me@example.com"]
CLOSED_PORT_URL = "postgresql://seeder@127.0.0.1:1/app"


def refusal(names: str) -> str:
    return (f"{names} empty or not set: inside ECS every audit record needs the actor, run id "
            "and reason that the launcher (`python -m tasks run`) sets; nothing was written")


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
@pytest.mark.parametrize("variable", CONTEXT_VARIABLES)
def test_inside_ecs_a_missing_run_context_variable_is_invalid_and_writes_nothing(
    database: Database, cli: Any, variable: str, value: str | None,
) -> None:
    assert cli(["init-db"], database.env()).code == 0
    env = {k: v for k, v in database.env(**LAUNCHED).items() if k != variable}
    if value is not None:
        env[variable] = value

    run = cli(SEED, env)

    message = refusal(f"{variable} is")
    assert run.code == 2
    assert run.result == {"ok": False, "outcome": "invalid", "wasNew": False, "error": message}
    assert run.stderr.splitlines() == [f"admin-tasks: {message}"]
    assert database.rows("users") == [] and database.rows("audit_events") == []


@pytest.mark.parametrize("command", [SEED, ["seed-superuser", "--username", "ops", "--email",
                                            "ops@example.com"]])
def test_inside_ecs_without_any_run_context_no_connection_is_opened(
    cli: Any, command: list[str],
) -> None:
    """Exit 2, not the 4 that connecting to the closed port would give."""
    run = cli(command, {**ECS, **SUPERUSER_DEFAULTS, "DATABASE_URL": CLOSED_PORT_URL})

    assert run.code == 2
    assert run.stderr.splitlines() == [
        "admin-tasks: " + refusal("ADMIN_TASK_ACTOR, ADMIN_TASK_RUN_ID and ADMIN_TASK_REASON are")]


def test_inside_ecs_the_reason_flag_stands_for_admin_task_reason(
    database: Database, cli: Any,
) -> None:
    assert cli(["init-db"], database.env()).code == 0
    env = {k: v for k, v in database.env(**LAUNCHED).items() if k != "ADMIN_TASK_REASON"}

    run = cli([*SEED, "--reason", "break glass"], env)

    assert run.code == 0, run.stderr
    assert run.result["audit"] == {"event": "admin_account_seeded", "actor": "octocat",
                                   "runId": "4242-1", "reason": "break glass",
                                   "recordedIn": "audit_events"}
    [audit] = database.rows("audit_events")
    assert audit["actor"] == "octocat"


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
