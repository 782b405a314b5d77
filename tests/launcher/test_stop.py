"""``python -m tasks stop``: the workflow's backstop when a job is cancelled."""

from __future__ import annotations

import pytest

from tests.launcher.conftest import Launcher, World
from tests.launcher.outages import Outage, access_denied, inject

STOP = ("stop", "--run-id", "4242-1", "--environment", "staging")


def start_task(world: World, started_by: str) -> str:
    settings = world.settings
    response = world.ecs.run_task(
        cluster=settings["cluster"], taskDefinition=settings["tasks"]["seed-admin"]["taskDefinition"],
        launchType="FARGATE", startedBy=started_by,
        networkConfiguration={"awsvpcConfiguration": {
            "subnets": settings["subnets"], "securityGroups": settings["securityGroups"]}})
    return str(response["tasks"][0]["taskArn"])


def test_stop_stops_every_task_the_run_started_and_nothing_else(
        launch: Launcher, world: World) -> None:
    mine = [start_task(world, "admin-tasks/4242-1") for _ in range(2)]
    other_run = start_task(world, "admin-tasks/4242-2")

    run = launch(*STOP, GITHUB_ACTOR="bob")

    reason = "admin-tasks: the workflow run was cancelled; stopped by bob (run 4242-1)"
    statuses = {task.task_arn: (task.last_status, task.stopped_reason) for task in world.tasks()}
    assert statuses == {mine[0]: ("STOPPED", reason), mine[1]: ("STOPPED", reason),
                        other_run: ("RUNNING", "")}
    assert sorted(run.operator_lines) == sorted(
        f"2026-11-21T00:00:00Z stopped {arn} ({reason})" for arn in mine)
    assert (run.exit_code, run.result["stopped"]) == (0, mine)


def test_stop_with_nothing_running_says_so_and_exits_0(launch: Launcher, world: World) -> None:
    run = launch(*STOP)

    assert run.exit_code == 0
    assert run.operator_lines == ["2026-11-21T00:00:00Z no running task was started by run "
                                  "4242-1 (admin-tasks/4242-1)"]
    assert world.calls == ["ListTasks"]


def test_stop_refuses_settings_for_another_environment(launch: Launcher, world: World) -> None:
    run = launch("stop", "--run-id", "4242-1", "--environment", "prod")

    assert run.exit_code == 2
    assert world.clients_made == []


def test_a_stop_that_fails_does_not_keep_the_others_running_and_exits_1(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    started = [start_task(world, "admin-tasks/4242-1") for _ in range(3)]
    inject(world, monkeypatch, Outage("StopTask", access_denied, times=1))

    run = launch(*STOP)

    lines = [line.split(" ", 1)[1] for line in run.operator_lines]
    failed = lines[0].removeprefix("could not stop ").split(": ", 1)[0]
    error = "An error occurred (AccessDeniedException) when calling the StopTask operation: no"
    reason = "admin-tasks: the workflow run was cancelled; stopped by alice (run 4242-1)"
    stopped = [arn for arn in started if arn != failed]
    assert failed in started
    assert lines == [f"could not stop {failed}: {error}",
                     *(f"stopped {arn} ({reason})" for arn in stopped)]
    assert {task.task_arn: task.last_status for task in world.tasks()} == {
        failed: "RUNNING", **{arn: "STOPPED" for arn in stopped}}
    message = (f"could not stop 1 of 3 task(s) of run 4242-1: {failed} ({error}); stop them in "
               "the ECS console, or run this command again")
    assert (run.exit_code, run.stderr) == (1, f"admin-tasks: {message}\n")
    assert run.result == {"ok": False, "outcome": "aws-error", "wasNew": False, "error": message,
                          "stopped": stopped, "notStopped": [failed]}


def test_stop_that_may_not_list_the_tasks_exits_1_with_one_line(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    inject(world, monkeypatch, Outage("ListTasks", access_denied, times=1))

    run = launch(*STOP)

    assert (run.exit_code, run.result["outcome"]) == (1, "aws-error")
    assert run.stderr == ("admin-tasks: ecs:ListTasks failed: AccessDeniedException: no (the role "
                          "from ADMIN_TASKS_ROLE_ARN may not do this: check the stack's launcher "
                          "policy for this environment)\n")
