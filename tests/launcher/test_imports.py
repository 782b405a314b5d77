"""The container image has no boto3: its commands, and the launcher's checks, never import it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, run_module_without, staging_settings

CHECK = """
import sys
import tasks.cli
parser = tasks.cli.build_parser()
parser.parse_args(["run", "seed-admin", "--environment", "staging", "--reason", "r"])
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("boto3", "botocore"))
print(loaded)
"""


def test_importing_the_cli_and_parsing_a_run_command_does_not_import_boto3() -> None:
    completed = subprocess.run([sys.executable, "-c", CHECK], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, check=True)

    assert completed.stdout == "[]\n", completed.stderr


def test_seed_admin_runs_where_boto3_cannot_be_imported() -> None:
    completed = run_module_without(("boto3", "botocore"), "tasks", "seed-admin", "--help")

    assert completed.returncode == 0, completed.stderr
    assert "--email" in completed.stdout


WITHOUT_BOTO3 = ("import sys\n"
                 "sys.modules['boto3'] = None\n"
                 "sys.modules['botocore'] = None\n"
                 "from tasks.cli import main\n"
                 "sys.exit(main(sys.argv[1:]))\n")
REQUEST = ("seed-admin", "--environment", "staging", "--param", "email=ops@example.com",
           "--reason", "first admin")
INSTALL = ("admin-tasks: this command calls AWS and needs boto3, which cannot be imported (import "
           "of boto3 halted; None in sys.modules): pip install -e '.[launcher]', or the "
           "hash-pinned requirements as the workflow does: pip install --require-hashes "
           "--no-deps -r requirements/launcher.txt\n")


def without_boto3(*argv: str, settings: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The runtime-only install (`pip install -e .`): boto3 and botocore cannot be imported."""
    env = {"PATH": os.environ.get("PATH", ""), "GITHUB_ACTOR": "alice", "GITHUB_RUN_ID": "4242"}
    if settings is not None:
        env["ADMIN_TASKS_SETTINGS"] = settings.read_text(encoding="utf-8")
    return subprocess.run([sys.executable, "-c", WITHOUT_BOTO3, *argv], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "staging-settings.json"
    path.write_text(json.dumps(staging_settings()), encoding="utf-8")
    return path


def test_check_needs_no_boto3() -> None:
    completed = without_boto3("run", *REQUEST, "--check")

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["outcome"] == "checked"
    assert completed.stderr == ("admin-tasks: the inputs for seed-admin on staging are valid "
                                "(checked against the built-in catalog; nothing was called)\n")


def test_dry_run_needs_no_boto3(settings_file: Path) -> None:
    completed = without_boto3("run", *REQUEST, "--settings", str(settings_file), "--dry-run")

    *request, result = completed.stdout.splitlines()
    assert completed.returncode == 0, completed.stderr
    assert json.loads("\n".join(request))["startedBy"] == "admin-tasks/4242-1"
    assert result == '{"ok": true, "outcome": "dry-run", "wasNew": false}'
    assert completed.stderr == "admin-tasks: dry run: printed the RunTask request, called nothing\n"


@pytest.mark.parametrize("argv", [("run", *REQUEST), ("stop", "--run-id", "4242-1",
                                                       "--environment", "staging")],
                         ids=["run", "stop"])
def test_commands_that_call_aws_say_what_to_install_and_exit_2(
        settings_file: Path, argv: tuple[str, ...]) -> None:
    completed = without_boto3(*argv, settings=settings_file)

    assert (completed.returncode, completed.stderr) == (2, INSTALL)
    assert json.loads(completed.stdout) == {"ok": False, "outcome": "invalid", "wasNew": False,
                                            "error": INSTALL.removeprefix("admin-tasks: ")[:-1]}
