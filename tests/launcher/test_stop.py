"""``python -m tasks stop``: the workflow's backstop when a job is cancelled."""

from __future__ import annotations

from tests.launcher.conftest import Launcher, World

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
