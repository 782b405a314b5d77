"""The GitHub provider of this project's program gets its token where the docs say:
from the stack's `github:token` secret when set (an explicit provider reads no `github:`
config itself), else from GITHUB_TOKEN, which the provider's SDK reads from the
environment; either way as a secret, and never in the stack's outputs."""

from __future__ import annotations

import json

import pytest

from tests.infra.harness import StackRun, run_stack, stack_config

# pulumi.runtime.rpc's special signature key and its value for a secret.
SECRET_SIG, SECRET_MARK = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"


def _token(run: StackRun) -> object:
    (provider,) = [r for r in run.resources if r.type == "pulumi:providers:github"]
    assert provider.inputs.get("owner") == "acme-corp"
    return provider.inputs.get("token")


def _secret(value: str) -> dict[str, str]:
    """Pulumi's wire form of a secret: the value travels marked, never as plain text."""
    return {SECRET_SIG: SECRET_MARK, "value": value}


@pytest.mark.parametrize("environment_token", [None, "ghp_from_environment"],
                         ids=["no GITHUB_TOKEN", "GITHUB_TOKEN set too"])
def test_the_stacks_github_token_reaches_the_provider(
        monkeypatch: pytest.MonkeyPatch, environment_token: str | None) -> None:
    if environment_token is None:
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    else:
        monkeypatch.setenv("GITHUB_TOKEN", environment_token)
    run = run_stack(stack_config("staging") | {"github:token": "ghp_from_stack_config"},
                    "staging")
    assert _token(run) == _secret("ghp_from_stack_config")
    assert "ghp_from" not in json.dumps(run.outputs, default=str)


def test_without_it_the_provider_reads_github_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_from_environment")
    run = run_stack(stack_config("staging"), "staging")
    assert _token(run) == _secret("ghp_from_environment")
    assert "ghp_from" not in json.dumps(run.outputs, default=str)


def test_with_neither_the_provider_gets_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    assert _token(run_stack(stack_config("staging"), "staging")) is None
