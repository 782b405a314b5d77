"""Secrets can be re-created: outside production `secretRecoveryWindowDays: 0` deletes a
secret at once (so `pulumi destroy` then `pulumi up` can create the same name); production
keeps 7-30 days, in config and in the policy pack."""

from __future__ import annotations

import pulumi
import pytest

from infra.policy.secret_rules import secret_violations
from tests.infra.harness import Registered, run_stack, stack_config

SECRET = "aws:secretsmanager/secret:Secret"


def _windows(stack: str, days: int) -> list[object]:
    config = stack_config(stack) | {"admin-tasks:secretRecoveryWindowDays": days}
    run = run_stack(config, stack)
    for secret in run.of_type(SECRET):
        assert secret_violations(SECRET, secret.inputs) == [], secret.urn
    return [secret.inputs.get("recoveryWindowInDays") for secret in run.of_type(SECRET)]


def test_zero_deletes_at_once_outside_production_and_passes_the_pack() -> None:
    windows = _windows("staging", 0)
    assert windows and set(windows) == {0}


@pytest.mark.parametrize(("stack", "days", "fragment"), [
    ("prod", 0, "is 0 in a production environment"),
    ("staging", 3, "is 3; AWS keeps a deleted secret 7 to 30 days, or deletes it at once"),
    ("staging", 31, "use 7 to 30 days, or 0 to delete at once"),
])
def test_a_window_aws_or_production_does_not_allow_is_refused(stack: str, days: int,
                                                              fragment: str) -> None:
    config = stack_config(stack) | {"admin-tasks:secretRecoveryWindowDays": days}
    registered: list[Registered] = []
    with pytest.raises(pulumi.RunError, match="secretRecoveryWindowDays") as raised:
        run_stack(config, stack, registered)
    assert fragment in str(raised.value) and registered == []


@pytest.mark.parametrize("tags", [{"admin-tasks:production": "true"}, {}, None],
                         ids=["production", "no production tag", "no tags"])
def test_the_pack_refuses_zero_on_a_secret_not_tagged_outside_production(
        tags: dict[str, str] | None) -> None:
    props = {"name": "admin-tasks/prod/database", "recoveryWindowInDays": 0, "tags": tags}
    assert any("recovery window" in problem for problem in secret_violations(SECRET, props))
