"""The image that runs is the image the reviewer approved: the launcher reads the task
definition it is about to run (moto) and refuses one whose container runs another image,
then starts exactly the revision it checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.launcher.conftest import REGION, SESSION, Launcher, World
from tests.launcher.test_run import SEED

APP = ("run", "clearsessions", "--environment", "staging", "--reason", "monthly maintenance")


def _reregister(family: str, image: str) -> str:
    """What a `pulumi up` does when the image changes: a new revision of the family."""
    ecs = SESSION.client("ecs", region_name=REGION)
    current = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    containers: list[dict[str, Any]] = [{**c, "image": image}
                                        for c in current["containerDefinitions"]]
    registered = ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
        memory="512", containerDefinitions=containers)
    return str(registered["taskDefinition"]["taskDefinitionArn"])


def _settings_image(world: World, task: str) -> str:
    return str(world.settings["tasks"][task]["imageRef"])


def test_a_task_definition_running_another_image_is_refused_before_run_task(
        launch: Launcher, world: World) -> None:
    family = world.settings["tasks"]["clearsessions"]["taskDefinition"]
    approved = _settings_image(world, "clearsessions")
    other = approved.replace("3b1f0c2d", "deadbeef")
    _reregister(family, other)

    run = launch(*APP)

    assert (run.exit_code, run.result["outcome"]) == (3, "refused")
    assert "RunTask" not in world.calls and world.tasks() == []
    assert f"runs {other}, not {approved}" in run.stderr
    assert "Start a new run" in run.stderr


def test_the_checked_revision_is_the_one_started_and_its_digest_is_tagged(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    family = world.settings["tasks"]["clearsessions"]["taskDefinition"]
    approved = _settings_image(world, "clearsessions")
    newest = _reregister(family, approved)  # a later revision, same image
    summary = tmp_path / "summary.md"
    launch.clock.at(1, lambda: world.stop(exit_code=0))

    run = launch(*APP, GITHUB_STEP_SUMMARY=str(summary))

    assert run.exit_code == 0, run.stderr
    task = world.task()
    assert task.task_definition_arn == newest
    tags = {tag["key"]: tag["value"] for tag in task.tags}
    assert tags["admin-tasks:image-digest"] == approved.partition("@")[2]
    assert run.result["image"] == approved
    assert f"| Image | `{approved}` |" in summary.read_text(encoding="utf-8")


def test_a_container_missing_from_the_definition_is_refused(
        launch: Launcher, world: World) -> None:
    ecs = SESSION.client("ecs", region_name=REGION)
    family = world.settings["tasks"]["seed-admin"]["taskDefinition"]
    ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
        memory="512", containerDefinitions=[{"name": "other", "image": "x/y:1", "memory": 512}])

    run = launch(*SEED)

    assert (run.exit_code, run.result["outcome"]) == (3, "refused")
    assert "runs no such container" in run.stderr and "RunTask" not in world.calls


def test_the_approval_request_names_the_image(launch: Launcher, world: World,
                                              tmp_path: Path) -> None:
    summary = tmp_path / "request.md"
    run = launch(*APP, "--check", GITHUB_STEP_SUMMARY=str(summary))

    assert run.exit_code == 0, run.stderr
    approved = _settings_image(world, "clearsessions")
    assert f"| Image | `{approved}` |" in summary.read_text(encoding="utf-8")
    assert json.dumps(approved) not in run.stderr
