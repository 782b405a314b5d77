"""`python -m infra.render_settings`: what the workflow's check job reads, and what a
developer tries locally; it is the stack's own launch-settings document."""

from __future__ import annotations

import json

import pytest

from infra.render_settings import main
from tests.conftest import run_module_without
from tests.infra.harness import StackRun


def test_it_is_exactly_what_the_stack_exports(stack_run: StackRun,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    environment = stack_run.outputs["githubEnvironment"]
    assert main(["--environment", environment]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(stack_run.outputs["launchSettings"])


@pytest.mark.parametrize(("argv", "message"), [
    (["dev"], "there is no Pulumi.dev.yaml: the stacks are prod, staging"),
    (["--environment", "qa"], "0 stack files configure environment 'qa' (none); exactly one must"),
    ([], "usage: python -m infra.render_settings STACK"),
])
def test_a_wrong_stack_or_environment_is_one_line_and_exit_2(
        argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_without_pyyaml_it_says_what_to_install() -> None:
    """The runtime-only install of `make seed` has no PyYAML."""
    completed = run_module_without(("yaml",), "infra.render_settings", "staging")
    assert completed.returncode == 2 and "Traceback" not in completed.stderr
    assert "reading a stack file needs PyYAML: pip install -e '.[launcher]'" in completed.stderr
