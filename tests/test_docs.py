"""The documentation is true: its links resolve and every local command it shows runs.

Fences say what a block is: ```sh blocks are commands a newcomer runs locally after the
README's two set-up commands, and this module runs each of them as written; ```shell
blocks need AWS, GitHub or the Pulumi CLI (or run for minutes), so they are only
checked for shell syntax. The README's own first-screen commands are run from a fresh
copy of the repository by tests/test_first_screen.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

DOCUMENTS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def blocks(path: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(path.read_text(encoding="utf-8"))
            if lang == language]


def prose(path: Path) -> str:
    """The document without its code blocks (a `# comment` there is not a heading)."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def anchors(path: Path) -> set[str]:
    """GitHub's heading slugs: lower-case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", prose(path), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_every_link_points_inside_the_repository_and_resolves(document: Path) -> None:
    for target in LINK.findall(prose(document)):
        assert not target.startswith(("http:", "https:", "/")), (
            f"{document.name} links outside the repository: {target}")
        file_part, _, anchor = target.partition("#")
        linked = (document.parent / file_part).resolve() if file_part else document
        assert linked.exists(), f"{document.name} links to missing {target}"
        assert linked.is_relative_to(PROJECT_ROOT), f"{document.name}: {target} leaves the repository"
        if anchor:
            assert anchor in anchors(linked), f"{document.name}: no heading #{anchor} in {linked.name}"


def test_the_readme_is_a_first_page_not_the_manual() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    listed = set(re.findall(r"\(docs/([A-Z-]+\.md)\)", readme))
    assert listed == {p.name for p in (PROJECT_ROOT / "docs").glob("*.md")}, (
        "the README's table of documents must list every page in docs/")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_commands_that_need_aws_or_github_are_at_least_valid_shell(document: Path) -> None:
    for block in blocks(document, "shell"):
        checked = subprocess.run(["bash", "-n"], input=block, text=True, capture_output=True,
                                 check=False)
        assert checked.returncode == 0, f"{document.name}: {checked.stderr}\n{block}"


@pytest.fixture(scope="module")
def newcomer_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository in the state the README's two commands leave it in: the
    test virtualenv (shared, never reinstalled here) and a seeded ./admin-tasks.db."""
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    copy = tmp_path_factory.mktemp("checkout")
    for name in tracked:
        source = PROJECT_ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    (copy / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    # What `make seed EMAIL=you@example.com` runs, without letting make reinstall the
    # shared virtualenv from this temporary copy.
    for command in (["init-db", "--profile", "role"], ["seed-admin", "--email", "you@example.com"]):
        subprocess.run([".venv/bin/python", "-m", "tasks", *command], cwd=copy, check=True,
                       capture_output=True)
    return copy


@contextlib.contextmanager
def _shared_tmp(block: str) -> Iterator[None]:
    """Blocks that write the same /tmp file as written (several pages render
    /tmp/staging-settings.json) run one at a time across the test workers."""
    if "/tmp/" not in block:
        yield
        return
    with open(Path(tempfile.gettempdir()) / "admin-tasks-doc-blocks.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


LOCAL_BLOCKS = [(document, block) for document in DOCUMENTS for block in blocks(document, "sh")
                if block.strip() not in ("make seed EMAIL=you@example.com", "make test")]


@pytest.mark.parametrize(("document", "block"), LOCAL_BLOCKS,
                         ids=[f"{d.name}:{b.splitlines()[0][:40]}" for d, b in LOCAL_BLOCKS])
def test_every_local_command_runs_as_written(document: Path, block: str,
                                             newcomer_checkout: Path) -> None:
    # The copy shares the real virtualenv: nothing here may install into it (`make` would,
    # seeing the copied pyproject.toml newer than its markers).
    assert "pip install" not in block and not re.search(r"^\s*make\b", block, re.MULTILINE), \
        "installing belongs in a ```shell block"
    with _shared_tmp(block):
        completed = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block],
                                   cwd=newcomer_checkout, capture_output=True, text=True,
                                   check=False, timeout=300)
    assert completed.returncode == 0, (
        f"{document.name}:\n{block}\nexit {completed.returncode}\n{completed.stdout}\n"
        f"{completed.stderr}")
    assert "Traceback" not in completed.stderr, completed.stderr


def test_the_documented_launch_settings_example_is_valid_settings() -> None:
    from tasks.contract.settings import parse_settings

    page = PROJECT_ROOT / "docs" / "LAUNCH-SETTINGS.md"
    (example,) = [block for block in blocks(page, "json") if '"tasks"' in block]
    settings = parse_settings(json.loads(example))
    assert {"seed-admin", "cleanup-activity-logs"} == set(settings.tasks)
