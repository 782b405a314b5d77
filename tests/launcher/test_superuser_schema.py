"""seed-superuser's optional schema parameter on the launcher's side: validated by the
container's own rule before any AWS call, shown to the reviewer, bound into the request's
digest, and passed as ADMIN_TASK_PARAM_SCHEMA (left out when not given)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.launcher.conftest import Launcher, World
from tests.launcher.test_approval_request import check

STAGING = ("--environment", "staging", "--reason", "first superuser of acme")


def run_task_environment(launch: Launcher, *params: str) -> dict[str, str]:
    run = launch("run", "seed-superuser", *STAGING, *params, "--dry-run")
    assert run.exit_code == 0, run.stderr
    [override] = json.loads("\n".join(run.operator_lines))["overrides"]["containerOverrides"]
    assert override["name"] == "seed-superuser"
    return {item["name"]: item["value"] for item in override["environment"]}


def test_the_schema_travels_in_its_own_variable_and_only_when_given(launch: Launcher) -> None:
    assert run_task_environment(launch, "--param=schema=acme_eu")[
        "ADMIN_TASK_PARAM_SCHEMA"] == "acme_eu"
    assert run_task_environment(launch, "--params=schema=acme_eu")[
        "ADMIN_TASK_PARAM_SCHEMA"] == "acme_eu"
    assert not any(name.startswith("ADMIN_TASK_PARAM_") for name in run_task_environment(launch))


@pytest.mark.parametrize("value", ["Acme", "acme;drop table auth_user", "acme.public",
                                   "pg_catalog", "1acme", "a" * 64, "acme\u0131", ""])
def test_a_value_that_is_not_a_schema_name_is_exit_2_and_no_aws_call(
        launch: Launcher, world: World, value: str) -> None:
    run = launch("run", "seed-superuser", *STAGING, f"--param=schema={value}")

    assert (run.exit_code, run.result["outcome"]) == (2, "invalid")
    assert run.result["error"].startswith("parameter schema ")
    assert world.clients_made == [] and world.tasks() == []


def test_the_reviewer_sees_the_schema_and_its_digest_binds_it(
        launch: Launcher, tmp_path: Path) -> None:
    text, _, result = check(launch, tmp_path, "seed-superuser", *STAGING, "--param=schema=acme_eu")

    assert "| `schema` | `acme_eu` | `matches (?!pg_)[a-z_][a-z0-9_]{0,62}, at most 63 " \
        "characters` |" in text
    digests = {result["request"]} | {
        launch("run", "seed-superuser", *STAGING, *extra, "--check").result["request"]
        for extra in (["--param=schema=acme_us"], [])}
    assert len(digests) == 3
