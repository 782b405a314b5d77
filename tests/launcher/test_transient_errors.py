"""Transient AWS errors past botocore's retries must not kill a half-done task (M3), and
a RunTask whose answer was lost must not leave a task running unwatched (L2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.launcher import watch as watch_module
from tests.launcher.conftest import Launcher, World
from tests.launcher.outages import Outage, inject, no_connection, read_timeout
from tests.launcher.test_run import SEED
from tests.launcher.test_run_edges import no_retry_delay  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("no_retry_delay")
ECS_URL = "https://ecs.eu-west-1.amazonaws.com/"
RESULT = '{"ok": true, "outcome": "created", "wasNew": true}'
STOP_HINT = "python -m tasks stop --run-id 4242-1 --environment staging"


def statuses(lines: list[str]) -> list[str]:
    """The launcher's own lines without their timestamps."""
    return [line.split(" ", 1)[1] for line in lines if line.startswith("2026-")]


def test_describe_tasks_unreachable_for_a_while_is_retried_and_the_task_is_not_stopped(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    outage = inject(world, monkeypatch, Outage("DescribeTasks", no_connection, times=20))
    launch.clock.after(30, lambda: world.write_logs([RESULT]))
    launch.clock.after(35, lambda: world.stop(exit_code=0))

    run = launch(*SEED)

    assert run.exit_code == 0, run.stderr
    assert outage.attempts == 20
    shown = statuses(run.operator_lines)
    assert shown.count(f'ecs:DescribeTasks failed (Could not connect to the endpoint URL: '
                       f'"{ECS_URL}"); retrying on the next poll (the task is not stopped for '
                       "this)") == 1
    assert [line for line in shown if line.startswith("ecs:DescribeTasks answers again after ")]
    assert "StopTask" not in world.calls
    assert run.operator_lines[-1].endswith("status STOPPED: exit code 0 (EssentialContainerExited:"
                                           " Essential container in task exited)")


def test_describe_tasks_unreachable_for_two_minutes_gives_up_without_stopping_the_task(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    inject(world, monkeypatch, Outage("DescribeTasks", read_timeout, times=10**6))
    summary = tmp_path / "summary.md"

    run = launch(*SEED, GITHUB_STEP_SUMMARY=str(summary))

    arn = world.task().task_arn
    assert run.exit_code == 1
    assert world.task().last_status == "RUNNING"
    assert "StopTask" not in world.calls
    assert statuses(run.operator_lines)[-1] == (
        f'giving up: ecs:DescribeTasks has failed for 2m 00s (Read timeout on endpoint URL: '
        f'"{ECS_URL}"); the task was not stopped and may still be running')
    assert run.stderr == (f"admin-tasks: lost contact with {arn} (ecs:DescribeTasks kept "
                          "failing); the task was not stopped and may still be running: check the "
                          f"ECS console, or stop it with: {STOP_HINT}\n")
    assert run.result["outcome"] == "lost-contact"
    assert summary.read_text(encoding="utf-8").startswith(
        "### Admin task `seed-admin` on `staging`: lost-contact\n")


def test_log_reads_timing_out_are_reported_once_and_no_line_is_lost(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    inject(world, monkeypatch, Outage("GetLogEvents", read_timeout, times=30))
    launch.clock.after(1, lambda: world.write_logs(["first", "second"]))
    launch.clock.after(40, lambda: world.write_logs(["third", RESULT]))
    launch.clock.after(45, lambda: world.stop(exit_code=4))

    run = launch(*SEED)

    assert run.exit_code == 4, run.stderr
    assert [line for line in run.operator_lines if not line.startswith("2026-")] == [
        "first", "second", "third", world.bound(RESULT)]
    assert [line for line in statuses(run.operator_lines) if "logs" in line] == [
        'reading the task\'s logs failed (Read timeout on endpoint URL: '
        '"https://logs.eu-west-1.amazonaws.com/"); retrying on the next poll']
    assert "StopTask" not in world.calls


def test_a_launcher_bug_while_following_leaves_the_task_running_and_says_how_to_stop_it(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    launch.clock.at(2, lambda: monkeypatch.setattr(watch_module.TaskState, "from_description",
                                                   broken))
    summary = tmp_path / "summary.md"

    run = launch(*SEED, GITHUB_STEP_SUMMARY=str(summary))

    arn = world.task().task_arn
    failure = "RuntimeError at tasks/launcher/watch.py:"
    assert run.exit_code == 1
    assert world.task().last_status == "RUNNING"
    assert "StopTask" not in world.calls
    assert statuses(run.operator_lines)[-1].startswith(f"the launcher failed ({failure}")
    assert statuses(run.operator_lines)[-1].endswith(
        ": a bug); the task was not stopped for this and may still be running")
    assert run.stderr.startswith(f"admin-tasks: the launcher failed while following {arn} "
                                 f"({failure}")
    assert run.stderr.endswith(": a bug); the task was not stopped for this and may still be "
                               "running: "
                               f"check the ECS console, or stop it with: {STOP_HINT}\n")
    assert run.stderr.count("\n") == 1
    assert run.result["outcome"] == "launcher-error"
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("### Admin task `seed-admin` on `staging`: launcher-error\n")
    assert "| Final status | `RUNNING` |" in text and "| Exit code | `1` |" in text


def test_a_run_task_answer_lost_after_ecs_started_the_task_is_followed(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every attempt times out; the first one reached ECS and started the task.
    inject(world, monkeypatch, Outage("RunTask", read_timeout, times=10**6,
                                      acted_on=lambda attempt: attempt == 1))
    launch.clock.after(1, lambda: world.write_logs([RESULT]))
    launch.clock.after(2, lambda: world.stop(exit_code=3))

    run = launch(*SEED)

    task = world.task()  # exactly one
    assert run.exit_code == 3, run.stderr
    assert statuses(run.operator_lines)[:2] == [
        f'ecs:RunTask got no answer after its retries (Read timeout on endpoint URL: '
        f'"{ECS_URL}"); looking for a task started by this run (admin-tasks/4242-1)',
        f"started seed-admin on staging as {task.task_arn} (actor alice, run 4242-1, "
        "not reviewed (run from a terminal))"]
    assert world.bound(RESULT) in run.operator_lines


def test_a_run_task_that_never_reached_ecs_says_nothing_was_started(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    inject(world, monkeypatch, Outage("RunTask", no_connection, times=10**6))

    run = launch(*SEED)

    assert run.exit_code == 1
    assert world.tasks() == []
    assert run.stderr == (f'admin-tasks: ecs:RunTask failed: Could not connect to the endpoint '
                          f'URL: "{ECS_URL}"; ECS has no task started by run 4242-1 '
                          "(admin-tasks/4242-1): nothing was started\n")
    assert world.calls.count("ListTasks") == 6  # RUNNING and STOPPED, three times
