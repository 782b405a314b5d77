"""The task definitions' entry point (`python -I -m tasks.container COMMAND`) holds as a
task in ECS whatever the environment says, and libpq's own variables never steer a
connection."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import LAUNCHED, CliRun, Database

BLANKED = {"ECS_CONTAINER_METADATA_URI_V4": "", "ECS_CONTAINER_METADATA_URI": "",
           "AWS_EXECUTION_ENV": ""}


def entry_point(argv: list[str], env: dict[str, str]) -> CliRun:
    completed = subprocess.run([sys.executable, "-I", "-m", "tasks.container", *argv],
                               env={"PATH": "/usr/bin:/bin", **env}, cwd="/",
                               capture_output=True, text=True, check=False, timeout=120)
    return CliRun(completed.returncode, completed.stdout, completed.stderr)


def test_a_command_override_is_refused_even_with_the_ecs_markers_blanked(
        database: Database, cli: Any) -> None:
    assert cli(["init-db"], database.env()).code == 0
    env = {**database.env(**LAUNCHED, ADMIN_EMAIL="me@example.com"), **BLANKED}

    run = entry_point(["seed-admin", "--profile", "django", "--reason", "other"], env)

    assert run.code == 2
    assert "a command override added 4 argument(s) to 'seed-admin'" in run.result["error"]
    assert database.rows("users") == []


def test_the_run_context_is_required_even_with_the_ecs_markers_blanked(
        database: Database, cli: Any) -> None:
    assert cli(["init-db"], database.env()).code == 0
    env = {**database.env(ADMIN_EMAIL="me@example.com"), **BLANKED,
           "ADMIN_TASK_ACTOR": "", "ADMIN_TASK_RUN_ID": ""}

    run = entry_point(["seed-admin"], env)

    assert run.code == 2 and "inside ECS every audit record needs" in run.result["error"]
    assert database.rows("users") == []


def test_the_entry_point_never_falls_back_to_a_local_sqlite_file(tmp_path: Any) -> None:
    run = entry_point(["seed-admin"], {**LAUNCHED, **BLANKED, "ADMIN_EMAIL": "me@example.com"})
    assert run.code == 2 and "refusing to fall back to a local SQLite file" in run.result["error"]


def test_a_launched_task_runs_from_the_entry_point(database: Database, cli: Any) -> None:
    assert cli(["init-db"], database.env()).code == 0
    run = entry_point(["seed-admin"], database.env(**LAUNCHED, ADMIN_EMAIL="me@example.com"))
    assert run.code == 0, run.stderr
    assert run.result["outcome"] == "created"


@pytest.mark.parametrize("variables", [
    {"PGHOSTADDR": "127.0.0.1"},   # would connect an unresolvable host to another address
    {"PGSSLMODE": "require"},      # the local server has no TLS: the connection would fail
], ids=["PGHOSTADDR", "PGSSLMODE"])
def test_libpq_variables_do_not_reach_the_connection(postgres_database: Database, cli: Any,
                                                     variables: dict[str, str]) -> None:
    assert cli(["init-db"], postgres_database.env()).code == 0
    url = postgres_database.url
    if "PGHOSTADDR" in variables:
        url = url.replace("127.0.0.1", "db.prod.internal.invalid")
    env = {**postgres_database.env(**LAUNCHED, ADMIN_EMAIL="me@example.com"), **variables,
           "DATABASE_URL": url}

    run = entry_point(["seed-admin"], env)

    if "PGHOSTADDR" in variables:
        assert run.code == 4 and "db.prod.internal.invalid" in run.result["error"]
    else:
        assert run.code == 0, run.stderr
