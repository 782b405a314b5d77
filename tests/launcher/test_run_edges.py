"""The cases one-off ECS runners get wrong: throttling, MISSING, failures[], --no-wait."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries.standard import ExponentialBackoff
from botocore.stub import Stubber

from tasks.launcher.aws import Clients, make_clients
from tests.launcher.conftest import (
    REGION,
    SESSION,
    Launcher,
    World,
    in_github,
    stub_task_definition,
)
from tests.launcher.fake_github import FakeGithub
from tests.launcher.test_run import SEED


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> list[bytes]:
        return [self._body]


class Failing:
    """Answers the first ``times`` attempts of an operation with the error ``code``."""

    def __init__(self, code: str, times: int) -> None:
        self.code, self.times, self.attempts = code, times, 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        self.attempts += 1
        if self.attempts > self.times:
            return None  # on to moto
        body = f'{{"__type": "{self.code}", "message": "no"}}'.encode()
        return AWSResponse(request.url, 400, {"x-amzn-requesttype": "json"}, _Body(body))


def fail_first(world: World, monkeypatch: pytest.MonkeyPatch, event: str,
               failing: Failing) -> None:
    """Make the launcher's clients answer ``event`` (before-send.SERVICE.OPERATION) badly."""
    record_calls = world.record_calls

    def clients(region: str) -> Clients:
        made = record_calls(region)
        client = made.ecs if ".ecs." in event else made.logs
        client.meta.events.register_first(event, failing)
        return made

    monkeypatch.setattr(world, "record_calls", clients)


@pytest.fixture
def no_retry_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)


@pytest.mark.parametrize("throttled_attempts", [3, 11], ids=["within-retries", "past-retries"])
@pytest.mark.usefixtures("no_retry_delay")
def test_throttled_describe_tasks_is_retried_and_the_result_is_still_right(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch,
        throttled_attempts: int) -> None:
    throttle = Failing("ThrottlingException", throttled_attempts)
    fail_first(world, monkeypatch, "before-send.ecs.DescribeTasks", throttle)
    launch.clock.at(1, lambda: world.write_logs(['{"ok": true, "outcome": "created"}']))
    launch.clock.at(2, lambda: world.stop(exit_code=0))

    run = launch(*SEED)

    assert run.exit_code == 0, run.stderr
    assert throttle.attempts > throttled_attempts
    assert [line.split(" ", 1)[1] for line in run.operator_lines if " status " in line] == [
        "status RUNNING",
        "status STOPPED: exit code 0 (EssentialContainerExited: Essential container in task "
        "exited)",
    ]


def test_a_task_missing_past_the_grace_period_ends_the_wait_with_exit_1(
        launch: Launcher, world: World) -> None:
    def forget_task() -> None:
        world.backend.tasks["app-staging"].clear()

    launch.clock.at(1, forget_task)

    run = launch(*SEED)

    assert run.exit_code == 1
    assert run.operator_lines[-1] == ("2026-11-21T00:01:20Z task MISSING for 1m 00s: ECS no "
                                      "longer knows it")
    assert run.result["outcome"] == "lost"


def test_a_task_missing_briefly_after_run_task_is_waited_for(
        launch: Launcher, world: World) -> None:
    tasks = world.backend.tasks

    def hide() -> None:
        hidden.update(tasks["app-staging"])
        tasks["app-staging"].clear()

    hidden: dict[str, Any] = {}
    launch.clock.at(1, hide)
    launch.clock.at(3, lambda: tasks["app-staging"].update(hidden))
    launch.clock.at(3, lambda: world.stop(exit_code=0))
    launch.clock.at(3, lambda: world.write_logs(['{"ok": true}']))

    run = launch(*SEED)

    assert run.exit_code == 0, run.operator_lines


def test_failures_in_the_run_task_response_are_a_failure_to_start(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # moto never answers RunTask with failures[]: a Stubber does.
    stubbed = make_clients(REGION, SESSION)
    stubber = Stubber(stubbed.ecs)
    stub_task_definition(stubber)
    stubber.add_response("run_task", {"tasks": [], "failures": [
        {"arn": "arn:aws:ecs:eu-west-1:123456789012:container-instance/x",
         "reason": "RESOURCE:MEMORY", "detail": "no capacity"}]})
    stubber.activate()
    monkeypatch.setattr(world, "record_calls", lambda region: Clients(stubbed.ecs, stubbed.logs))

    run = launch(*SEED)

    assert run.exit_code == 1
    assert run.operator_lines == []
    assert run.result["outcome"] == "failed-to-start"
    assert run.stderr == ("admin-tasks: ECS did not start seed-admin: RESOURCE:MEMORY no capacity "
                          "arn:aws:ecs:eu-west-1:123456789012:container-instance/x\n")
    stubber.assert_no_pending_responses()


def test_an_aws_error_is_one_line_with_a_hint_not_a_traceback(
        launch: Launcher, world: World) -> None:
    settings = {**world.settings, "cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/nope"}
    world.settings = settings

    run = launch(*SEED)

    assert run.exit_code == 1
    assert run.stderr.startswith("admin-tasks: ecs:RunTask failed: ClusterNotFoundException")
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr


def test_no_wait_starts_the_task_and_exits_0(launch: Launcher, world: World) -> None:
    run = launch(*SEED, "--no-wait")

    assert run.exit_code == 0
    assert run.result["outcome"] == "started"
    assert run.result["taskArn"] == world.task().task_arn
    assert world.calls == ["DescribeTaskDefinition", "RunTask"]


def test_logs_it_may_not_read_do_not_stop_the_task_or_hide_its_exit_code(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fail_first(world, monkeypatch, "before-send.logs.GetLogEvents",
               Failing("AccessDeniedException", 10**6))
    launch.clock.at(1, lambda: world.write_logs(["invisible"]))
    launch.clock.at(2, lambda: world.stop(exit_code=3))

    run = launch(*SEED)

    assert run.exit_code == 3
    stream = world.log_stream()
    assert run.operator_lines[3] == (
        "2026-11-21T00:00:00Z cannot read the task's logs (An error occurred "
        "(AccessDeniedException) when calling the GetLogEvents operation: no); following its "
        f"status only, see /admin-tasks/staging/{stream} in CloudWatch")
    assert "invisible" not in run.operator_lines
    assert world.calls.count("GetLogEvents") == 1


def test_in_github_actions_container_lines_cannot_run_workflow_commands(
        launch: Launcher, world: World, github_api: FakeGithub) -> None:
    launch.clock.at(1, lambda: world.write_logs(["::add-mask::x", "::error::forged"]))
    launch.clock.at(1, lambda: world.stop(exit_code=0))

    run = launch(*SEED, **in_github(github_api))

    lines = run.operator_lines
    assert lines[2].startswith("::stop-commands::")
    token = lines[2].removeprefix("::stop-commands::")
    assert len(token) == 32
    assert lines[3:] == ["2026-11-21T00:00:00Z status RUNNING", "::add-mask::x",
                         "::error::forged", lines[6], f"::{token}::"]
