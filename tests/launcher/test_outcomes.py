"""Every way the launcher can end is defined once (tasks/launcher/results.py) and
documented in docs/LAUNCHER.md, "Outcomes and exit codes", with its exit code.

A new outcome cannot go undocumented: the table must equal the registry; no launcher
module may write an outcome of its own; every error a launcher module raises must be in
the registry; and tests/launcher/conftest.py checks the outcome of every test's run.
"""

from __future__ import annotations

import ast
import importlib
import re

from tasks.contract.errors import AdminTaskError
from tasks.launcher.arguments import TIMEOUT_HELP
from tasks.launcher.results import OUTCOMES, Outcome
from tests.conftest import PROJECT_ROOT

LAUNCHER_DOC = (PROJECT_ROOT / "docs" / "LAUNCHER.md").read_text(encoding="utf-8")
LAUNCHER = sorted((PROJECT_ROOT / "tasks" / "launcher").glob("*.py"))
ROW = re.compile(r"^\| `(?P<name>[a-z-]+)` \| (?P<code>[^|]+?) \|", re.MULTILINE)


def section(title: str) -> str:
    start = LAUNCHER_DOC.index(f"\n{title}\n")
    end = LAUNCHER_DOC.find("\n## ", start + 1)
    return LAUNCHER_DOC[start:end if end != -1 else None]


def documented() -> dict[str, int | None]:
    """The table's outcomes: `N` is that code, "the container's …" is None."""
    rows = {}
    for row in ROW.finditer(section("## Outcomes and exit codes")):
        code = row["code"].strip()
        rows[row["name"]] = None if code.startswith("the container's") else int(code.strip("`"))
    return rows


def test_the_table_lists_every_outcome_with_its_exit_code_and_nothing_else() -> None:
    assert documented() == {outcome.name: outcome.exit_code for outcome in OUTCOMES}
    running = (PROJECT_ROOT / "docs" / "RUNNING.md").read_text(encoding="utf-8")
    assert "### Exit codes" not in LAUNCHER_DOC and "Exit codes" not in running


def written_outcomes(source: str) -> list[int]:
    """Lines where ``source`` writes a string literal as an outcome: a dict's "outcome"
    value, an ``outcome=`` argument or an ``outcome = …`` class attribute."""
    found = []
    for node in ast.walk(ast.parse(source)):
        values: list[ast.expr] = []
        if isinstance(node, ast.Dict):
            values = [v for k, v in zip(node.keys, node.values, strict=True)
                      if isinstance(k, ast.Constant) and k.value == "outcome"]
        elif isinstance(node, ast.keyword) and node.arg == "outcome":
            values = [node.value]
        elif isinstance(node, ast.Assign):
            names = [t for target in node.targets for t in ast.walk(target)]
            if any(isinstance(t, ast.Name) and t.id == "outcome" for t in names):
                values = list(ast.walk(node.value))
        found += [v.lineno for v in values
                  if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    return sorted(found)


def test_no_launcher_module_writes_an_outcome_of_its_own() -> None:
    written = {path.name: written_outcomes(path.read_text(encoding="utf-8")) for path in LAUNCHER}
    assert {name: lines for name, lines in written.items() if lines} == {}


def test_each_way_of_writing_an_outcome_would_be_found() -> None:
    sample = ('{"outcome": "new"}\n'
              'dict(outcome="new")\n'
              "class Error(AdminTaskError):\n"
              '    outcome, exit_code = "new", 1\n')
    assert written_outcomes(sample) == [1, 2, 4]


def test_every_error_a_launcher_module_raises_is_a_documented_outcome() -> None:
    named: set[type[AdminTaskError]] = set()
    for path in LAUNCHER:
        module = importlib.import_module(f"tasks.launcher.{path.stem}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called = node.func if isinstance(node, ast.Call) else None
            value = getattr(module, called.id, None) if isinstance(called, ast.Name) else None
            if isinstance(value, type) and issubclass(value, AdminTaskError):
                named.add(value)
    assert len(named) >= 8, named
    assert {error.__name__: Outcome.of(error) for error in named if
            Outcome.of(error) not in OUTCOMES} == {}


def test_the_timeout_help_and_the_docs_say_the_same() -> None:
    row = next(line for line in section("## `python -m tasks run TASK`").splitlines()
               if line.startswith("| `--timeout SECONDS` |"))
    assert TIMEOUT_HELP in row.replace("`", "")
    assert "the launch settings' `timeoutSeconds` for the task" in row.split("|")[2]
