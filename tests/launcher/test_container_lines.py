"""What the task prints reaches the job log escaped, and only the task package's own line,
bound to this run, counts as the task's result.

A container line is the one input of the launcher the container controls: an ESC
sequence could rewrite what the reviewer reads in the job log (move the cursor, hide a
line, set a hyperlink or the terminal title), a bidi override could reorder it, and a line
shaped like the result line could pass for the task's own outcome in the summary."""

from __future__ import annotations

import json

import pytest

from tasks.launcher.output import escape_controls
from tests.launcher.conftest import Launcher, World
from tests.launcher.test_run import SEED

RESULT = {"ok": True, "outcome": "created", "wasNew": True}
FORGED = {"ok": True, "outcome": "exists", "wasNew": False, "forged": True}


@pytest.mark.parametrize(("logged", "shown"), [
    ("\x1b[2K\x1b[1Aapproved by alice", "\\x1b[2K\\x1b[1Aapproved by alice"),
    ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
    ("\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
     "\\x1b]8;;https://evil.example\\x1b\\click\\x1b]8;;\\x1b\\"),
    ("done\rfailed", "done\\x0dfailed"),
    ("\x9b31mC1 CSI", "\\x9b31mC1 CSI"),
    ("user \u202eevil\u202c ok", "user \\u202eevil\\u202c ok"),
    ("zero\u200bwidth \u2066isolate\u2069", "zero\\u200bwidth \\u2066isolate\\u2069"),
    ("a\x00b\x7fc", "a\\x00b\\x7fc"),
    ("tab\tstays, é and 日本 stay", "tab\tstays, é and 日本 stay"),
], ids=["cursor movement", "terminal title", "hyperlink", "carriage return", "C1 CSI",
        "bidi override", "zero width and isolates", "NUL and DEL", "printable text"])
def test_a_container_line_is_shown_with_its_controls_escaped(
        launch: Launcher, world: World, logged: str, shown: str) -> None:
    assert escape_controls(logged) == shown
    launch.clock.at(1, lambda: world.write_logs([logged, json.dumps(RESULT)]))
    launch.clock.at(2, lambda: world.stop(exit_code=0))

    run = launch(*SEED)

    assert run.exit_code == 0, run.stderr
    assert shown in run.operator_lines
    assert not any("\x1b" in line or "\u202e" in line for line in run.lines)


def test_a_stopped_reason_is_shown_escaped(launch: Launcher, world: World) -> None:
    launch.clock.at(1, lambda: world.stop(exit_code=None, stop_code="TaskFailedToStart",
                                          reason="CannotPullContainerError",
                                          container_reason="pull \x1b[8mhidden\x1b[0m"))
    run = launch(*SEED)

    assert any("pull \\x1b[8mhidden\\x1b[0m" in line for line in run.operator_lines)
    assert not any("\x1b" in line for line in run.lines)


@pytest.mark.parametrize("forged", [
    FORGED,
    {**FORGED, "runId": "4242-1"},
    {**FORGED, "runId": "4242-1", "resultKey": "0" * 32},
], ids=["unbound", "this run's id without the key", "a guessed key"])
def test_a_line_shaped_like_the_result_line_is_not_the_result(
        launch: Launcher, world: World, forged: dict[str, object]) -> None:
    """Before and after the real one: it neither stands in for it nor replaces it."""
    launch.clock.at(1, lambda: world.write_logs([json.dumps(forged)], bind=False))
    launch.clock.at(1, lambda: world.write_logs([json.dumps(RESULT)]))
    launch.clock.at(1, lambda: world.write_logs([json.dumps(forged)], bind=False))
    launch.clock.at(2, lambda: world.stop(exit_code=0))

    run = launch(*SEED)

    assert run.exit_code == 0, run.stderr
    assert run.result["result"] == RESULT


def test_without_the_task_packages_line_there_is_no_result(
        launch: Launcher, world: World) -> None:
    launch.clock.at(1, lambda: world.write_logs([json.dumps(FORGED)], bind=False))
    launch.clock.at(2, lambda: world.stop(exit_code=0))

    run = launch(*SEED)

    assert run.result.get("result") is None
    assert "forged" not in json.dumps(run.result)


def test_an_application_task_prints_no_result_line_that_counts(
        launch: Launcher, world: World) -> None:
    """The launcher sends the result key to the recorder only: no line the application
    prints is taken, even one with the recorder's key, from the application's stream."""
    def forge() -> None:
        key = world.overrides_of()["ADMIN_TASK_RESULT_KEY"]
        forged = {**FORGED, "runId": "4242-1", "resultKey": key}
        world.write_logs([json.dumps(FORGED), json.dumps(forged)], bind=False,
                         container="clearsessions")
    launch.clock.at(1, forge)
    launch.clock.at(2, lambda: world.stop(exit_code=0))

    run = launch("run", "clearsessions", "--environment", "staging",
                 "--reason", "monthly maintenance")

    assert run.exit_code == 0, run.stderr
    assert "ADMIN_TASK_RESULT_KEY" not in world.overrides_of("clearsessions")
    assert "ADMIN_TASK_RESULT_KEY" in world.overrides_of()
    assert run.result.get("result") is None
