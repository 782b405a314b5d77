"""Secrets can be re-created: AWS keeps a deleted secret `secretRecoveryWindowDays` (30 by
default); outside production 0 deletes it at once, production keeps 7-30 days, in config
and in the policy pack; and the documented restore-and-adopt commands name the secret,
region and URNs the program really uses."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pulumi
import pytest

from infra.policy.secret_rules import secret_violations
from tests.infra.engine_urns import EngineUrns
from tests.infra.harness import ROOT, Registered, run_stack, stack_config

SECRET = "aws:secretsmanager/secret:Secret"
WINDOW = "admin-tasks:secretRecoveryWindowDays"


def _windows(config: dict[str, object], stack: str) -> list[object]:
    run = run_stack(config, stack)
    for secret in run.of_type(SECRET):
        assert secret_violations(SECRET, secret.inputs) == [], secret.urn
    return [secret.inputs.get("recoveryWindowInDays") for secret in run.of_type(SECRET)]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_unset_a_deleted_secret_stays_restorable_30_days(stack: str) -> None:
    config = {k: v for k, v in stack_config(stack).items() if k != WINDOW}
    windows = _windows(config, stack)
    assert windows and set(windows) == {30}


def test_zero_deletes_at_once_outside_production_and_passes_the_pack() -> None:
    windows = _windows(stack_config("staging") | {WINDOW: 0}, "staging")
    assert windows and set(windows) == {0}


@pytest.mark.parametrize(("stack", "days", "fragment"), [
    ("prod", 0, "is 0 in a production environment"),
    ("staging", 3, "is 3; AWS keeps a deleted secret 7 to 30 days, or deletes it at once"),
    ("staging", 31, "use 7 to 30 days, or 0 to delete at once"),
])
def test_a_window_aws_or_production_does_not_allow_is_refused(stack: str, days: int,
                                                              fragment: str) -> None:
    config = stack_config(stack) | {WINDOW: days}
    registered: list[Registered] = []
    with pytest.raises(pulumi.RunError, match="secretRecoveryWindowDays") as raised:
        run_stack(config, stack, registered)
    assert fragment in str(raised.value) and registered == []


@pytest.mark.parametrize(("name", "tags"), [
    ("admin-tasks/live/database", {"admin-tasks:production": "true"}),
    ("admin-tasks/staging/database", {}),
    ("admin-tasks/staging/database", None),
    ("admin-tasks/prod-eu/database", {"admin-tasks:production": "false"}),
], ids=["tagged production", "no production tag", "no tags", "prod* name tagged false"])
def test_the_pack_refuses_zero_on_a_secret_that_may_be_productions(
        name: str, tags: dict[str, str] | None) -> None:
    props = {"name": name, "recoveryWindowInDays": 0, "tags": tags}
    assert any("recovery window" in problem for problem in secret_violations(SECRET, props))


@pytest.mark.parametrize(("days", "refused"), [(6, True), (7, False), (30, False), (31, True)])
def test_the_pack_allows_awss_range_otherwise(days: int, refused: bool) -> None:
    props = {"name": "admin-tasks/staging/database", "recoveryWindowInDays": days,
             "tags": {"admin-tasks:production": "false"}}
    problems = secret_violations(SECRET, props)
    assert any("recovery window" in problem for problem in problems) is refused


def _recorded_commands(block: str, log: Path) -> dict[str, list[str]]:
    """Run the documented block with `aws` and `pulumi` replaced by recorders: each call's
    argv, by its first two words; `aws` answers with a restored secret's ARN."""
    stubs = (f'rec() {{ printf "%s\\0" "$@" > "{log}/$1-$2"; }}\n'
             'aws() { rec aws "$@"; echo "arn:aws:secretsmanager:eu-west-1:111111111111:'
             'secret:restored-AbCdEf"; }\n'
             'pulumi() { rec pulumi "$@"; }\n')
    subprocess.run(["bash", "-e", "-c", stubs + block], check=True, capture_output=True)
    return {path.name: path.read_text().split("\0")[1:-1] for path in log.iterdir()}


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_the_documented_restore_adopts_each_secret_where_the_program_declares_it(
        tmp_path: Path) -> None:
    page = (ROOT / "docs" / "DEPLOYING.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"^```shell\n(.*?)^```$", page, re.MULTILINE | re.DOTALL)
                if "restore-secret" in b]
    config = stack_config("staging")
    run = run_stack(config, "staging")
    engine = EngineUrns(run.registrations)
    secrets = {urn: r for urn, r in run.registrations.items() if r.type == SECRET}
    assert len(secrets) == 2
    for urn, secret in secrets.items():
        name = run.named(secret.name).inputs["name"]
        log = tmp_path / secret.name
        log.mkdir()
        commands = _recorded_commands(re.sub(
            r"^NAME=\S+", f"NAME={name.rsplit('/', 1)[1]}", block, flags=re.MULTILINE), log)
        restore, adopt = commands["aws-secretsmanager"], commands["pulumi-import"]
        assert restore[:2] == ["secretsmanager", "restore-secret"]
        assert _option(restore, "--secret-id") == name
        assert _option(restore, "--region") == config["aws:region"]
        # `pulumi import TYPE NAME ID --parent VAR=URN` puts the restored secret at the
        # URN the program declares it at, so the next `up` updates it instead of creating
        type_, imported, arn = adopt[adopt.index(SECRET):][:3]
        assert arn == "arn:aws:secretsmanager:eu-west-1:111111111111:secret:restored-AbCdEf"
        parent = _option(adopt, "--parent").split("=", 1)[1]
        assert parent == engine.urn(secret.parent)
        assert f"{parent.rsplit('::', 1)[0]}${type_}::{imported}" == engine.urn(urn)
        assert _option(adopt, "--stack") == "staging" and "--protect=false" in adopt
        assert commands["pulumi-up"][:3] == ["up", "--stack", "staging"]
