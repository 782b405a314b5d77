"""The catalog's promises that other parts rely on."""

from __future__ import annotations

import pytest

from infra.components.github_oidc import ONE_HOUR
from tasks.cli import build_parser
from tasks.contract.catalog import CATALOG, MAX_TIMEOUT_SECONDS, TASK_NAME, get_task, secret_inputs
from tasks.contract.errors import InvalidInput
from tasks.contract.parameters import PARAMETER_ENV, parse_parameter
from tasks.jobs.superuser import validate_username


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


def test_every_built_in_parameter_passes_the_parameter_rules_unchanged() -> None:
    """Built-in parameters are declared in code, not parsed: parse each one's document as
    the launcher reads it from the launch settings, and get the same parameter back."""
    for entry in CATALOG:
        for parameter in entry.parameters:
            assert parse_parameter(parameter.name, parameter.to_document()) == parameter


def test_the_break_glass_tasks_take_their_input_from_the_launchers_variables() -> None:
    shapes = {entry.name: ([(p.name, p.env_var) for p in entry.parameters], entry.secrets)
              for entry in CATALOG if entry.name not in ("seed-admin", "seed-superuser")}
    assert shapes == {
        "remove-admin": ([("email", "ADMIN_EMAIL")], ("database",)),
        "reactivate-admin": ([("email", "ADMIN_EMAIL")], ("database",)),
        "deactivate-superuser": ([("username", "ADMIN_USERNAME")], ("database",)),
        "reset-superuser-password": ([("username", "ADMIN_USERNAME")],
                                     ("database", "django-superuser")),
    }


@pytest.mark.parametrize(("username", "valid"), [
    ("ops", True), ("ops.lead", True), ("a@b.example", True), ("x+y-z_1", True), ("a" * 150, True),
    ("root admin", False), ("", False), ("a" * 151, False), ("ops;rm", False), ("ops/..", False),
])
def test_the_launcher_and_the_container_agree_on_ascii_usernames(username: str,
                                                                 valid: bool) -> None:
    [parameter] = get_task("deactivate-superuser").parameters
    outcomes = []
    for check in (parameter.validate, validate_username):
        try:
            check(username)
            outcomes.append(True)
        except InvalidInput:
            outcomes.append(False)
    assert outcomes == [valid, valid]


def test_every_built_in_task_is_a_command_that_can_preview() -> None:
    for entry in CATALOG:
        args = build_parser().parse_args([*entry.command, "--preview"])
        assert args.preview is True, entry.name


def test_seed_superusers_one_parameter_is_an_optional_schema_in_the_parameter_namespace() -> None:
    """Optional: without it the superuser is the search path's (public), as before."""
    [schema] = get_task("seed-superuser").parameters
    assert (schema.name, schema.env_var, schema.required) == (
        "schema", "ADMIN_TASK_PARAM_SCHEMA", False)
