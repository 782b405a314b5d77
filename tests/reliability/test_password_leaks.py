"""No error or log line shows any part of a database password, however it is written.

Passwords mix the characters that break URLs (@ / # ? : % & = + space …) with letters
and digits, in DATABASE_URL as an operator might paste it (not encoded), percent-encoded,
and in DATABASE_PASSWORD; the server is a closed port, a fake one asking for a cleartext
password, or the real trust server (which a configured password must not accept). At
least every third character of a password is a Greek letter, so every piece of three or
more characters is one no honest message contains: finding one, raw, percent-encoded or
JSON-escaped, is a leak and never a coincidence.
"""

from __future__ import annotations

import json
import os
import string
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from tests.conftest import CliRun
from tests.fake_postgres import ASK_CLEARTEXT, FakePostgres

ANCHORS = "αβγδεζηθλμξπσφψω"
FILLERS = "@/#?:%&=+ ;[]'\"\\!$*,<>^`{|}~" + string.ascii_letters + string.digits
#: Characters that, not percent-encoded, end the user-information part of a URL early.
ENDS_USERINFO = set("@/?#")
passwords = st.lists(st.tuples(st.sampled_from(ANCHORS), st.text(FILLERS, max_size=2)).map("".join),
                     min_size=2, max_size=8).map("".join)
SEED = ["seed-admin", "--email", "ops@example.com"]
CONTEXT = {"ADMIN_TASK_ACTOR": "tester", "ADMIN_TASK_RUN_ID": "run-1"}
EXAMPLES = int(os.environ.get("ADMIN_TASKS_FUZZ_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def pieces(password: str) -> set[str]:
    """Every piece of three or more characters, and the forms it could be printed in."""
    raw = {password[i:j] for i in range(len(password)) for j in range(i + 3, len(password) + 1)}
    return {form for piece in raw for form in (piece, quote(piece, safe=""), quote(piece),
                                                quote_plus(piece), json.dumps(piece)[1:-1])}


def assert_no_leak(run: CliRun, password: str) -> None:
    output = run.stdout + run.stderr
    leaked = sorted(piece for piece in pieces(password) if piece in output)
    assert leaked == [], f"{leaked} of the password shown in:\n{output}"
    assert run.code in (2, 4) and "Traceback" not in run.stderr
    assert len(run.stdout.splitlines()) == 1 and len(run.stderr.splitlines()) == 1


@pytest.fixture(scope="module")
def cleartext_server() -> Iterator[FakePostgres]:
    with FakePostgres(ASK_CLEARTEXT) as server:
        yield server


@pytest.fixture(params=["closed port", "cleartext server", "trust server"])
def server(request: pytest.FixtureRequest) -> tuple[str, int, str]:
    """(host, port, database) of each kind of server."""
    if request.param == "closed port":
        return "127.0.0.1", 1, "app"
    if request.param == "cleartext server":
        fake: FakePostgres = request.getfixturevalue("cleartext_server")
        return "127.0.0.1", fake.port, "app"
    real = make_url(request.getfixturevalue("postgres_url"))
    return real.host or "127.0.0.1", real.port or 5432, real.database or "postgres"


def url_environment(server: tuple[str, int, str], userinfo: str) -> dict[str, str]:
    host, port, database = server
    return {"DATABASE_URL": f"postgresql://seeder:{userinfo}@{host}:{port}/{database}?sslmode=disable",
            **CONTEXT}


def assert_password_never_sent(request: pytest.FixtureRequest) -> None:
    if "cleartext_server" in request.fixturenames:
        fake: FakePostgres = request.getfixturevalue("cleartext_server")
        assert fake.passwords_sent == []


@SETTINGS
@given(password=passwords, encoded=st.booleans())
def test_a_password_in_database_url_never_shows_percent_encoded_or_not(
    server: tuple[str, int, str], cli: Any, request: pytest.FixtureRequest, password: str,
    encoded: bool,
) -> None:
    run = cli(SEED, url_environment(server, quote(password, safe="") if encoded else password))

    assert_no_leak(run, password)
    # Pasted as it is, a password cut short by one of these cannot be told from the rest
    # of the URL: refused unread.
    cut_short = not encoded and bool(ENDS_USERINFO & set(password))
    assert run.code == (2 if cut_short else 4), run.stderr
    assert_password_never_sent(request)


@SETTINGS
@given(password=passwords)
def test_a_database_password_part_never_shows(
    server: tuple[str, int, str], cli: Any, request: pytest.FixtureRequest, password: str,
) -> None:
    host, port, database = server
    run = cli(SEED, {"DATABASE_HOST": host, "DATABASE_PORT": str(port), "DATABASE_NAME": database,
                     "DATABASE_USER": "seeder", "DATABASE_PASSWORD": password,
                     "DATABASE_SSLMODE": "disable", **CONTEXT})

    assert_no_leak(run, password)
    assert run.code == 4, run.stderr
    assert_password_never_sent(request)
