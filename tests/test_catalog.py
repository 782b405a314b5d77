"""The catalog's promises that other parts rely on."""

from __future__ import annotations

import pytest

from infra.components.github_oidc import ONE_HOUR
from tasks.catalog import CATALOG, MAX_TIMEOUT_SECONDS, TASK_NAME, get_task, secret_inputs
from tasks.errors import InvalidInput
from tasks.parameters import PARAMETER_ENV


def test_every_task_ends_before_the_launchers_credentials_expire() -> None:
    # The launcher must still hold valid credentials to stop a task at its timeout.
    assert MAX_TIMEOUT_SECONDS + 5 * 60 <= ONE_HOUR
    assert {e.name: e.timeout_seconds for e in CATALOG if e.timeout_seconds > MAX_TIMEOUT_SECONDS} == {}


def test_secrets_never_travel_as_parameters() -> None:
    for entry in CATALOG:
        secret_vars = {s.env_var for s in secret_inputs(entry.secrets)}
        assert secret_vars.isdisjoint(p.env_var for p in entry.parameters), entry.name
        assert all("PASSWORD" not in p.env_var for p in entry.parameters), entry.name
        assert all(PARAMETER_ENV.fullmatch(p.env_var) for p in entry.parameters), entry.name


def test_built_in_names_follow_the_one_task_name_rule() -> None:
    assert all(TASK_NAME.fullmatch(entry.name) for entry in CATALOG)


def test_unknown_tasks_name_the_choices() -> None:
    with pytest.raises(InvalidInput, match="choose one of seed-admin, seed-superuser"):
        get_task("drop-database")
