"""``python -m tasks run``: what the operator sees from start to exit code."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from tests.launcher.conftest import Launcher, World

SEED = ("run", "seed-admin", "--environment", "staging", "--param", "email=Ops@Example.com",
        "--reason", "first admin for launch")


def test_success_prints_statuses_and_logs_in_order_and_exits_0(
        launch: Launcher, world: World) -> None:
    result_line = json.dumps({"ok": True, "outcome": "created", "wasNew": True,
                              "user": {"id": 1, "email": "ops@example.com"}})
    launch.clock.after(3, lambda: world.write_logs(["admin-tasks: seeding", "admin-tasks: done"]))
    launch.clock.after(9, lambda: world.set_status("DEPROVISIONING"))
    launch.clock.after(14, lambda: world.write_logs([result_line]))
    launch.clock.after(14, lambda: world.stop(exit_code=0))

    run = launch(*SEED)

    task = world.task()
    assert run.exit_code == 0, run.stderr
    assert run.operator_lines == [
        f"2026-11-21T00:00:00Z started seed-admin on staging as {task.task_arn} "
        "(actor alice, run 4242-1, not reviewed (run from a terminal))",
        "2026-11-21T00:00:00Z console: https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/"
        f"app-staging/tasks/{task.id}/configuration?region=eu-west-1",
        "2026-11-21T00:00:00Z status RUNNING",
        "admin-tasks: seeding",
        "admin-tasks: done",
        "2026-11-21T00:00:10Z status DEPROVISIONING",
        world.bound(result_line),
        "2026-11-21T00:00:16Z status STOPPED: exit code 0 "
        "(EssentialContainerExited: Essential container in task exited)",
    ]
    assert run.result["exitCode"] == 0 and run.result["ok"] is True
    assert run.stderr == "admin-tasks: seed-admin on staging exited with code 0\n"


def test_a_non_zero_container_exit_is_passed_through(launch: Launcher, world: World) -> None:
    refused = json.dumps({"ok": False, "outcome": "refused", "wasNew": False,
                          "error": "would elevate an existing user"})
    launch.clock.at(1, lambda: world.write_logs([refused]))
    launch.clock.at(1, lambda: world.stop(exit_code=3))

    run = launch(*SEED)

    assert run.exit_code == 3
    assert run.operator_lines[-2:] == [
        world.bound(refused),
        "2026-11-21T00:00:07Z status STOPPED: exit code 3 "
        "(EssentialContainerExited: Essential container in task exited)",
    ]
    assert run.result["ok"] is False and run.result["result"]["outcome"] == "refused"
    assert run.stderr == "admin-tasks: seed-admin on staging exited with code 3\n"


def test_a_task_that_never_ran_its_container_exits_1_with_the_reasons(
        launch: Launcher, world: World) -> None:
    launch.clock.at(1, lambda: world.stop(
        exit_code=None, stop_code="TaskFailedToStart",
        reason="Task failed to start",
        container_reason="ResourceInitializationError: unable to pull secrets or registry auth"))

    run = launch(*SEED)

    assert run.exit_code == 1
    assert run.operator_lines[3:] == [
        "2026-11-21T00:00:20Z status STOPPED: no exit code (TaskFailedToStart: Task failed "
        "to start)",
        "stopCode: TaskFailedToStart",
        "stoppedReason: Task failed to start",
        "container seed-admin: ResourceInitializationError: unable to pull secrets or "
        "registry auth",
        "hint: the execution role could not read a secret the task definition references: "
        "check it exists under admin-tasks/<env>/ and the stack granted GetSecretValue",
    ]
    assert run.result == {"ok": False, "outcome": "failed-to-start", "wasNew": False,
                          "error": "seed-admin never ran its container: ResourceInitializationError:"
                                   " unable to pull secrets or registry auth"}
    assert run.stderr.count("\n") == 1 and "never ran its container" in run.stderr


def test_past_the_timeout_the_task_is_stopped_and_the_launcher_exits_124(
        launch: Launcher, world: World) -> None:
    run = launch(*SEED, "--timeout", "60")

    task = world.task()
    assert run.exit_code == 124
    assert task.last_status == "STOPPED"
    assert task.stopped_reason == "admin-tasks: timed out by alice (run 4242-1)"
    assert run.operator_lines[-3:] == [
        "2026-11-21T00:01:00Z timeout: still RUNNING after 1m 00s; stopping the task",
        "2026-11-21T00:01:00Z stop requested: admin-tasks: timed out by alice (run 4242-1)",
        "2026-11-21T00:01:13Z status STOPPED: exit code 0 (admin-tasks: timed out by alice "
        "(run 4242-1))",
    ]
    assert run.result["outcome"] == "timeout"
    assert world.calls.count("StopTask") == 1


def test_the_default_timeout_is_the_catalogs(launch: Launcher, world: World) -> None:
    run = launch(*SEED)

    assert run.exit_code == 124
    assert "timeout: still RUNNING after 10m 00s; stopping the task" in run.operator_lines[-3]


def test_the_log_stream_may_appear_only_after_several_polls(
        launch: Launcher, world: World) -> None:
    for poll in (1, 2, 3):
        launch.clock.at(poll, lambda: None)
    launch.clock.at(4, lambda: world.write_logs(["first line", "second line"]))
    launch.clock.at(5, lambda: world.write_logs(['{"ok": true, "outcome": "exists"}']))
    launch.clock.at(5, lambda: world.stop(exit_code=0))

    run = launch(*SEED)

    assert run.exit_code == 0
    assert run.operator_lines[3:6] == ["first line", "second line",
                                       world.bound('{"ok": true, "outcome": "exists"}')]
    assert world.calls.count("GetLogEvents") >= 5


def test_five_thousand_lines_over_many_pages_are_each_printed_once(
        launch: Launcher, world: World) -> None:
    launch.log_page_size = 100
    lines = [f"line {number:04d}" for number in range(5000)]
    for poll, start in enumerate(range(0, 5000, 1250), start=1):
        launch.clock.at(poll, lambda start=start: world.write_logs(lines[start:start + 1250]))
    launch.clock.at(4, lambda: world.stop(exit_code=0))

    run = launch(*SEED)

    printed = [line for line in run.operator_lines if line.startswith("line ")]
    assert printed == lines
    assert world.calls.count("GetLogEvents") > 50


def test_lines_written_after_the_task_stopped_are_drained(launch: Launcher, world: World) -> None:
    launch.clock.at(1, lambda: world.stop(exit_code=0))
    # CloudWatch delivers the last lines a little after ECS reports STOPPED.
    launch.clock.at(2, lambda: world.write_logs(["late line", '{"ok": true}']))

    run = launch(*SEED)

    assert run.operator_lines[-3:-1] == ["late line", world.bound('{"ok": true}')]
    assert run.operator_lines[-1].endswith("status STOPPED: exit code 0 "
                                           "(EssentialContainerExited: Essential container in "
                                           "task exited)")


def test_a_signal_before_the_first_poll_stops_the_task_and_is_summarised(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    launch.clock.at(1, lambda: os.kill(os.getpid(), signal.SIGINT))

    run = launch(*SEED, GITHUB_STEP_SUMMARY=str(summary))

    assert run.exit_code == 130
    assert world.task().stopped_reason == "admin-tasks: cancelled (SIGINT) by alice (run 4242-1)"
    assert summary.read_text(encoding="utf-8").startswith(
        "### Admin task `seed-admin` on `staging`: cancelled\n")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
