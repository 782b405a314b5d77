"""A failure of the launcher itself (a bug, a malformed AWS answer) is one line with the
outcome launcher-error and exit 1, never a traceback; a task it may have started is
named, with the command that stops it, and is never stopped by the launcher.

(Failing while following a task: test_transient_errors.py.)"""

from __future__ import annotations

import re

import pytest
from botocore.stub import Stubber

from tasks.launcher.aws import Clients, make_clients
from tasks.launcher.request import LaunchRequest
from tests.launcher.conftest import REGION, SESSION, Launcher, World, stub_task_definition
from tests.launcher.test_run import SEED

STOP_HINT = "python -m tasks stop --run-id 4242-1 --environment staging"


def test_a_malformed_run_task_answer_says_a_task_may_be_running_and_how_to_stop_it(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    stubbed = make_clients(REGION, SESSION)
    stubber = Stubber(stubbed.ecs)
    stub_task_definition(stubber)
    stubber.add_response("run_task", {"tasks": [{"lastStatus": "PROVISIONING"}], "failures": []})
    stubber.activate()
    monkeypatch.setattr(world, "record_calls", lambda region: Clients(stubbed.ecs, stubbed.logs))

    run = launch(*SEED)

    assert (run.exit_code, run.result["outcome"]) == (1, "launcher-error")
    assert run.operator_lines == []
    assert re.fullmatch(
        r"admin-tasks: the launcher failed while starting seed-admin \(KeyError at "
        r"tasks/launcher/start\.py:\d+: 'taskArn'\); if ecs:RunTask went out a task may be "
        rf"running: check the ECS console, or stop it with: {STOP_HINT}\n", run.stderr)


def test_a_bug_before_any_task_is_one_line_not_a_traceback(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: LaunchRequest) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(LaunchRequest, "run_task_request", broken)

    run = launch(*SEED, "--dry-run")

    assert (run.exit_code, run.result["outcome"]) == (1, "launcher-error")
    assert re.fullmatch(r"admin-tasks: the launcher failed \(RuntimeError at "
                        r"tasks/launcher/commands\.py:\d+: a bug\)\n", run.stderr)
    assert world.clients_made == []
