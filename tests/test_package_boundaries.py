"""tasks/ must stay installable without Pulumi: the container and workflow do not have it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT


def imported_modules(path: str) -> set[str]:
    tree = ast.parse((PROJECT_ROOT / path).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_of_the_task_package_imports_pulumi_or_infra() -> None:
    modules = sorted(p.relative_to(PROJECT_ROOT).as_posix()
                     for p in (PROJECT_ROOT / "tasks").rglob("*.py"))
    assert "tasks/catalog.py" in modules
    offenders = {m: sorted(imported_modules(m) & {"pulumi", "pulumi_aws", "pulumi_github", "infra"})
                 for m in modules}
    assert {m: names for m, names in offenders.items() if names} == {}


def test_boto3_is_imported_only_by_the_launcher() -> None:
    seeding = [p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / "tasks").glob("*.py")]
    assert {m for m in seeding if {"boto3", "botocore"} & imported_modules(m)} == set()


def test_the_virtualenv_runs_this_checkouts_code_wherever_it_is_started() -> None:
    """`python -I` (the tasks image's entry point) ignores the working directory: the
    editable install must point here, not at a copy some test or command made."""
    found = subprocess.run([sys.executable, "-I", "-c", "import tasks, infra; "
                            "print(tasks.__file__); print(infra.__file__)"],
                           cwd="/", capture_output=True, text=True, check=True).stdout.split()
    assert all(Path(path).is_relative_to(PROJECT_ROOT) for path in found), found

