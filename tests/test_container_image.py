"""The tasks image: checked by reading (there is no Docker engine here) and by hadolint."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib

from tests.conftest import PROJECT_ROOT

DOCKERFILE = (PROJECT_ROOT / "tasks" / "Dockerfile").read_text(encoding="utf-8")
RUNTIME_REQUIREMENTS = (PROJECT_ROOT / "requirements" / "runtime.txt").read_text(encoding="utf-8")


def final_stage() -> str:
    return DOCKERFILE.rsplit("\nFROM ", 1)[1]


def test_the_image_runs_the_task_package_as_a_non_root_user() -> None:
    stage = final_stage()
    user = re.search(r"^USER (\S+)$", stage, re.MULTILINE)
    assert user is not None, "the final stage sets no USER: the task would run as root"
    assert user.group(1).split(":")[0] not in ("0", "root")
    assert 'ENTRYPOINT ["python", "-I", "-m", "tasks.container"]' in stage
    assert "PYTHONDONTWRITEBYTECODE=1" in stage, "a read-only root filesystem cannot take .pyc files"


def test_the_package_is_found_without_pythonpath_which_python_i_ignores() -> None:
    assert "PYTHONPATH=" not in DOCKERFILE
    assert re.search(r'echo /app > "\$\(cat /tmp/purelib\)/admin_tasks\.pth"', DOCKERFILE)


def test_the_base_image_is_slim_and_pinned_by_digest() -> None:
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.MULTILINE)
    assert base is not None
    assert re.fullmatch(r"python:3\.\d+-slim[\w.-]*@sha256:[0-9a-f]{64}", base.group(1))


def test_only_the_runtime_dependencies_are_installed_and_hash_checked() -> None:
    installs = re.findall(r"pip install[^\n]*", DOCKERFILE)
    assert installs and all("--require-hashes" in line and line.endswith("-r /tmp/runtime.txt")
                            for line in installs)
    pinned = set(re.findall(r"^([a-z0-9_.-]+)==", RUNTIME_REQUIREMENTS, re.MULTILINE))
    assert pinned == {"sqlalchemy", "psycopg", "psycopg-binary", "typing-extensions"}
    for name in pinned:
        block = RUNTIME_REQUIREMENTS.split(f"\n{name}==", 1)[1].split("\n\n", 1)[0]
        assert "--hash=sha256:" in block, f"{name} is not hash-pinned"
    declared = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[\[<>=]", dep, maxsplit=1)[0].lower() for dep in declared["dependencies"]}
    assert names == {"sqlalchemy", "psycopg"}


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint") or str(PROJECT_ROOT / ".venv" / "bin" / "hadolint")
    completed = subprocess.run([hadolint, str(PROJECT_ROOT / "tasks" / "Dockerfile")],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
