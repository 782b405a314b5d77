"""The README's first screen: exactly the two set-up commands, and the first one works
from a fresh copy of the repository. (`make test`, the second, is what .ci/run runs on
a fresh clone.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def first_screen_commands() -> list[str]:
    """The command blocks before the README's first section heading."""
    first_screen = README.split("\n## ", 1)[0]
    return re.findall(r"^```sh\n(.*?)\n```", first_screen, re.MULTILINE | re.DOTALL)


def test_the_readme_opens_with_exactly_the_two_newcomer_commands() -> None:
    assert first_screen_commands() == ["make seed EMAIL=you@example.com", "make test"]
    assert len(README.split("\n## ", 1)[0].splitlines()) <= 40, "the first screen is one screen"
    assert (PROJECT_ROOT / ".ci" / "run").read_text().count("\nmake test\n") == 1


def test_make_seed_from_a_fresh_copy_creates_and_seeds_a_local_database(tmp_path: Path) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=PROJECT_ROOT, capture_output=True,
        text=True, check=True,
    ).stdout.split()
    copy = tmp_path / "admin-tasks"
    for name in tracked:
        source = PROJECT_ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)

    # As a newcomer's shell would run it: not as a sub-make of `make test`.
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "VIRTUAL_ENV")}
    completed = subprocess.run(
        ["make", "seed", "EMAIL=you@example.com"], cwd=copy, env=environment, capture_output=True,
        text=True, check=False, timeout=300,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["outcome"] == "created"
    assert result["user"] == {"id": 1, "email": "you@example.com", "role": "admin", "isActive": True,
                              "deletedAt": None}
    assert (copy / "admin-tasks.db").is_file()
    # The runtime install is the container's: no Pulumi, no boto3.
    installed = subprocess.run([str(copy / ".venv" / "bin" / "python"), "-m", "pip", "list"],
                               capture_output=True, text=True, check=True).stdout.lower()
    assert "sqlalchemy" in installed and "boto3" not in installed and "pulumi" not in installed
