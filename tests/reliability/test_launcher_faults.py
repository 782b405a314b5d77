"""Launcher faults: AWS misbehaving mid-run still ends with the right exit code, and the
operator is told what could not be shown.

Already covered in ``tests/launcher`` and not repeated here:
DescribeTasks throttled within and past botocore's retries
(``test_run_edges.py::test_throttled_describe_tasks_is_retried_and_the_result_is_still_right``),
DescribeTasks answering MISSING then finding the task
(``test_run_edges.py::test_a_task_missing_briefly_after_run_task_is_waited_for``) or
never again (``…missing_past_the_grace_period…``), GetLogEvents ResourceNotFound for
several polls before the stream exists
(``test_run.py::test_the_log_stream_may_appear_only_after_several_polls``) and
AccessDenied (``test_run_edges.py::test_logs_it_may_not_read…``).
"""

from __future__ import annotations

from typing import Any

import pytest
from moto.core.models import botocore_stubber

from tests.launcher.conftest import Launcher, World
from tests.launcher.test_run import SEED
from tests.launcher.test_run_edges import Failing, fail_first, no_retry_delay  # noqa: F401

RESULT = '{"ok": true, "outcome": "created", "wasNew": true}'


@pytest.mark.usefixtures("no_retry_delay")
def test_a_throttled_run_task_is_retried_into_exactly_one_task(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # moto answers every before-send too (botocore calls all handlers and keeps the first
    # response), so a throttled attempt must also keep moto from starting a task.
    throttle = Failing("ThrottlingException", 2)

    def throttle_before_moto(request: Any, **kwargs: Any) -> Any:
        response = throttle(request, **kwargs)
        botocore_stubber.enabled = response is None
        return response

    fail_first(world, monkeypatch, "before-send.ecs.RunTask", throttle_before_moto)
    monkeypatch.setattr(botocore_stubber, "enabled", True)
    launch.clock.at(1, lambda: world.write_logs([RESULT]))
    launch.clock.at(1, lambda: world.stop(exit_code=3))

    run = launch(*SEED)

    assert throttle.attempts == 3  # two throttled attempts, then moto's answer
    assert len(world.tasks()) == 1
    assert world.calls.count("RunTask") == 1  # one API call; the retries are botocore's
    assert run.exit_code == 3, run.stderr
    assert world.bound(RESULT) in run.operator_lines


def test_the_log_group_deleted_mid_run_still_ends_with_the_exit_code_and_says_so(
        launch: Launcher, world: World) -> None:
    launch.clock.at(1, lambda: world.write_logs(["before the deletion"]))
    launch.clock.at(2, lambda: world.logs.delete_log_group(logGroupName=world.settings["logGroup"]))
    launch.clock.at(3, lambda: world.stop(exit_code=4))

    run = launch(*SEED)

    assert run.exit_code == 4, run.stderr
    assert run.operator_lines[3:] == [
        "before the deletion",
        "2026-11-21T00:00:08Z the task's logs disappeared after 1 line(s) (An error occurred "
        "(ResourceNotFoundException) when calling the GetLogEvents operation: The specified log "
        f"group does not exist.); later lines cannot be shown: see /admin-tasks/staging/"
        f"{world.log_stream()}",
        "2026-11-21T00:00:10Z status STOPPED: exit code 4 (EssentialContainerExited: Essential "
        "container in task exited)"]
    assert run.result["exitCode"] == 4
