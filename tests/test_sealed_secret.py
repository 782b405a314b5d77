"""The superuser secret cannot be replaced by a RunTask override, whichever order ECS
applies overrides and secrets in: the stack's real seed-superuser and
reset-superuser-password task definitions (under Pulumi mocks), started as ECS starts
them (tests/ecs_emulation.py), with the overrides a holder of the launcher role could
send. Refused is exit 2 before any connection; accepted reaches the bound listener (no
PostgreSQL there: exit 4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import LAUNCHED
from tests.deployed_tasks import SUPERUSER, deployed
from tests.ecs_emulation import Listener, container_environment, listening, run_container

FORGED = json.dumps({"username": "mallory", "email": "m@example.com",
                     "password": "known to the attacker 1234", "seal": "a guess"})


@pytest.fixture(scope="module")
def bound() -> Iterator[Listener]:
    """The bound server: a listener on 127.0.0.1 that counts connections."""
    with listening() as listener:
        yield listener


@pytest.fixture(scope="module", params=["seed-superuser", "reset-superuser-password"])
def task(request: pytest.FixtureRequest, bound: Listener) -> tuple[dict[str, Any], dict[str, str]]:
    return deployed("staging", bound.port, request.param)


def start(task: tuple[dict[str, Any], dict[str, str]], overrides: dict[str, str], *,
          secrets_win: bool = True, secrets: dict[str, str] | None = None) -> Any:
    container, values = task
    environment = container_environment(container, secrets or values,
                                        {**LAUNCHED, "ADMIN_USERNAME": "root-admin",
                                         **overrides}, secrets_win=secrets_win)
    return run_container(container, environment)


def test_the_sealed_secret_is_accepted(task: Any, bound: Listener) -> None:
    before = bound.connections
    completed = start(task, {})
    assert completed.returncode == 4 and bound.connections > before, completed.stderr


@pytest.mark.parametrize("name", ["DJANGO_SUPERUSER_PASSWORD", "DJANGO_SUPERUSER_USERNAME",
                                  "DJANGO_SUPERUSER_EMAIL"])
@pytest.mark.parametrize("secrets_win", [True, False])
def test_a_per_key_override_is_refused(task: Any, bound: Listener, name: str,
                                       secrets_win: bool) -> None:
    before = bound.connections
    completed = start(task, {name: "known to the attacker 1234"}, secrets_win=secrets_win)
    assert completed.returncode == 2, completed.stderr
    assert f"{name} is set in the environment" in completed.stderr
    assert bound.connections == before


@pytest.mark.parametrize("secrets_win", [True, False],
                         ids=["secrets injected last", "overrides replace secrets"])
def test_a_forged_secret_document_never_reaches_the_database(
        task: Any, bound: Listener, secrets_win: bool) -> None:
    before = bound.connections
    completed = start(task, {"DJANGO_SUPERUSER_SECRET": FORGED}, secrets_win=secrets_win)
    assert "known to the attacker" not in completed.stderr + completed.stdout
    if secrets_win:  # ECS put the real secret back: the run is the genuine one
        assert completed.returncode == 4 and bound.connections > before, completed.stderr
        return
    assert completed.returncode == 2, completed.stderr
    assert "not sealed with the task definition's seal" in completed.stderr
    assert bound.connections == before


@pytest.mark.parametrize(("change", "message"), [
    ({"seal": "the seal of another environment"}, "not sealed"),
    ({"seal": None}, "non-empty string keys seal, username, email, password"),
    ({"password": ""}, "non-empty string keys"),
], ids=["another seal", "no seal", "empty password"])
def test_a_secret_put_without_its_seal_is_refused_naming_the_fix(
        task: Any, bound: Listener, change: dict[str, Any], message: str) -> None:
    _, values = task
    arn = next(key for key in values if key.endswith(":seal")).removesuffix(":seal")
    changed = dict(values)
    for key, value in change.items():
        if value is None:
            del changed[f"{arn}:{key}"]
        else:
            changed[f"{arn}:{key}"] = value
    before = bound.connections
    completed = start(task, {}, secrets=changed)
    assert completed.returncode == 2 and message in completed.stderr, completed.stderr
    assert "superuserSecretSeal" in completed.stderr and bound.connections == before
    assert SUPERUSER["password"] not in completed.stderr
