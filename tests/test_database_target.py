"""Which database a command writes to: explicit URL, parts, ECS refusal, local default;
every configuration mistake is exit 2 before any connection; the run context in ECS."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import LAUNCHED, PROJECT_ROOT, Database, run_process

CLOSED_PORT = {"DATABASE_HOST": "127.0.0.1", "DATABASE_PORT": "1", "DATABASE_USER": "seeder"}
KEY = ("DATABASE_URL has a query parameter whose name is not a libpq keyword (lower-case "
       "letters and _ only): remove it (no part of the URL is shown here)")
NUL = ("DATABASE_URL holds a NUL character (%00), where libpq would cut the connection "
       "settings short: remove it (no part of the URL is shown here)")
HOST = (" is not a host name, IP address or socket directory: each dot-separated part of a "
        "name is 1-63 letters, digits, hyphens or underscores (no part of it is shown here)")


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
    for command in (["init-db"], ["seed-admin"]):
        run = cli(command, {**LAUNCHED, "ADMIN_EMAIL": "me@example.com"})
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


def test_database_parts_require_a_user(cli: Any) -> None:
    run = cli(["seed-admin"], {"DATABASE_HOST": "db.internal", **LAUNCHED,
                               "ADMIN_EMAIL": "me@example.com"})
    assert run.code == 2
    assert run.stderr.splitlines() == [
        "admin-tasks: DATABASE_HOST is set but DATABASE_USER is not: set it (and DATABASE_PASSWORD "
        "unless the server trusts this client), or DATABASE_URL instead"]


def test_database_parts_without_a_password_reach_a_trust_server(
    postgres_url: str, cli: Any,
) -> None:
    """The parts form names a database, not a schema (libpq's PGOPTIONS is ignored): the
    test uses a database of its own."""
    server = make_url(postgres_url)
    name = f"parts_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'create database "{name}"'))
    try:
        env = {"PATH": os.environ["PATH"], "ADMIN_TASK_ACTOR": "tester",
               "ADMIN_TASK_RUN_ID": "run-1", "DATABASE_HOST": server.host or "",
               "DATABASE_PORT": str(server.port or 5432), "DATABASE_NAME": name,
               "DATABASE_USER": server.username or "", "DATABASE_SSLMODE": "disable"}
        assert run_process(["init-db"], env, cwd=PROJECT_ROOT).code == 0

        run = run_process(["seed-admin", "--email", "parts@example.com"], env, cwd=PROJECT_ROOT)

        assert run.code == 0, run.stderr
        assert run.result["user"]["email"] == "parts@example.com"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'drop database "{name}" with (force)'))
        admin.dispose()


def test_the_default_sslmode_needs_tls_and_says_how_to_reach_a_local_server(
    postgres_url: str, cli: Any,
) -> None:
    server = make_url(postgres_url)
    if server.query.get("sslmode") or server.host != "127.0.0.1":
        pytest.skip("needs the local test server, which has no TLS")
    env = {"DATABASE_HOST": "127.0.0.1", "DATABASE_PORT": str(server.port or 5432),
           "DATABASE_USER": server.username or "", "ADMIN_TASK_ACTOR": "t", "ADMIN_TASK_RUN_ID": "r"}

    run = cli(["seed-admin", "--email", "me@example.com"], env)

    assert run.code == 4 and run.result["outcome"] == "error"
    assert run.stderr.splitlines() == [
        f"admin-tasks: database postgresql+psycopg://{server.username}@127.0.0.1:{server.port or 5432}"
        "/postgres?sslmode=require failed: connection failed: connection to server at "
        f'"127.0.0.1", port {server.port or 5432} failed: server does not support SSL, but SSL '
        "was required (the server has no TLS: for a local server set DATABASE_SSLMODE=disable, "
        "or add ?sslmode=disable to DATABASE_URL); nothing was changed"]


@pytest.mark.parametrize(("env", "message"), [
    ({**CLOSED_PORT, "DATABASE_SSLMODE": "bogus"},
     "DATABASE_SSLMODE must be one of disable, allow, prefer, require, verify-ca, verify-full, "
     "got 'bogus'"),
    ({**CLOSED_PORT, "DATABASE_SSLMODE": "REQUIRE"},
     "DATABASE_SSLMODE must be one of disable, allow, prefer, require, verify-ca, verify-full, "
     "got 'REQUIRE'"),
    ({"DATABASE_URL": "postgresql://seeder@127.0.0.1:1/app?sslmode=bogus"},
     "DATABASE_URL's sslmode must be one of disable, allow, prefer, require, verify-ca, "
     "verify-full, got 'bogus'"),
    ({"DATABASE_URL": "postgresql://seeder@127.0.0.1:1/app?sslmode=require&sslmode=disable"},
     "DATABASE_URL's sslmode must be one of disable, allow, prefer, require, verify-ca, "
     "verify-full, got 'require,disable'"),
    ({"DATABASE_URL": "postgresql://seeder@127.0.0.1:1/app?password=hunter2"},
     "DATABASE_URL has a password query parameter: put the password in the URL's user part "
     "instead (percent-encoded)"),
    ({**CLOSED_PORT, "DATABASE_HOST": ""},
     "DATABASE_HOST is set but empty: give it a value, or unset it"),
    ({"DATABASE_URL": ""}, "DATABASE_URL is set but empty: give it a value, or unset it"),
    ({**CLOSED_PORT, "DATABASE_PASSWORD": ""},
     "DATABASE_PASSWORD is set but empty: give it a value, or unset it"),
    ({**CLOSED_PORT, "DATABASE_NAME": ""},
     "DATABASE_NAME is set but empty: give it a value, or unset it"),
    # A typo in a host name: getaddrinfo would raise a codec error, not a database error.
    ({"DATABASE_URL": "postgresql://seeder:S3cretPw@db..internal/app"}, "DATABASE_URL's host" + HOST),
    ({**CLOSED_PORT, "DATABASE_HOST": "a..b"}, "DATABASE_HOST" + HOST),
    ({**CLOSED_PORT, "DATABASE_HOST": ".db.internal"}, "DATABASE_HOST" + HOST),
    ({**CLOSED_PORT, "DATABASE_HOST": "x" * 64 + ".internal"}, "DATABASE_HOST" + HOST),
    ({**CLOSED_PORT, "DATABASE_HOST": "db.internal,"}, "DATABASE_HOST" + HOST),
    ({**CLOSED_PORT, "DATABASE_HOST": "dB\u00e9.internal"}, "DATABASE_HOST" + HOST),
    ({"DATABASE_URL": "postgresql://seeder@/app?host=a..b"},
     "DATABASE_URL's host parameter" + HOST),
    ({"DATABASE_URL": "postgresql://seeder@/app?host=db.internal:5432&host=a..b:5432"},
     "DATABASE_URL's host parameter" + HOST),
    # A NUL ends libpq's conninfo: the port, sslmode and require_auth after it would go.
    ({"DATABASE_URL": "postgresql://seeder:hunter%002@127.0.0.1:1/app"}, NUL),
    ({"DATABASE_URL": "postgresql://seeder@127.0.0.1:1/a%00pp"}, NUL),
    ({"DATABASE_URL": "postgresql://seeder@127.0.0.1:1/app?application_name=x%00"}, NUL),
    # A query key is written into libpq's conninfo as is: a NUL or a space in it would cut
    # or inject settings (require_auth dropped, sslmode replaced).
    ({"DATABASE_URL": "postgresql://seeder:pw@127.0.0.1:1/app?application_name%3Da%00=1"}, KEY),
    ({"DATABASE_URL": "postgresql://seeder@127.0.0.1:1/app?sslmode=require&application_name"
                      "%3Da%20sslmode%3Ddisable=1"}, KEY),
    ({"DATABASE_URL": "postgresql://seeder@127.0.0.1:1/app?sslmode%00=disable"}, KEY),
    ({"DATABASE_URL": "postgresql://seeder@127.0.0.1:1/app?port=abc"},
     "DATABASE_URL's host and port parameters cannot be read: use one host:port, or "
     "host=H:PORT query parameters with numeric ports (no part of the URL is shown here)"),
    # Undecodable bytes (os.environ keeps them as lone surrogates): exit 2, none shown.
    ({"DATABASE_URL": "sqlite:///\udcff.db"},
     "DATABASE_URL is not UTF-8 text: set it again from the secret or stack config (no part "
     "of it is shown here)"),
    ({**CLOSED_PORT, "DATABASE_PASSWORD": "pa\udcffss"},
     "DATABASE_PASSWORD is not UTF-8 text: set it again from the secret or stack config (no "
     "part of it is shown here)"),
])
def test_database_configuration_mistakes_are_invalid_before_connecting(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str,
) -> None:
    """Exit 2, not the 4 a connection to the closed port would give; no local SQLite file."""
    monkeypatch.chdir(tmp_path)
    run = cli(["seed-admin", "--email", "me@example.com"], env)
    assert run.code == 2 and run.result["outcome"] == "invalid"
    assert run.stderr.splitlines() == [f"admin-tasks: {message}"]
    assert list(tmp_path.iterdir()) == []


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


def test_the_parts_name_the_root_certificate_themselves() -> None:
    """libpq's PGSSLROOTCERT is dropped with every PG* variable: DATABASE_SSLROOTCERT
    carries verify-full's CA bundle into the connection instead."""
    from tasks.jobs.database import resolve_target

    target = resolve_target({"DATABASE_HOST": "db.example.internal", "DATABASE_USER": "app",
                             "DATABASE_SSLMODE": "verify-full",
                             "DATABASE_SSLROOTCERT": "/etc/ssl/certs/rds-global-bundle.pem"})
    assert target.url.query["sslmode"] == "verify-full"
    assert target.url.query["sslrootcert"] == "/etc/ssl/certs/rds-global-bundle.pem"


@pytest.mark.parametrize("host", ["db.example.internal", "app-db.c9akciq32.eu-west-1.rds.amazonaws.com",
                                  "localhost", "db_primary.internal.", "127.0.0.1", "::1",
                                  "/var/run/postgresql", "db1.internal,db2.internal"])
def test_every_host_libpq_accepts_is_accepted(host: str) -> None:
    from tasks.jobs.database import resolve_target

    target = resolve_target({"DATABASE_HOST": host, "DATABASE_USER": "app"})
    assert target.url.host == host


@pytest.mark.parametrize("query", ["host=db1.internal:5432&host=db2.internal:5433",
                                   "host=[::1]:5432&host=localhost:5432", "host=/var/run/pg"])
def test_the_host_parameters_sqlalchemy_splits_are_accepted(query: str) -> None:
    from tasks.jobs.database import resolve_target

    target = resolve_target({"DATABASE_URL": f"postgresql://app@/db?{query}"})
    assert target.url.query["host"]


def test_a_url_with_an_undecodable_byte_creates_no_file(tmp_path: Path) -> None:
    """From a real process: the byte arrives through os.environ, as in a task."""
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": os.fsdecode(b"sqlite:///\xff.db")}
    run = run_process(["init-db"], env, cwd=tmp_path)
    assert (run.code, run.result["outcome"]) == (2, "invalid")
    assert "DATABASE_URL is not UTF-8 text" in run.stderr and "Traceback" not in run.stderr
    assert list(tmp_path.iterdir()) == []
