"""``python -m tasks run``: what the operator sees from start to exit code."""

from __future__ import annotations

import json

from tests.launcher.conftest import Launcher, World

SEED = ("run", "seed-admin", "--environment", "staging", "--param", "email=Ops@Example.com",
        "--reason", "first admin for launch")


def test_success_prints_statuses_and_logs_in_order_and_exits_0(
        launch: Launcher, world: World) -> None:
    result_line = json.dumps({"ok": True, "outcome": "created", "wasNew": True,
                              "user": {"id": 1, "email": "ops@example.com"}})
    launch.clock.at(1, lambda: world.write_logs(["admin-tasks: seeding", "admin-tasks: done"]))
    launch.clock.at(2, lambda: world.set_status("DEPROVISIONING"))
    launch.clock.at(3, lambda: world.write_logs([result_line]))
    launch.clock.at(3, lambda: world.stop(exit_code=0))

    run = launch(*SEED)

    task = world.task()
    assert run.exit_code == 0, run.stderr
    assert run.operator_lines == [
        f"2026-11-21T00:00:00Z started seed-admin on staging as {task.task_arn} "
        "(actor alice, run 4242-1)",
        "2026-11-21T00:00:00Z console: https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/"
        f"app-staging/tasks/{task.id}/configuration?region=eu-west-1",
        "2026-11-21T00:00:00Z status RUNNING",
        "admin-tasks: seeding",
        "admin-tasks: done",
        "2026-11-21T00:00:02Z status DEPROVISIONING",
        result_line,
        "2026-11-21T00:00:03Z status STOPPED: exit code 0 "
        "(EssentialContainerExited: Essential container in task exited)",
    ]
    assert run.result["exitCode"] == 0 and run.result["ok"] is True
    assert run.stderr == "admin-tasks: seed-admin on staging exited with code 0\n"
