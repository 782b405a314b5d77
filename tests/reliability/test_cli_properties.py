"""Property tests of the seeding commands' argument and environment handling.

Whatever argv and environment an operator (or a broken workflow) passes, a run ends
with a documented exit code and exactly one JSON result line on stdout, and a rejected
run leaves the database as it was. High volume, so SQLite (the same code path up to
the driver); PostgreSQL is exercised by the fault and soak tests.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tests.conftest import Database
from tests.reliability.strategies import SUPERUSER_DEFAULTS, valid_addresses

DOCUMENTED_EXIT_CODES = {0: (True, {"created", "exists", "removed", "absent", "reactivated",
                                     "deactivated", "password-reset"}),
                         2: (False, {"invalid"}), 3: (False, {"refused"}), 4: (False, {"error"})}
SEEDING_COMMANDS = ["seed-admin", "seed-superuser", "init-db", "remove-admin", "reactivate-admin",
                    "deactivate-superuser", "reset-superuser-password"]
OPTIONS = ["--email", "--reason", "--username", "--iterations", "--profile", "--", "-x",
           "--unknown", "--email=", "--reason=", "--preview"]
#: Numbers as operators and typos write them, including Unicode digits str.isdigit() accepts.
NUMBERS = ["0", "1", "-1", "600000", "1e6", " 600000", "600000\n", "abc", "", "\u00b2",
           "\u0663", "\uff11\uff12"]
PASSWORDS = ["", "short", "123456789012345", "password1234",
             SUPERUSER_DEFAULTS["DJANGO_SUPERUSER_PASSWORD"]]
PROFILES = ["role", "django", "", "nonexistent.json", ".", "/", "ROLE", "a\x00b"]
#: Bounded so the suite stays fast; raise it for a longer hunt (e.g. 3000).
EXAMPLES = int(os.environ.get("ADMIN_TASKS_FUZZ_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

tokens = st.one_of(st.sampled_from(OPTIONS), valid_addresses, st.text(max_size=30),
                   st.sampled_from(NUMBERS + PROFILES))


def not_help(token: str) -> bool:
    """``--help`` (and its abbreviations) prints usage and exits 0 by design, without a
    result line; it is not a seeding run."""
    return not token.startswith(("-h", "--h"))


def argv_for(command: str) -> st.SearchStrategy[list[str]]:
    return st.lists(tokens.filter(not_help), max_size=6).map(lambda rest: [command, *rest])


#: Addresses that collide with the seeded accounts (admin, member) or are new.
emails = st.one_of(st.sampled_from(["admin@example.com", "ADMIN@example.com",
                                    "member@example.com", "ops@example.com"]),
                   valid_addresses, st.text(max_size=30))
optional_reason: st.SearchStrategy[list[str]] = st.one_of(
    st.just([]), st.text(max_size=40).map(lambda reason: ["--reason", reason]))
#: Commands shaped as an operator would type them, with good and bad values.
well_formed_argv = st.one_of(
    st.builds(lambda email, reason: ["seed-admin", "--email", email, *reason],
              emails, optional_reason),
    st.builds(lambda name, email, reason: ["seed-superuser", "--username", name,
                                           "--email", email, *reason],
              st.one_of(st.sampled_from(["admin", "ops", "new.ops"]), st.text(max_size=12)),
              emails, optional_reason),
    st.sampled_from(PROFILES).map(lambda profile: ["init-db", "--profile", profile]),
    st.builds(lambda command, email, preview: [command, "--email", email, *preview],
              st.sampled_from(["remove-admin", "reactivate-admin"]), emails,
              st.sampled_from([[], ["--preview"]])),
    st.builds(lambda command, name, preview: [command, "--username", name, *preview],
              st.sampled_from(["deactivate-superuser", "reset-superuser-password"]),
              st.one_of(st.sampled_from(["admin", "ops", "nobody"]), st.text(max_size=12)),
              st.sampled_from([[], ["--preview"]])),
)
any_argv = st.one_of(
    well_formed_argv,
    st.sampled_from(SEEDING_COMMANDS).flatmap(argv_for),
    st.lists(st.text(max_size=20).filter(not_help), max_size=4).filter(
        lambda argv: not argv or argv[0] not in {"run", "stop"}),  # launcher commands: not here
)


#: DATABASE_URL choices; the placeholders become the test's own files.
DATABASE_URLS = ["{database}", "sqlite:///{missing}", "", "not a url", "mysql://u@h/db",
                 "postgresql://postgres@127.0.0.1:1/x"]


def environment_overrides() -> st.SearchStrategy[dict[str, str]]:
    per_key: dict[str, st.SearchStrategy[str]] = {
        "DATABASE_URL": st.one_of(st.sampled_from(DATABASE_URLS),
                                  st.text(max_size=30).filter(lambda url: not {"{", "}"} & set(url))),
        "ADMIN_EMAIL": st.one_of(valid_addresses, st.text(max_size=30)),
        "ADMIN_TASK_ACTOR": st.text(max_size=300),
        "ADMIN_TASK_RUN_ID": st.text(max_size=150),
        "ADMIN_TASK_REASON": st.text(max_size=600),
        "ADMIN_TASKS_STATEMENT_TIMEOUT_MS": st.sampled_from(NUMBERS),
        "ADMIN_TASKS_PBKDF2_ITERATIONS": st.sampled_from(NUMBERS),
        "ADMIN_TASKS_PROFILE": st.sampled_from(PROFILES),
        "DJANGO_SUPERUSER_USERNAME": st.one_of(st.sampled_from(["admin", "ops.lead"]),
                                               st.text(max_size=20)),
        "DJANGO_SUPERUSER_EMAIL": st.one_of(valid_addresses, st.text(max_size=20)),
        "DJANGO_SUPERUSER_PASSWORD": st.sampled_from(PASSWORDS),
        "ECS_CONTAINER_METADATA_URI_V4": st.just("http://169.254.170.2/v4/task"),
        "ADMIN_TASK_PREVIEW": st.one_of(st.sampled_from(["true", "false", "", "True"]),
                                        st.text(max_size=8)),
        "ADMIN_USERNAME": st.one_of(st.sampled_from(["admin", "ops"]), st.text(max_size=20)),
    }
    # A few variables at a time, so that most runs get past configuration to the database.
    chosen = st.lists(st.sampled_from(sorted(per_key)), max_size=2, unique=True)
    return chosen.flatmap(lambda keys: st.fixed_dictionaries({k: per_key[k] for k in keys}))


def check_run(database: Database, run: Any, before: dict[str, list[tuple[Any, ...]]]) -> None:
    lines = run.stdout.splitlines()
    assert len(lines) == 1, f"stdout must be exactly the result line, got {run.stdout!r}"
    result = json.loads(lines[0])
    assert isinstance(result, dict)
    assert run.code in DOCUMENTED_EXIT_CODES, (run.code, run.stderr)
    event(f"exit {run.code}")  # shown by --hypothesis-show-statistics
    ok, outcomes = DOCUMENTED_EXIT_CODES[run.code]
    assert result["ok"] is ok and result["outcome"] in outcomes, result
    assert "Traceback" not in run.stderr
    after = database.snapshot()
    if run.code in (2, 4) or result.get("preview"):
        assert after == before, "a rejected, failed or preview run changed the database"
    elif run.code == 3:
        unchanged = {t: rows for t, rows in after.items() if t != "audit_events"}
        assert unchanged == {t: rows for t, rows in before.items() if t != "audit_events"}
        added = set(after.get("audit_events", [])) - set(before.get("audit_events", []))
        assert all(any(str(v).endswith("_refused") for v in row) for row in added)


@pytest.fixture
def seeded_sqlite(sqlite_database: Database, cli: Any, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Database:
    """Both profiles' tables, an admin, a member and a superuser to collide with; the
    working directory is the test's own, so a fallback local database lands there."""
    monkeypatch.chdir(tmp_path)
    env = sqlite_database.env(**SUPERUSER_DEFAULTS)
    assert cli(["init-db", "--profile", "role"], env).code == 0
    assert cli(["init-db", "--profile", "django"], env).code == 0
    assert cli(["seed-admin", "--email", "admin@example.com"], env).code == 0
    assert cli(["seed-superuser", "--username", "admin", "--email", "admin@example.com"],
               env).code == 0
    sqlite_database.execute(
        "insert into users (email, role, is_active, email_verified, created_at) "
        "values ('member@example.com', 'member', 1, 1, '2024-01-01 00:00:00')")
    return sqlite_database


NEW_SUPERUSER = ["seed-superuser", "--username", "ops", "--email", "ops@example.com"]


@SETTINGS
@given(argv=any_argv, overrides=environment_overrides())
@example(argv=["seed-admin", "--email", "member@example.com"], overrides={})
@example(argv=["remove-admin", "--email", "admin@example.com", "--preview"], overrides={})
@example(argv=["reset-superuser-password", "--username", "admin"],
         overrides={"ADMIN_TASK_PREVIEW": "true"})
@example(argv=["deactivate-superuser"], overrides={"ADMIN_USERNAME": "admin"})
@example(argv=["seed-admin", "--email", "a@b.co\n"], overrides={})
@example(argv=["seed-admin"], overrides={"ECS_CONTAINER_METADATA_URI_V4": "x", "DATABASE_URL": ""})
@example(argv=[], overrides={})
@example(argv=[*NEW_SUPERUSER, "--iterations", "\u00b2"], overrides={})
@example(argv=["seed-admin", "--email", "ops@example.com"],
         overrides={"ADMIN_TASKS_STATEMENT_TIMEOUT_MS": "\u00b2"})
@example(argv=NEW_SUPERUSER, overrides={"ADMIN_TASKS_PBKDF2_ITERATIONS": "\uff11\uff12"})
@example(argv=["seed-admin", "--email", "ops@example.com"],
         overrides={"DATABASE_URL": "", "DATABASE_HOST": "127.0.0.1", "DATABASE_USER": "u",
                    "DATABASE_PASSWORD": "p", "DATABASE_PORT": "\u00b2"})
def test_any_argv_and_environment_ends_with_a_documented_code_and_one_result_line(
    seeded_sqlite: Database, cli: Any, tmp_path: Path, argv: list[str],
    overrides: dict[str, str],
) -> None:
    extra = dict(overrides)
    if "DATABASE_URL" in extra:
        extra["DATABASE_URL"] = extra["DATABASE_URL"].format(
            database=seeded_sqlite.url, missing=tmp_path / "missing.db")
    env = seeded_sqlite.env(**{**SUPERUSER_DEFAULTS, **extra})
    before = seeded_sqlite.snapshot()
    check_run(seeded_sqlite, cli(argv, env), before)


@SETTINGS
@given(email=emails, reason=st.text(max_size=40),
       url=st.sampled_from(["{database}", "{database}", "sqlite:///{missing}",
                            "postgresql://postgres@127.0.0.1:1/x"]))
@example(email="Member@Example.com", reason="", url="{database}")
@example(email="admin@example.com", reason="line one\nline two", url="{database}")
def test_seed_admin_email_reason_and_database_never_escape_the_documented_outcomes(
    seeded_sqlite: Database, cli: Any, tmp_path: Path, email: str, reason: str, url: str,
) -> None:
    before = seeded_sqlite.snapshot()
    env = seeded_sqlite.env(DATABASE_URL=url.format(database=seeded_sqlite.url,
                                                    missing=tmp_path / "missing.db"))
    run = cli(["seed-admin", "--email", email, "--reason", reason], env)
    check_run(seeded_sqlite, run, before)
    if run.code == 0 and run.result["outcome"] == "created":
        assert run.result["user"]["email"] == email.lower()
