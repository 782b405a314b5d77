"""`python -m infra.render_settings`: what the workflow's check job reads, and what a
developer tries locally; it is the stack's own launch-settings document."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from infra.config import ConfigError
from infra.render_settings import ROOT, main, stack_file_config, stack_of_environment
from tests.conftest import run_module_without
from tests.infra.harness import StackRun, run_program
from tests.infra.platform_program import platform_program


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


@pytest.fixture
def component_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose own program uses AdminTasks: its stack file has none of our
    keys, and it commits the component's launch_settings output per environment."""
    (tmp_path / "Pulumi.staging.yaml").write_text("config:\n  aws:region: eu-west-1\n"
                                                  "  platform:vpcCidr: 10.0.0.0/16\n")
    run = run_program(platform_program, {}, "billing-staging", project="platform")
    (tmp_path / "launch-settings").mkdir()
    (tmp_path / "launch-settings" / "staging.json").write_text(run.outputs["adminSettings"])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_program_using_the_component_renders_its_committed_settings(
        component_repository: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--environment", "staging"]) == 0
    committed = (component_repository / "launch-settings" / "staging.json").read_text()
    assert json.loads(capsys.readouterr().out) == json.loads(committed)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda root: (root / "Pulumi.staging.yaml").write_bytes(
        (ROOT / "Pulumi.staging.yaml").read_bytes()),
     "both a stack file and launch-settings/staging.json configure environment 'staging'"),
    (lambda root: (root / "launch-settings" / "staging.json").write_text(
        (root / "launch-settings" / "staging.json").read_text().replace(
            '"environment": "staging"', '"environment": "prod"')),
     "launch-settings/staging.json holds the settings of prod, not staging"),
    (lambda root: (root / "launch-settings" / "staging.json").write_text("{"),
     "launch settings from launch-settings/staging.json are not valid JSON"),
    (lambda root: (root / "launch-settings" / "staging.json").write_bytes(b'{"x": "\xe9"}'),
     "cannot read launch-settings/staging.json as UTF-8 text"),
], ids=["two sources", "another environment", "not JSON", "not UTF-8"])
def test_committed_settings_the_launcher_would_refuse_are_one_line_and_exit_2(
        component_repository: Path, capsys: pytest.CaptureFixture[str],
        edit: Callable[[Path], object], message: str) -> None:
    edit(component_repository)
    assert main(["--environment", "staging"]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.splitlines()) == 1, error


@pytest.mark.parametrize("environment", ["../launch-settings/staging", "/tmp/x", "Staging", ""])
def test_an_environment_that_is_not_a_name_reads_no_file(
        component_repository: Path, capsys: pytest.CaptureFixture[str], environment: str) -> None:
    (component_repository / "launch-settings" / "Staging.json").write_text("{}")
    assert main(["--environment", environment]) == 2
    assert "is not valid: use 1-32 lower-case letters" in capsys.readouterr().err
