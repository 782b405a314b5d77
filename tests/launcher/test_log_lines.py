"""Never harm the task: whatever a container logs is printed, never fatal to the launcher.

A line the launcher cannot parse is not its result line; it is printed all the same,
the task's own result line is still found, and the task runs to its own exit code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.launcher.conftest import Launcher, World
from tests.launcher.test_run import SEED

RESULT = {"ok": True, "outcome": "created", "wasNew": True}
DEEP = '{"ok": true, "d": ' + "[" * 1200 + "]" * 1200 + "}"
HOSTILE = {
    "deep JSON": (DEEP, DEEP),
    "deep JSON that is not a result line": ("[" * 5000, "[" * 5000),
    "a 5,000-digit number": ('{"ok": true, "n": ' + "7" * 5000 + "}",
                             '{"ok": true, "n": ' + "7" * 5000 + "}"),
    "NaN": ('{"ok": true, "n": NaN}', '{"ok": true, "n": NaN}'),
    "a huge exponent": ('{"ok": true, "n": 1e999}', '{"ok": true, "n": 1e999}'),
    "a key twice": ('{"ok": true, "ok": false}', '{"ok": true, "ok": false}'),
    "ok not a boolean": ('{"ok": "yes"}', '{"ok": "yes"}'),
    "a line of a megabyte": ('{"ok": true, "x": "' + "y" * 1_000_000 + '"}',
                             '{"ok": true, "x": "' + "y" * 1_000_000 + '"}'),
    "a lone surrogate": ("bad \udcff byte", "bad \\udcff byte"),
    "NUL and control characters": ("a\x00b\x07c\x1b[31mred", "a\\x00b\\x07c\\x1b[31mred"),
}


@pytest.mark.parametrize(("logged", "shown"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_line_is_printed_and_the_task_runs_to_its_own_exit_code(
        launch: Launcher, world: World, tmp_path: Path, logged: str, shown: str) -> None:
    summary = tmp_path / "summary.md"
    # After the real result line: a line taken for one would replace it.
    launch.clock.at(1, lambda: world.write_logs([json.dumps(RESULT), logged]))
    launch.clock.at(2, lambda: world.stop(exit_code=0))

    run = launch(*SEED, GITHUB_STEP_SUMMARY=str(summary))

    assert run.exit_code == 0, run.stderr
    assert "StopTask" not in world.calls
    assert run.operator_lines[3:5] == [world.bound(json.dumps(RESULT)), shown]
    assert (run.result["outcome"], run.result["result"]) == ("succeeded", RESULT)
    assert summary.read_text(encoding="utf-8").startswith(
        "### Admin task `seed-admin` on `staging`: succeeded\n")


def test_a_result_line_with_a_lone_surrogate_is_kept_and_summarised_escaped(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    line = '{"ok": true, "outcome": "created", "n\\udcffte": 1}'
    launch.clock.at(1, lambda: world.write_logs([line]))
    launch.clock.at(2, lambda: world.stop(exit_code=0))

    run = launch(*SEED, GITHUB_STEP_SUMMARY=str(summary))

    assert run.exit_code == 0, run.stderr
    assert run.result["result"] == {"ok": True, "outcome": "created", "n\udcffte": 1}
    # Shown as the escape sequence, and flagged as not plain ASCII.
    assert "| `n\\udcffte` (non-ASCII; as escapes: `n\\udcffte`) | `1` |" in \
        summary.read_text(encoding="utf-8")


def test_a_summary_that_cannot_be_written_changes_nothing_but_is_said(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    launch.clock.at(1, lambda: world.write_logs([json.dumps(RESULT)]))
    launch.clock.at(1, lambda: world.stop(exit_code=3))

    run = launch(*SEED, GITHUB_STEP_SUMMARY=str(tmp_path))

    assert run.exit_code == 3, run.stderr
    assert run.operator_lines[-1] == (f"2026-11-21T00:00:07Z could not write the job summary to "
                                      f"{tmp_path}: Is a directory")
    assert run.stderr == "admin-tasks: seed-admin on staging exited with code 3\n"
