"""A built-in task connects only where its task definition binds it: the stack's real
task definitions (under Pulumi mocks), started as ECS starts them (tests/ecs_emulation.py),
with the overrides a holder of the launcher role could send. The bound host is a
listener on 127.0.0.1 that counts connections; another listener stands for the server an
override would name. Every disagreeing variable is exit 2, and neither is reached."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import LAUNCHED
from tests.deployed_tasks import deployed
from tests.ecs_emulation import Listener, container_environment, listening, run_container


@pytest.fixture(scope="module")
def bound() -> Iterator[Listener]:
    """The bound server: a listener on 127.0.0.1 that counts connections."""
    with listening() as listener:
        yield listener


@pytest.fixture
def elsewhere() -> Iterator[Listener]:
    with listening() as listener:
        yield listener


@pytest.fixture(scope="module", params=["staging", "prod"],
                ids=["created secret (DATABASE_URL)", "existing secret (user, password)"])
def task(request: pytest.FixtureRequest, bound: Listener) -> tuple[dict[str, Any], dict[str, str]]:
    return deployed(request.param, bound.port)


def start(task: tuple[dict[str, Any], dict[str, str]], overrides: dict[str, str], *,
          secrets_win: bool = True) -> tuple[Any, dict[str, str]]:
    container, secrets = task
    environment = container_environment(container, secrets, {**LAUNCHED, **overrides},
                                        secrets_win=secrets_win)
    return run_container(container, environment), environment


def test_without_overrides_the_task_connects_to_the_bound_server(
        task: tuple[dict[str, Any], dict[str, str]], bound: Listener) -> None:
    """The control: the bound listener is reached (it is no PostgreSQL: exit 4)."""
    before = bound.connections
    completed, _ = start(task, {})
    assert completed.returncode == 4, completed.stderr
    assert bound.connections > before


@pytest.mark.parametrize(("override", "named"), [
    (lambda port: {"DATABASE_URL": f"postgresql://admin:s3cret@127.0.0.1:{port}/billing"},
     "DATABASE_URL"),
    (lambda port: {"DATABASE_HOST": "localhost", "DATABASE_PORT": str(port)}, "DATABASE_"),
    (lambda port: {"DATABASE_PORT": str(port)}, "DATABASE_PORT"),
    (lambda port: {"DATABASE_NAME": "postgres"}, "DATABASE_NAME"),
    (lambda port: {"ADMIN_TASKS_DATABASE_AUTH": "md5"}, "ADMIN_TASKS_DATABASE_AUTH"),
    (lambda port: {"DATABASE_SSLMODE": "disable"}, "DATABASE_SSLMODE"),
    (lambda port: {"ADMIN_TASKS_PBKDF2_ITERATIONS": "1"}, "ADMIN_TASKS_PBKDF2_ITERATIONS"),
    (lambda port: {"ADMIN_TASKS_BINDING": json.dumps({
        "host": "127.0.0.1", "port": port, "name": "billing", "credentials": "url",
        "auth": "md5", "sslmode": "disable", "iterations": 1})}, None),
], ids=["DATABASE_URL", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "auth mode",
        "sslmode", "PBKDF2 iterations", "a binding of its own"])
@pytest.mark.parametrize("secrets_win", [True, False],
                         ids=["secrets injected last", "overrides replace secrets"])
def test_an_override_that_moves_or_weakens_the_connection_is_exit_2_and_reaches_nothing(
        task: tuple[dict[str, Any], dict[str, str]], bound: Listener, elsewhere: Listener,
        override: Any, named: str | None, secrets_win: bool) -> None:
    given = override(elsewhere.port)
    before = bound.connections
    completed, environment = start(task, given, secrets_win=secrets_win)
    assert elsewhere.connections == 0
    assert "s3cret" not in completed.stderr + completed.stdout
    survived = named is not None and all(environment[k] == v for k, v in given.items())
    if not survived:  # replaced by a secret, or dropped: the task definition's binding holds
        assert completed.returncode == 4 and bound.connections > before, completed.stderr
        return
    assert completed.returncode == 2, completed.stderr
    assert named in completed.stderr and "disagrees with the task definition" in completed.stderr
    assert bound.connections == before


def test_a_password_less_connection_is_refused_in_ecs(bound: Listener) -> None:
    container, secrets = deployed("staging", bound.port)
    secrets = {key: (value.replace("admin:s3cret@", "admin@") if key.endswith(":url") else value)
               for key, value in secrets.items()}
    before = bound.connections
    completed = run_container(container, container_environment(container, secrets, LAUNCHED))
    assert completed.returncode == 2 and "hold no password" in completed.stderr
    assert bound.connections == before


def test_a_binding_flag_given_twice_or_unknown_is_exit_2(
        task: tuple[dict[str, Any], dict[str, str]]) -> None:
    container, secrets = task
    entry = container["entryPoint"]
    for broken in ([*entry[:4], entry[4], *entry[4:]], [*entry[:4], "--database-x=1",
                                                         *entry[4:]]):
        completed = run_container({**container, "entryPoint": broken},
                                  container_environment(container, secrets, LAUNCHED))
        assert completed.returncode == 2, completed.stderr
        assert "binding flag given once" in completed.stderr


@pytest.mark.parametrize(("sslmode", "refused"), [("verify-full", False), ("disable", True),
                                                  ("prefer", True)])
def test_the_secret_url_may_name_a_stricter_sslmode_never_a_weaker_one(
        bound: Listener, sslmode: str, refused: bool) -> None:
    container, secrets = deployed("staging", bound.port)
    secrets = {key: (f"{value}?sslmode={sslmode}" if key.endswith(":url") else value)
               for key, value in secrets.items()}
    before = bound.connections
    completed = run_container(container, container_environment(container, secrets, LAUNCHED))
    if refused:
        assert completed.returncode == 2 and "sslmode" in completed.stderr, completed.stderr
        assert bound.connections == before
    else:
        assert completed.returncode == 4 and bound.connections > before, completed.stderr


def test_a_seal_that_is_not_a_sha256_digest_is_exit_2(bound: Listener) -> None:
    container, secrets = deployed("staging", bound.port)
    entry = [arg if not arg.startswith("--superuser-seal=") else "--superuser-seal=md5:00"
             for arg in container["entryPoint"]]
    completed = run_container({**container, "entryPoint": entry},
                              container_environment(container, secrets, LAUNCHED))
    assert completed.returncode == 2 and "sha256:<64 hex digits>" in completed.stderr
