"""What Django 5.2 itself makes of reset-superuser-password and deactivate-superuser, in a
real project (settings configured in a subprocess, Django's own migrations, the test
client's sessions), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

from tests.conftest import Database
from tests.test_seed_superuser import django_database_settings

OLD, NEW = "correct-horse-battery-staple", "violet-anchor-trombone-41"
PROJECT = textwrap.dedent(
    """
    import json, sys
    import django
    from django.conf import settings
    from django.http import HttpResponse
    from django.urls import path

    def whoami(request):
        return HttpResponse(request.user.username if request.user.is_authenticated else "")

    urlpatterns = [path("whoami", whoami)]
    settings.configure(
        DATABASES={"default": json.loads(sys.argv[1])}, ROOT_URLCONF="__main__",
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth",
                        "django.contrib.sessions"],
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                    "django.contrib.auth.middleware.AuthenticationMiddleware"],
        SECRET_KEY="tests-only", ALLOWED_HOSTS=["testserver"], USE_TZ=True)
    django.setup()
    from django.contrib.auth import authenticate
    from django.core.management import call_command
    from django.test import Client

    command, username, *rest = sys.argv[2:]
    client = Client()
    if command == "migrate":
        call_command("migrate", verbosity=0)
        print(json.dumps({}))
    elif command == "login":
        assert client.login(username=username, password=rest[0])
        print(json.dumps({"session": client.cookies[settings.SESSION_COOKIE_NAME].value}))
    else:  # state SESSION PASSWORD...: whom the session is, then what authenticates
        client.cookies[settings.SESSION_COOKIE_NAME] = rest[0]
        who = client.get("/whoami").content.decode()
        print(json.dumps({"sessionUser": who, "authenticates": [
            authenticate(username=username, password=p) is not None for p in rest[1:]]}))
    """
)


def django(database: Database, *args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-c", PROJECT, json.dumps(django_database_settings(database)), *args],
        capture_output=True, text=True, check=True, timeout=120)
    answer: dict[str, Any] = json.loads(completed.stdout)
    return answer


def seed(cli: Any, database: Database, username: str) -> None:
    run = cli(["seed-superuser", "--username", username, "--email", f"{username}@example.com"],
              database.env(DJANGO_SUPERUSER_PASSWORD=OLD))
    assert run.code == 0, run.stderr


def test_after_a_reset_django_takes_the_new_password_only_and_ends_old_sessions(
    database: Database, cli: Any,
) -> None:
    django(database, "migrate", "-")
    seed(cli, database, "ops")
    session = django(database, "login", "ops", OLD)["session"]
    assert django(database, "state", "ops", session, OLD) == {
        "sessionUser": "ops", "authenticates": [True]}

    run = cli(["reset-superuser-password", "--username", "ops"],
              database.env(DJANGO_SUPERUSER_PASSWORD=NEW))

    assert (run.code, run.result["outcome"]) == (0, "password-reset"), run.stderr
    assert django(database, "state", "ops", session, NEW, OLD) == {
        "sessionUser": "", "authenticates": [True, False]}


def test_after_a_deactivation_django_refuses_the_user_and_its_sessions(
    database: Database, cli: Any,
) -> None:
    django(database, "migrate", "-")
    seed(cli, database, "ops")
    seed(cli, database, "leaver")
    session = django(database, "login", "leaver", OLD)["session"]

    run = cli(["deactivate-superuser", "--username", "leaver"], database.env())

    assert (run.code, run.result["outcome"]) == (0, "deactivated"), run.stderr
    assert django(database, "state", "leaver", session, OLD) == {
        "sessionUser": "", "authenticates": [False]}
    assert django(database, "state", "ops", "-", OLD)["authenticates"] == [True]
