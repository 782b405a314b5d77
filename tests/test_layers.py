"""The layer contracts `make lint` runs (import-linter, `[tool.importlinter]` in
pyproject.toml) hold for this tree, and each one breaks when the rule it states is
broken: a copy of the code gets one deliberate bad import at a time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# (file, the line added to it, the contract that must report it)
BREAKS = {
    "the contract imports the launcher (upward)": (
        "tasks/contract/errors.py", "import tasks.launcher.commands",
        "tasks: the front door over the launcher"),
    "the container's commands import the launcher": (
        "tasks/jobs/seeding.py", "from tasks.launcher import results",
        "tasks: the front door over the launcher"),
    "the container's commands import boto3": (
        "tasks/jobs/database.py", "import boto3",
        "the container's commands and the contract never reach boto3"),
    "the CLI imports boto3 itself": (
        "tasks/cli.py", "import botocore", "only the launcher modules that call AWS import"),
    "the launcher's arguments (imported at start) import boto3": (
        "tasks/launcher/arguments.py", "import boto3",
        "only the launcher modules that call AWS import"),
    "the package itself imports boto3": (
        "tasks/__init__.py", "import boto3", "only the launcher modules that call AWS import"),
    "the package itself imports the launcher": (
        "tasks/__init__.py", "import tasks.launcher.commands",
        "only the CLI imports the launcher and the container's commands"),
    "the policy pack imports the container's commands": (
        "infra/policy/trust_rules.py", "import tasks.jobs.database",
        "the policy pack runs on its own"),
    "a module of infra outside every layer": (
        "infra/extras.py", "import infra.naming", "infra: the program over the component"),
    "the launcher imports Pulumi": (
        "tasks/launcher/request.py", "import pulumi", "tasks imports neither Pulumi nor infra"),
    "the contract imports infra": (
        "tasks/contract/settings.py", "import infra.naming",
        "tasks imports neither Pulumi nor infra"),
    "infra reaches into the contract": (
        "infra/stack.py", "from tasks.contract.settings import LaunchSettings",
        "infra imports the contract only through tasks.contract's public names"),
    "infra imports the container's commands": (
        "infra/naming.py", "import tasks.jobs.database",
        "infra imports neither the launcher, the container's commands nor the CLI"),
    "the policy pack imports the program": (
        "infra/policy/iam_rules.py", "import infra.config",
        "the policy pack runs on its own"),
    "a component imports the program": (
        "infra/components/admin_secrets.py", "import infra.program",
        "infra: the program over the component"),
    "follow and commands import each other again": (
        "tasks/launcher/follow.py", "from tasks.launcher.commands import RUN_ID",
        "no two modules of a package import each other"),
}


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", "pyproject.toml"],
                          cwd=root, env=env, capture_output=True, text=True, check=False,
                          timeout=120)


def test_the_tree_keeps_every_contract() -> None:
    completed = lint_imports(PROJECT_ROOT)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "10 kept, 0 broken" in completed.stdout


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("layers")
    for package in ("tasks", "infra"):
        shutil.copytree(PROJECT_ROOT / package, root / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root)
    return root


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_a_bad_import_breaks_its_contract(copy: Path, case: str) -> None:
    path, line, contract = BREAKS[case]
    target = copy / path
    existed = target.exists()
    original = target.read_text(encoding="utf-8") if existed else ""
    target.write_text(f"{original}\n{line}  # noqa\n", encoding="utf-8")
    try:
        completed = lint_imports(copy)
    finally:
        if existed:
            target.write_text(original, encoding="utf-8")
        else:
            target.unlink()
    report = completed.stdout.split("Broken contracts", 1)[-1]
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert contract in report, completed.stdout
