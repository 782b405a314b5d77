"""PostgreSQL authentication: a configured password only ever goes to a server through
SCRAM (md5 only when ADMIN_TASKS_DATABASE_AUTH=md5 says so), never in cleartext.

Proved against a fake server (tests/fake_postgres.py) that asks for the password in
cleartext or as md5 and records whether a PasswordMessage arrives; the settings that
would weaken this are refused with exit 2 before any connection (the fake sees none).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import CliRun, run_process
from tests.fake_postgres import ASK_CLEARTEXT, ASK_MD5, FakePostgres, self_signed_tls

PASSWORD = "s3cret-Pa55word"
SEED = ["seed-admin", "--email", "ops@example.com"]
CONTEXT = {"ADMIN_TASK_ACTOR": "tester", "ADMIN_TASK_RUN_ID": "run-1"}
NEVER_CLEARTEXT = (
    "the password was not sent: admin-tasks never sends it in cleartext. Check that "
    "DATABASE_URL or DATABASE_HOST names your database server and that its pg_hba.conf asks "
    "for scram-sha-256; an old server that only does md5 needs md5 there and "
    "ADMIN_TASKS_DATABASE_AUTH=md5 here")
MD5_ONLY_EXPLICITLY = (
    "the password was not sent: md5 is accepted only when allowed explicitly. For an old "
    "server that still uses md5 set ADMIN_TASKS_DATABASE_AUTH=md5, or better move its "
    "passwords to scram-sha-256")


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    return self_signed_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def cleartext_server() -> Iterator[FakePostgres]:
    with FakePostgres(ASK_CLEARTEXT) as server:
        yield server


@pytest.fixture
def md5_server() -> Iterator[FakePostgres]:
    with FakePostgres(ASK_MD5) as server:
        yield server


def parts(port: int, **extra: str) -> dict[str, str]:
    return {"DATABASE_HOST": "127.0.0.1", "DATABASE_PORT": str(port), "DATABASE_USER": "seeder",
            "DATABASE_PASSWORD": PASSWORD, **CONTEXT, **extra}


def url(port: int, query: str = "sslmode=disable") -> dict[str, str]:
    return {"DATABASE_URL": f"postgresql://seeder:{PASSWORD}@127.0.0.1:{port}/app?{query}", **CONTEXT}


def refused_line(display: str, port: int, requirement: str, asked: str, hint: str) -> str:
    return (f"admin-tasks: database {display} failed: connection failed: connection to server at "
            f'"127.0.0.1", port {port} failed: authentication method requirement "{requirement}" '
            f"failed: server requested {asked} ({hint}); nothing was changed")


def assert_refused(run: CliRun, line: str) -> None:
    assert run.code == 4, run.stderr
    assert run.result == {"ok": False, "outcome": "error", "wasNew": False, "preview": False,
                          "error": line.removeprefix("admin-tasks: ")}
    assert run.stderr.splitlines() == [line]


def test_the_bundled_libpq_can_require_an_authentication_method() -> None:
    # require_auth arrived in libpq 16; psycopg-binary (requirements/runtime.txt) bundles it.
    assert psycopg.pq.version() >= 160000


def test_a_tls_server_asking_for_a_cleartext_password_never_gets_it(
    tls: ssl.SSLContext, cli: Any,
) -> None:
    with FakePostgres(ASK_CLEARTEXT, tls) as server:
        run = cli(SEED, parts(server.port))

    display = f"postgresql+psycopg://seeder:***@127.0.0.1:{server.port}/postgres?sslmode=require"
    assert_refused(run, refused_line(display, server.port, "scram-sha-256",
                                     "a cleartext password", NEVER_CLEARTEXT))
    [exchange] = server.exchanges
    assert exchange.tls and exchange.startup["user"] == "seeder"
    assert not exchange.password_sent


@pytest.mark.parametrize(("ask", "asked", "hint"), [
    (ASK_CLEARTEXT, "a cleartext password", NEVER_CLEARTEXT),
    (ASK_MD5, "a hashed password", MD5_ONLY_EXPLICITLY)])
def test_a_url_to_a_server_asking_for_cleartext_or_md5_never_sends_the_password(
    cli: Any, ask: bytes, asked: str, hint: str,
) -> None:
    with FakePostgres(ask) as server:
        run = cli(SEED, url(server.port))

    display = f"postgresql+psycopg://seeder:***@127.0.0.1:{server.port}/app?sslmode=disable"
    assert_refused(run, refused_line(display, server.port, "scram-sha-256", asked, hint))
    assert len(server.exchanges) == 1 and server.passwords_sent == []


def test_md5_is_answered_only_when_allowed_explicitly(md5_server: FakePostgres, cli: Any) -> None:
    run = cli(SEED, url(md5_server.port) | {"ADMIN_TASKS_DATABASE_AUTH": "md5"})

    assert run.code == 4  # the fake hangs up after the password
    [answer] = md5_server.passwords_sent
    assert answer.startswith(b"md5") and PASSWORD.encode() not in answer


def test_allowing_md5_still_never_sends_a_cleartext_password(
    cleartext_server: FakePostgres, cli: Any,
) -> None:
    port = cleartext_server.port
    run = cli(SEED, parts(port, DATABASE_SSLMODE="disable", ADMIN_TASKS_DATABASE_AUTH="md5"))

    display = f"postgresql+psycopg://seeder:***@127.0.0.1:{port}/postgres?sslmode=disable"
    assert_refused(run, refused_line(display, port, "scram-sha-256,md5", "a cleartext password",
                                     NEVER_CLEARTEXT))
    assert cleartext_server.passwords_sent == []


def test_without_a_configured_password_one_from_libpq_s_environment_is_not_sent_either(
    cleartext_server: FakePostgres,
) -> None:
    """No DATABASE_PASSWORD: a trust server is accepted ("none"), but a PGPASSWORD that libpq
    would pick up on its own still only goes through SCRAM."""
    port = cleartext_server.port
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
           **parts(port, DATABASE_SSLMODE="disable", PGPASSWORD=PASSWORD)}
    del env["DATABASE_PASSWORD"]

    run = run_process(SEED, env, cwd=Path(__file__).resolve().parent.parent)

    display = f"postgresql+psycopg://seeder@127.0.0.1:{port}/postgres?sslmode=disable"
    assert_refused(run, refused_line(display, port, "scram-sha-256,none", "a cleartext password",
                                     NEVER_CLEARTEXT))
    assert cleartext_server.passwords_sent == []


def test_a_configured_password_is_refused_by_a_server_that_skips_authentication(
    postgres_url: str, cli: Any,
) -> None:
    """The local test server trusts every client: with a password configured, that is not
    the SCRAM this task demands (a fake server would do the same)."""
    env = {"DATABASE_URL": f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/test", **CONTEXT}
    if postgres_url != "postgresql://postgres@127.0.0.1:5432/test":
        pytest.skip("needs the local trust server")

    run = cli(SEED, env)

    line = ("admin-tasks: database postgresql+psycopg://postgres:***@127.0.0.1:5432/test failed: "
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
            'authentication method requirement "scram-sha-256" failed: server did not complete '
            "authentication (a password is configured but the server asked for none: check that "
            "DATABASE_URL or DATABASE_HOST names your database server; for a server that trusts "
            "this client, leave the password out); nothing was changed")
    assert_refused(run, line)


@pytest.mark.parametrize("value", ["password", "none", "", "scram-sha-256,md5", "gss", "MD5"])
def test_any_other_authentication_setting_is_invalid_before_connecting(
    cleartext_server: FakePostgres, cli: Any, value: str,
) -> None:
    run = cli(SEED, url(cleartext_server.port) | {"ADMIN_TASKS_DATABASE_AUTH": value})

    message = ("ADMIN_TASKS_DATABASE_AUTH must be scram-sha-256 (the default) or md5 (also allow "
               f"md5, for an old server), got {value!r}: a password is never sent in cleartext")
    assert run.code == 2 and run.result["outcome"] == "invalid"
    assert run.stderr.splitlines() == [f"admin-tasks: {message}"]
    assert cleartext_server.exchanges == []


@pytest.mark.parametrize("require_auth", [
    "password", "md5", "none", "scram-sha-256,password", "scram-sha-256,none", "!md5",
    "scram-sha-256&require_auth=password"])
def test_a_require_auth_in_the_url_cannot_widen_what_is_allowed(
    cleartext_server: FakePostgres, cli: Any, require_auth: str,
) -> None:
    run = cli(SEED, url(cleartext_server.port, f"sslmode=disable&require_auth={require_auth}"))

    assert run.code == 2 and run.result["outcome"] == "invalid"
    assert run.stderr.splitlines() == [
        "admin-tasks: DATABASE_URL's require_auth would allow more than ADMIN_TASKS_DATABASE_AUTH "
        "does (scram-sha-256): remove it from the URL, or set ADMIN_TASKS_DATABASE_AUTH=md5 for "
        "an old server that still uses md5"]
    assert cleartext_server.exchanges == []


def test_a_require_auth_in_the_url_may_narrow_what_is_allowed(
    md5_server: FakePostgres, cli: Any,
) -> None:
    run = cli(SEED, url(md5_server.port, "sslmode=disable&require_auth=scram-sha-256")
              | {"ADMIN_TASKS_DATABASE_AUTH": "md5"})

    display = (f"postgresql+psycopg://seeder:***@127.0.0.1:{md5_server.port}/app"
               "?require_auth=scram-sha-256&sslmode=disable")
    assert_refused(run, refused_line(display, md5_server.port, "scram-sha-256",
                                     "a hashed password", MD5_ONLY_EXPLICITLY))
    assert md5_server.passwords_sent == []
