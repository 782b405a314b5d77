"""The polling schedule as an operator (and the AWS bill) sees it: no log reads before
the container runs, no more calls a minute than the waiter + log-poller pattern (~22),
and a quick end once the container printed its result line."""

from __future__ import annotations

import pytest

from tasks.launcher.aws import Clients
from tests.launcher.conftest import Launcher, World
from tests.launcher.test_run import SEED

RESULT = '{"ok": true, "outcome": "created", "wasNew": true}'
BASELINE_CALLS_PER_MINUTE = 60 / 6 + 60 / 5  # tasks_stopped waiter + a 5 s log poller


def start_pending(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The task is PENDING after RunTask, as on Fargate (moto would say RUNNING)."""
    record_calls = world.record_calls

    def clients(region: str) -> Clients:
        made = record_calls(region)
        made.ecs.meta.events.register("after-call.ecs.RunTask",
                                      lambda **_: world.set_status("PENDING"))
        return made

    monkeypatch.setattr(world, "record_calls", clients)


def test_no_log_is_read_before_the_task_runs(launch: Launcher, world: World,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    start_pending(world, monkeypatch)
    launch.clock.after(30, lambda: world.set_status("RUNNING"))
    launch.clock.after(33, lambda: world.write_logs(["hello", RESULT]))
    launch.clock.after(45, lambda: world.stop(exit_code=0))

    run = launch(*SEED)

    assert run.exit_code == 0, run.stderr
    assert [line.split(" ", 1)[1] for line in run.operator_lines[2:4]] == [
        "status PENDING", "status RUNNING"]
    assert run.operator_lines[3].startswith("2026-11-21T00:00:32Z")  # described every 4 s
    first_read = world.calls.index("GetLogEvents")
    # described every 4 s: 0, 4, … 32 s
    assert world.calls[:first_read] == ["DescribeTaskDefinition", "RunTask"] + ["DescribeTasks"] * 9
    assert run.operator_lines[4:6] == ["hello", world.bound(RESULT)]


def test_a_trickle_of_output_costs_no_more_calls_a_minute_than_the_waiter_pattern(
        launch: Launcher, world: World) -> None:
    # The worst case for the old schedule: a line every 9 s reset its backoff to 1 s.
    for second in range(9, 600, 9):
        launch.clock.after(second, lambda second=second: world.write_logs([f"step {second}"]))
    launch.clock.after(600, lambda: world.write_logs([RESULT]))
    launch.clock.after(615, lambda: world.stop(exit_code=0))

    run = launch(*SEED, "--timeout", "900")

    assert run.exit_code == 0, run.stderr
    assert [line for line in run.operator_lines if line.startswith("step ")] == [
        f"step {second}" for second in range(9, 600, 9)]
    per_minute = len(world.calls) / (launch.clock.elapsed / 60)
    assert per_minute <= BASELINE_CALLS_PER_MINUTE, (per_minute, world.calls.count("GetLogEvents"))


def test_the_stop_after_the_result_line_is_seen_within_3_seconds(
        launch: Launcher, world: World) -> None:
    launch.clock.after(101, lambda: world.write_logs([RESULT]))
    launch.clock.after(117, lambda: world.set_status("DEPROVISIONING"))
    launch.clock.after(130.5, lambda: world.stop(exit_code=0))

    run = launch(*SEED)

    assert run.exit_code == 0
    assert run.operator_lines[-1].startswith("2026-11-21T00:02:11Z status STOPPED: exit code 0")
    assert launch.clock.elapsed - 130.5 <= 3
