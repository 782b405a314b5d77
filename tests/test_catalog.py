"""The catalog's promises that other parts rely on."""

from __future__ import annotations

import pytest

from infra.components.github_oidc import ONE_HOUR
from tasks.catalog import CATALOG, MAX_TIMEOUT_SECONDS, get_task, steps_command
from tasks.errors import InvalidInput


def test_every_task_ends_before_the_launchers_credentials_expire() -> None:
    # The launcher must still hold valid credentials to stop a task at its timeout.
    assert MAX_TIMEOUT_SECONDS + 5 * 60 <= ONE_HOUR
    assert {e.name: e.timeout_seconds for e in CATALOG if e.timeout_seconds > MAX_TIMEOUT_SECONDS} == {}


def test_secrets_never_travel_as_parameters() -> None:
    for entry in CATALOG:
        secret_vars = {s.env_var for s in entry.secrets}
        assert secret_vars.isdisjoint(p.env_var for p in entry.parameters), entry.name
        assert all("PASSWORD" not in p.env_var for p in entry.parameters), entry.name


def test_migration_steps_fail_the_task_at_the_first_failing_step() -> None:
    command = steps_command([["python", "manage.py", "migrate_schemas", "--shared"],
                             ["python", "manage.py", "migrate_schemas", "--tenant", "|| echo ok"]])
    assert command[:2] == ["/bin/sh", "-c"]
    lines = command[2].splitlines()
    assert lines[0] == "set -eux"
    # A would-be fallback is one quoted word, not shell syntax.
    assert lines[2] == "python manage.py migrate_schemas --tenant '|| echo ok'"
    with pytest.raises(InvalidInput):
        steps_command([["python", ""]])


def test_unknown_tasks_name_the_choices() -> None:
    with pytest.raises(InvalidInput, match="choose one of seed-admin, seed-superuser, migrate"):
        get_task("drop-database")
