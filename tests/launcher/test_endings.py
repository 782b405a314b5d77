"""How a followed task's end is told: the deadline race (M2), a StopTask that failed
(L1), the settings' timeout (L5), who clicked Re-run (H2), and ``run --check`` (L3)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tasks.launcher.inputs import TOKEN
from tests.launcher.conftest import Launcher, World
from tests.launcher.outages import Outage, access_denied, inject
from tests.launcher.test_run import SEED
from tests.launcher.test_stop import STOP, start_task

RESULT = '{"ok": true, "outcome": "created", "wasNew": true}'
EXITED = "EssentialContainerExited: Essential container in task exited"
STOP_HINT = "python -m tasks stop --run-id 4242-1 --environment staging"


def test_a_task_that_ended_just_before_the_deadline_is_not_a_timeout(
        launch: Launcher, world: World) -> None:
    launch.clock.after(57, lambda: world.write_logs([RESULT]))
    launch.clock.after(57, lambda: world.stop(exit_code=0))

    run = launch(*SEED, "--timeout", "60")

    assert run.exit_code == 0, run.stderr
    assert "StopTask" not in world.calls
    assert run.operator_lines[-2:] == [
        world.bound(RESULT), f"2026-11-21T00:01:00Z status STOPPED: exit code 0 ({EXITED})"]
    assert run.result["outcome"] == "succeeded"


def test_a_task_that_ended_on_its_own_as_it_was_stopped_reports_its_exit_code(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # The container exits between the deadline's poll and StopTask; ECS keeps the
    # stop code and reason it had (moto would overwrite them: put them back).
    record_calls = world.record_calls

    def clients(region: str) -> object:
        made = record_calls(region)
        made.ecs.meta.events.register("before-call.ecs.StopTask", lambda **_: world.stop(2))
        made.ecs.meta.events.register("after-call.ecs.StopTask", lambda **_: world.stop(2))
        return made

    monkeypatch.setattr(world, "record_calls", clients)

    run = launch(*SEED, "--timeout", "60")

    assert run.exit_code == 2, run.stderr
    assert [line.split(" ", 1)[1] for line in run.operator_lines[-4:]] == [
        "timeout: still RUNNING after 1m 00s; stopping the task",
        "stop requested: admin-tasks: timed out by alice (run 4242-1)",
        f"status STOPPED: exit code 2 ({EXITED})",
        "the task had already ended on its own: reporting its container's exit code"]
    assert run.stderr == "admin-tasks: seed-admin on staging exited with code 2\n"


@pytest.mark.parametrize(("ending", "code", "message"), [
    ("timeout", 124, "seed-admin ran past its timeout of 1m 00s"),
    ("cancel", 130, "cancelled by SIGINT")])
def test_a_failed_stop_is_told_with_the_command_that_stops_the_task(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch, ending: str, code: int,
        message: str) -> None:
    inject(world, monkeypatch, Outage("StopTask", access_denied, times=10**6))
    if ending == "cancel":
        launch.clock.at(2, lambda: os.kill(os.getpid(), signal.SIGINT))

    run = launch(*SEED, "--timeout", "60")

    arn = world.task().task_arn
    error = "An error occurred (AccessDeniedException) when calling the StopTask operation: no"
    assert run.exit_code == code
    assert world.task().last_status == "RUNNING"
    assert f"could not stop {arn}: {error}; stop it with: {STOP_HINT}" in [
        line.split(" ", 1)[1] for line in run.operator_lines]
    assert run.stderr == (f"admin-tasks: {message}; could not stop {arn}: {error}; stop it with: "
                          f"{STOP_HINT}\n")
    assert "stopped" not in run.stderr


def test_the_default_timeout_is_the_launch_settings(launch: Launcher, world: World) -> None:
    world.settings["tasks"]["seed-admin"]["timeoutSeconds"] = 120

    run = launch(*SEED)

    assert run.exit_code == 124
    assert "timeout: still RUNNING after 2m 00s; stopping the task" in run.operator_lines[-3]


def test_the_person_who_clicked_re_run_is_the_actor_everywhere(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    rerun = {"GITHUB_TRIGGERING_ACTOR": "bob", "GITHUB_RUN_ATTEMPT": "2"}

    dry = launch(*SEED, "--dry-run", **rerun)
    run = launch(*SEED, "--timeout", "60", GITHUB_STEP_SUMMARY=str(summary), **rerun)

    request = json.loads("\n".join(dry.lines[:-1]))
    overrides = request["overrides"]["containerOverrides"][0]["environment"]
    assert {"name": "ADMIN_TASK_ACTOR", "value": "bob"} in overrides
    assert {"key": "admin-tasks:actor", "value": "bob"} in request["tags"]
    assert "(actor bob, run 4242-2, not reviewed (run from a terminal))" in run.operator_lines[0]
    assert world.task().stopped_reason == "admin-tasks: timed out by bob (run 4242-2)"
    assert "| Requested by | `bob` |" in summary.read_text(encoding="utf-8")


def test_stop_names_the_person_who_clicked_re_run(launch: Launcher, world: World) -> None:
    start_task(world, "admin-tasks/4242-1")

    launch(*STOP, GITHUB_ACTOR="alice", GITHUB_TRIGGERING_ACTOR="bob")

    assert world.task().stopped_reason == ("admin-tasks: the workflow run was cancelled; stopped "
                                           "by bob (run 4242-1)")


def test_check_validates_the_inputs_without_settings_or_aws(launch: Launcher, world: World) -> None:
    run = launch(*SEED, "--check", ADMIN_TASKS_SETTINGS="")

    assert run.exit_code == 0, run.stderr
    assert run.result["outcome"] == "checked"
    token = TOKEN.fullmatch(run.result["request"])
    assert token is not None and token["parts"]
    assert run.stderr == ("admin-tasks: the inputs for seed-admin on staging are valid (checked "
                          "against the built-in catalog; nothing was called)\n")
    assert world.clients_made == []


@pytest.mark.parametrize("argv", [
    ("run", "seed-admin", "--environment", "staging", "--param", "email=ops@@example.com",
     "--reason", "x", "--check"),
    ("run", "seed-admin", "--environment", "staging", "--param", "email=ops@example.com",
     "--reason", " ", "--check"),
    ("run", "nope", "--environment", "staging", "--reason", "x", "--check"),
    ("run", "seed-admin", "--environment", "staging", "--param", "email=ops@example.com",
     "--reason", "x", "--timeout", "4000", "--check")],
    ids=["email", "reason", "task", "timeout"])
def test_check_rejects_what_run_would_reject(launch: Launcher, world: World,
                                             argv: tuple[str, ...]) -> None:
    run = launch(*argv, ADMIN_TASKS_SETTINGS="")

    assert run.exit_code == 2
    assert run.result["outcome"] == "invalid"
    assert world.clients_made == []
