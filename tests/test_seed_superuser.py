"""seed-superuser on the django profile: idempotent, validated, and readable by Django."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from tests.conftest import CHEAP_HASHES, Database

PASSWORD = "correct-horse-battery-staple"


#: What is written and refused, not how hard it hashes (tests/conftest.py: cheap_hashes);
#: the default count, the floor and Django's login keep real hashes here (real_hashes).
pytestmark = pytest.mark.usefixtures("cheap_hashes")


def superuser_env(db: Database, *, real_hashes: bool = False, **extra: str) -> dict[str, str]:
    """A seed-superuser environment; `real_hashes`: the default iteration count."""
    defaults = {"DJANGO_SUPERUSER_USERNAME": "ops", "DJANGO_SUPERUSER_EMAIL": "Ops@Example.com",
                "DJANGO_SUPERUSER_PASSWORD": PASSWORD, **({} if real_hashes else CHEAP_HASHES)}
    return db.env(**{**defaults, **extra})


def django_check_password(password: str, encoded: str) -> bool:
    from django.conf import settings

    if not settings.configured:
        settings.configure()
    from django.contrib.auth.hashers import check_password

    return bool(check_password(password, encoded))


def test_creates_a_superuser_whose_hash_django_verifies(django_db: Database, cli: Any) -> None:
    run = cli(["seed-superuser", "--reason", "bootstrap"], superuser_env(django_db, real_hashes=True))

    assert run.code == 0, run.stderr
    assert run.result["outcome"] == "created"
    [user] = django_db.rows("auth_user")
    assert user["username"] == "ops" and user["email"] == "ops@example.com"
    assert [bool(user[c]) for c in ("is_superuser", "is_staff", "is_active")] == [True] * 3
    assert (user["first_name"], user["last_name"], user["last_login"]) == ("", "", None)
    assert user["date_joined"] is not None
    algorithm, iterations, salt, _ = user["password"].split("$")
    assert (algorithm, iterations, len(salt)) == ("pbkdf2_sha256", "1000000", 22)
    assert django_check_password(PASSWORD, user["password"])
    assert not django_check_password(PASSWORD + "x", user["password"])
    # No audit table in the django profile: the result line is the audit record.
    changes = {"before": None, "after": {
        "username": "ops", "email": "ops@example.com", "password": "set", "isSuperuser": True,
        "isStaff": True, "isActive": True, "firstName": "", "lastName": "", "lastLogin": None,
        "dateJoined": run.result["changes"]["after"]["dateJoined"]}}
    assert run.result["changes"] == changes
    assert run.result["audit"] == {"event": "superuser_seeded", "actor": "tester",
                                   "runId": "run-1", "reason": "bootstrap",
                                   "approvedBy": None, "approvalComment": None,
                                   "username": "ops", "outcome": "created", "changes": changes,
                                   "source": "admin-tasks", "recordedIn": "result-line"}
    assert PASSWORD not in run.stdout + run.stderr
    assert user["password"] not in run.stdout + run.stderr


@pytest.mark.usefixtures("real_floor")
def test_iterations_are_configurable_but_not_below_the_floor(django_db: Database, cli: Any) -> None:
    """The flag and the variable name the count (the flag wins over CHEAP_HASHES)."""
    run = cli(["seed-superuser"], superuser_env(django_db, ADMIN_TASKS_PBKDF2_ITERATIONS="100"))
    assert run.code == 2 and "from 600,000 to 20,000,000" in run.result["error"]
    run = cli(["seed-superuser", "--iterations", "99999999999"], superuser_env(django_db))
    assert run.code == 2 and "got 99,999,999,999" in run.result["error"]
    assert django_db.rows("auth_user") == []

    run = cli(["seed-superuser", "--iterations", "720000"], superuser_env(django_db))
    assert run.code == 0
    [user] = django_db.rows("auth_user")
    assert user["password"].startswith("pbkdf2_sha256$720000$")
    assert django_check_password(PASSWORD, user["password"])


def test_an_existing_superuser_keeps_its_password(django_db: Database, cli: Any) -> None:
    assert cli(["seed-superuser"], superuser_env(django_db)).code == 0
    [before] = django_db.rows("auth_user")

    run = cli(["seed-superuser"],
              superuser_env(django_db, DJANGO_SUPERUSER_PASSWORD="another-long-passphrase"))

    assert run.code == 0 and run.result["outcome"] == "exists"
    assert django_db.rows("auth_user") == [before]


@pytest.mark.parametrize(("superuser", "active"), [(False, True), (True, False)])
def test_an_existing_non_superuser_or_inactive_one_is_refused(
    django_db: Database, cli: Any, superuser: bool, active: bool
) -> None:
    django_db.execute(
        "insert into auth_user (password, is_superuser, username, first_name, last_name, email, "
        "is_staff, is_active, date_joined) values ('!', :su, 'ops', '', '', 'x@example.com', "
        "false, :active, '2024-01-01 00:00:00')", su=superuser, active=active,
    )
    before = django_db.snapshot()

    run = cli(["seed-superuser"], superuser_env(django_db))

    assert run.code == 3 and run.result["outcome"] == "refused"
    assert "refusing to elevate" in run.result["error"]
    assert django_db.snapshot() == before


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("short-pw1", "shorter than 12 characters"),
        ("908172635409182736", "entirely numeric"),
        ("Platform-ops!", "too similar to the username"),
        ("Mailbox-2024!", "too similar to the email address"),
        ("CookieMonster", "list of common passwords"),
        ("line-one\nline-two", "non-printable character"),
    ],
)
def test_weak_passwords_are_refused_before_anything_is_written(
    sqlite_database: Database, cli: Any, password: str, rule: str
) -> None:
    assert cli(["init-db", "--profile", "django"], sqlite_database.env()).code == 0
    env = superuser_env(sqlite_database, DJANGO_SUPERUSER_PASSWORD=password,
                        DJANGO_SUPERUSER_USERNAME="platform-ops",
                        DJANGO_SUPERUSER_EMAIL="mailbox@example.com")

    run = cli(["seed-superuser"], env)

    assert run.code == 2, run.stdout
    assert rule in run.result["error"]
    assert run.result["error"].endswith("set a stronger DJANGO_SUPERUSER_PASSWORD")
    assert password not in run.stdout + run.stderr
    assert sqlite_database.rows("auth_user") == []


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("Administrat0r!", "too similar to the username"),
        ("contoso-widgets!", "too similar to the email address"),
        (" password123 ", "list of common passwords"),
    ],
)
def test_passwords_djangos_validators_reject_are_refused(
    django_db: Database, cli: Any, password: str, rule: str
) -> None:
    """The issue's examples: a Django 5.2 project's AUTH_PASSWORD_VALIDATORS reject them."""
    env = superuser_env(django_db, DJANGO_SUPERUSER_PASSWORD=password,
                        DJANGO_SUPERUSER_USERNAME="administrator",
                        DJANGO_SUPERUSER_EMAIL="ops@contoso-widgets.com")
    before = django_db.snapshot()

    run = cli(["seed-superuser"], env)

    assert (run.code, run.result["outcome"]) == (2, "invalid"), run.stdout
    assert rule in run.result["error"]
    assert password.strip() not in run.stdout + run.stderr
    assert django_db.snapshot() == before


def test_the_password_is_never_a_flag(sqlite_database: Database, cli: Any) -> None:
    for argv in (["--password", PASSWORD], [f"--password={PASSWORD}"], [PASSWORD],
                 [f"-e{PASSWORD}"]):
        run = cli(["seed-superuser", *argv], superuser_env(sqlite_database))
        assert run.code == 2 and run.result["error"].startswith("unrecognized arguments: ")
        assert "1 value (not shown: a value may be a secret)" in run.result["error"]
        assert PASSWORD not in run.stdout + run.stderr
        assert "see `python -m tasks seed-superuser --help`" in run.stderr
    # argparse's own messages quote what they read: a part of it, or an ambiguous option
    for argv in ([f"-h{PASSWORD}"], ["run", "seed-admin", "--reason", "r",
                                     f"--par=PASSWORD={PASSWORD}"]):
        run = cli(argv if argv[0] == "run" else ["seed-superuser", *argv],
                  superuser_env(sqlite_database))
        assert run.code == 2, run.stderr
        assert PASSWORD[1:] not in run.stdout + run.stderr and "…" in run.stderr
    env = superuser_env(sqlite_database)
    del env["DJANGO_SUPERUSER_PASSWORD"]
    run = cli(["seed-superuser"], env)
    assert run.code == 2 and "DJANGO_SUPERUSER_PASSWORD is not set" in run.result["error"]


def test_flags_override_the_environment_and_usernames_are_checked(
    django_db: Database, cli: Any
) -> None:
    run = cli(["seed-superuser", "--username", "root admin"], superuser_env(django_db))
    assert run.code == 2 and "username" in run.result["error"]
    run = cli(["seed-superuser", "--username", "platform", "--email", "platform@example.com"],
              superuser_env(django_db))
    assert run.code == 0
    assert [(u["username"], u["email"]) for u in django_db.rows("auth_user")] == [
        ("platform", "platform@example.com")]


DJANGO_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import django
    from django.conf import settings
    from django.core.management import call_command
    settings.configure(DATABASES={"default": json.loads(sys.argv[1])},
                       INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
                       USE_TZ=True)
    django.setup()
    if sys.argv[2] == "migrate":
        call_command("migrate", "auth", verbosity=0)
    else:
        from django.contrib.auth.models import User
        user = User.objects.get(username="ops")
        print(json.dumps({"password_ok": user.check_password(sys.argv[3]),
                          "superuser": user.is_superuser, "staff": user.is_staff,
                          "active": user.is_active, "email": user.email}))
    """
)


def run_django(database_settings: dict[str, Any], *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", DJANGO_SCRIPT, json.dumps(database_settings), *args],
        capture_output=True, text=True, check=True, timeout=120,
    )
    return completed.stdout


def django_database_settings(database: Database) -> dict[str, Any]:
    """Django's DATABASES["default"] for the test's SQLite file or PostgreSQL schema."""
    url = database.engine().url
    if database.kind == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url.database}
    return {"ENGINE": "django.db.backends.postgresql", "NAME": url.database,
            "USER": url.username, "HOST": url.host, "PORT": url.port,
            "OPTIONS": {"options": url.query["options"]}}


def test_a_superuser_seeded_into_djangos_own_schema_can_log_in(database: Database, cli: Any) -> None:
    """Django creates auth_user with its migrations; our row must satisfy its model."""
    settings = django_database_settings(database)
    run_django(settings, "migrate")

    run = cli(["seed-superuser"], superuser_env(database, real_hashes=True))

    assert run.code == 0, run.stderr
    loaded = json.loads(run_django(settings, "check", PASSWORD))
    assert loaded == {"password_ok": True, "superuser": True, "staff": True, "active": True,
                      "email": "ops@example.com"}
