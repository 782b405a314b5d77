"""`python -m infra.render_settings`: what the workflow's check job reads, and what a
developer tries locally; it is the stack's own launch-settings document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.config import ConfigError
from infra.render_settings import ROOT, main, stack_file_config, stack_of_environment
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


@pytest.mark.parametrize(("content", "message"), [
    (b"config:\n  admin-tasks:environment: caf\xe9\n", "Pulumi.qa.yaml is not UTF-8 text: save it as UTF-8"),
    (b"config: [" * 5000, "Pulumi.qa.yaml is not valid YAML"),
    (b"config: !!python/object/apply:os.system [id]\n", "Pulumi.qa.yaml is not valid YAML"),
    (b"- just a list\n", "Pulumi.qa.yaml has no `config:` map"),
], ids=["latin-1", "deep", "python tag", "no config"])
def test_a_broken_stack_file_is_named_in_one_line(
        content: bytes, message: str, tmp_path: Path) -> None:
    """The check job renders the settings on every run: a broken file must say which, and
    (searching by environment) stop rather than guess a stack from the readable ones."""
    (tmp_path / "Pulumi.staging.yaml").write_bytes((ROOT / "Pulumi.staging.yaml").read_bytes())
    (tmp_path / "Pulumi.qa.yaml").write_bytes(content)
    for read in (lambda: stack_file_config("qa", tmp_path),
                 lambda: stack_of_environment("staging", tmp_path)):
        with pytest.raises(ConfigError) as error:
            read()
        assert str(error.value).startswith(message)


def test_help_is_usage_and_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: python -m infra.render_settings STACK")
