"""The GitHub provider of this project's program gets its token where the docs say:
from the stack's `github:token` secret when set (an explicit provider reads no `github:`
config itself), else from GITHUB_TOKEN, which the provider reads from the environment."""

from __future__ import annotations

from tests.infra.harness import run_stack, stack_config

# pulumi.runtime.rpc's special signature key and its value for a secret.
SECRET_SIG, SECRET_MARK = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"


def test_the_stacks_github_token_reaches_the_provider() -> None:
    config = stack_config("staging") | {"github:token": "ghp_from_stack_config"}
    run = run_stack(config, "staging")
    (provider,) = [r for r in run.resources if r.type == "pulumi:providers:github"]
    token = provider.inputs.get("token")
    # Pulumi's wire form of a secret: the value travels marked, never as plain text.
    assert token == {SECRET_SIG: SECRET_MARK, "value": "ghp_from_stack_config"}
    assert provider.inputs.get("owner") == "acme-corp"


def test_without_it_the_provider_is_left_to_read_github_token() -> None:
    run = run_stack(stack_config("staging"), "staging")
    (provider,) = [r for r in run.resources if r.type == "pulumi:providers:github"]
    assert "token" not in provider.inputs
