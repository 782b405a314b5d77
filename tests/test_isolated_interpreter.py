"""An environment override cannot make the tasks image's interpreter run other code.

Reproduces the reported leak: PYTHONWARNINGS makes Python import `antigravity` at start,
which opens a "browser" through $BROWSER, a shell command that prints the database URL
with its password. The task definitions start `python -I -m tasks.container <command>`, and `-I`
ignores every PYTHON* variable, so the same overrides print nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tasks.contract.catalog import CONTAINER_ENTRY_POINT
from tests.conftest import LAUNCHED, PROJECT_ROOT, Database

HOSTILE = {"PYTHONWARNINGS": "ignore::antigravity.x",
           "BROWSER": '/bin/sh -c "echo LEAKED=$DATABASE_URL >&2" #%s',
           "PYTHONSTARTUP": "/dev/null", "PYTHONINSPECT": "1"}


def run_entry_point(entry_point: tuple[str, ...], database: Database) -> str:
    argv = [sys.executable, *entry_point[1:], "seed-admin"]
    env = {"PATH": "/usr/bin:/bin", **LAUNCHED, "ADMIN_EMAIL": "me@example.com",
           "DATABASE_URL": database.url, **HOSTILE}
    completed = subprocess.run(argv, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, check=False, timeout=120)
    return completed.stdout + completed.stderr


def test_the_leak_is_real_without_isolated_mode(sqlite_database: Database) -> None:
    """The control: without -I this interpreter does run $BROWSER."""
    assert "LEAKED=" in run_entry_point(("python", "-m", "tasks"), sqlite_database)


def test_the_task_definitions_entry_point_ignores_the_overrides(sqlite_database: Database) -> None:
    output = run_entry_point(CONTAINER_ENTRY_POINT, sqlite_database)
    assert "LEAKED" not in output
    assert '"outcome"' in output, output  # the command itself ran and reported


def test_the_virtualenv_runs_this_checkouts_code_wherever_it_is_started() -> None:
    """`python -I` (the tasks image's entry point) ignores the working directory: the
    editable install must point here, not at a copy some test or command made."""
    found = subprocess.run([sys.executable, "-I", "-c", "import tasks, infra; "
                            "print(tasks.__file__); print(infra.__file__)"],
                           cwd="/", capture_output=True, text=True, check=True).stdout.split()
    assert all(Path(path).is_relative_to(PROJECT_ROOT) for path in found), found
