"""Which database a command writes to: explicit URL, ECS refusal, local default."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LAUNCHED, Database, run_process


def test_without_database_url_a_developer_gets_a_local_sqlite_file(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli(["init-db"], {}).code == 0

    run = cli(["seed-admin", "--email", "me@example.com"], {})

    assert run.code == 0 and run.result["outcome"] == "created"
    assert "DATABASE_URL is not set; using the local database sqlite:///admin-tasks.db" in run.stderr
    assert (tmp_path / "admin-tasks.db").is_file()


def test_inside_ecs_a_missing_database_url_is_refused(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for command in (["init-db"], ["seed-admin", "--email", "me@example.com"]):
        run = cli(command, LAUNCHED)
        assert run.code == 2
        assert "refusing to fall back to a local SQLite file" in run.result["error"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "message"),
    [("mysql://root@localhost/app", "scheme 'mysql' is not supported"),
     ("not a url", "not a database URL"),
     ("postgresql+asyncpg://h/db", "not supported")],
)
def test_unsupported_database_urls_are_invalid_input(cli: Any, url: str, message: str) -> None:
    run = cli(["seed-admin", "--email", "me@example.com"], {"DATABASE_URL": url})
    assert run.code == 2 and message in run.result["error"]


def test_postgres_scheme_and_url_parts_reach_the_same_server(
    postgres_database: Database, cli: Any
) -> None:
    assert cli(["init-db"], postgres_database.env()).code == 0
    short = postgres_database.url.replace("postgresql://", "postgres://", 1)
    run = cli(["seed-admin", "--email", "one@example.com"], postgres_database.env(DATABASE_URL=short))
    assert run.code == 0, run.stderr
    assert [u["email"] for u in postgres_database.rows("users")] == ["one@example.com"]


def test_database_parts_require_user_and_password(cli: Any) -> None:
    run = cli(["seed-admin", "--email", "me@example.com"], {"DATABASE_HOST": "db.internal", **LAUNCHED})
    assert run.code == 2
    assert "DATABASE_USER, DATABASE_PASSWORD" in run.result["error"]


def test_a_real_process_prints_one_json_line_last_and_logs_to_stderr(
    sqlite_database: Database,
) -> None:
    env = sqlite_database.env(PATH=os.environ["PATH"])
    assert run_process(["init-db"], env).code == 0

    run = run_process(["seed-admin", "--email", "proc@example.com"], env)

    assert run.code == 0
    assert run.stdout.count("\n") == 1 and run.result["outcome"] == "created"
    assert run.stderr == "admin-tasks: created admin proc@example.com\n"


@pytest.mark.parametrize("value", ["0", "99999999999999", "30s", "\u00b2"])
def test_a_bad_statement_timeout_is_invalid_input_before_connecting(cli: Any, value: str) -> None:
    run = cli(["seed-admin", "--email", "me@example.com"],
              {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none",
               "ADMIN_TASKS_STATEMENT_TIMEOUT_MS": value})
    assert run.code == 2
    assert "ADMIN_TASKS_STATEMENT_TIMEOUT_MS must be a whole number" in run.result["error"]
