"""A tenant run from the launcher's side, against moto: ``--parallel K`` starts exactly K
tasks of the one task definition, each recorder told its worker number and the run's
controls (the application never); all are followed together, stopped together on a
cancel; the exit code is the first failing task's; the summary has a row per tenant."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tasks.contract.outcome import bound_to_run
from tasks.contract.run_record import RECORD_CONTAINER
from tasks.contract.tenants import CONTROLS_VARIABLE, WORKER_VARIABLE
from tests.launcher.conftest import LOG_GROUP, Launcher, World
from tests.launcher.outages import Outage, inject, no_connection, read_timeout
from tests.launcher.test_run_edges import no_retry_delay  # noqa: F401  (fixture)

MIGRATE = ("run", "migrate", "--environment", "staging", "--reason", "release 2026.12")


def _environment(task: Any, container: str) -> dict[str, str]:
    (override,) = [o for o in task.overrides["containerOverrides"] if o["name"] == container]
    return {item["name"]: item["value"] for item in override.get("environment", [])}


def _by_worker(world: World) -> dict[int, Any]:
    return {int(_environment(task, RECORD_CONTAINER)[WORKER_VARIABLE]): task
            for task in world.tasks()}


def _finish(world: World, task: Any, code: int, tenants: list[dict[str, Any]],
            counts: dict[str, int], app_lines: list[str], outcome: str | None = None) -> None:
    """The task ends as its recorder would end it: app lines, then the bound result line."""
    line = {"ok": code == 0, "outcome": outcome or ("succeeded" if code == 0 else "failed"),
            "wasNew": True, "exitCode": code, "tenants": tenants, "tenantCounts": counts,
            "resume": "staging/migrate/4242-1"}
    for container, lines in ((task.containers[-1].name, app_lines), (RECORD_CONTAINER, [
            json.dumps(bound_to_run(line, _environment(task, RECORD_CONTAINER)))])):
        if not lines:
            continue
        stream = f"admin-tasks/{container}/{task.id}"
        world.logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
        first = max(world.last_timestamp + 1, int(time.time() * 1000))
        world.last_timestamp = first + len(lines)
        world.logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=stream, logEvents=[
            {"timestamp": first + i, "message": text} for i, text in enumerate(lines)])
    world.end(task, code)  # whole: another task's watch may describe it at any moment


def test_parallel_starts_k_tasks_and_the_summary_has_a_row_per_tenant(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    def finish_all() -> None:
        tasks = _by_worker(world)
        counts = {"succeeded": 2, "failed": 1, "skipped": 1}
        _finish(world, tasks[1], 0, [{"schema": "acme", "status": "succeeded", "exitCode": 0,
                                      "seconds": 9.5}], counts,
                ["admin-tasks: tenant acme: step 1/1: python manage.py migrate_schemas"])
        _finish(world, tasks[2], 1, [{"schema": "globex", "status": "failed", "exitCode": 1,
                                      "seconds": 3.0}], counts,
                ["admin-tasks: tenant globex: step 1/1: python manage.py migrate_schemas",
                 "django.db.utils.ProgrammingError: relation does not exist"])
        _finish(world, tasks[3], 0, [{"schema": "initech", "status": "succeeded",
                                      "exitCode": 0, "seconds": 8.0}], counts, [])

    launch.clock.after(10, finish_all)
    summary = tmp_path / "summary.md"
    run = launch(*MIGRATE, "--parallel", "3", "--on-failure", "stop",
                 GITHUB_STEP_SUMMARY=str(summary))

    assert run.exit_code == 1, run.stderr
    tasks = _by_worker(world)
    assert sorted(tasks) == [1, 2, 3] and len(world.tasks()) == 3
    assert world.calls.count("RunTask") == 3
    controls = json.loads(_environment(tasks[2], RECORD_CONTAINER)[CONTROLS_VARIABLE])
    assert controls == {"canary": 1, "onFailure": "stop", "parallel": 3, "tenants": [],
                        "resume": None}
    application = _environment(tasks[2], "migrate")
    assert CONTROLS_VARIABLE not in application and WORKER_VARIABLE not in application
    assert [{tag["key"]: tag["value"] for tag in task.tags}["admin-tasks:worker"]
            for _, task in sorted(tasks.items())] == ["1/3", "2/3", "3/3"]
    # Each application line is shown under the tenant its script named.
    assert any(line.endswith("[globex] django.db.utils.ProgrammingError: relation does not "
                             "exist") for line in run.lines), run.lines
    text = summary.read_text()
    assert "| `globex` | `failed` | `1` | 3.0 s | " in text
    assert "relation does not exist" in text.split("`globex`")[1].split("\n")[0]
    assert "| `acme` | `succeeded` | `0` | 9.5 s | - |" in text
    assert "`--resume staging/migrate/4242-1`" in text
    # One run block, the failing task's (the job's outcome), then the tenant table.
    assert text.count("### Admin task") == 1
    assert "### Admin task `migrate` on `staging`: failed" in text
    assert all(f"`{task.task_arn}`" in text for task in tasks.values())
    assert run.result["tenantCounts"] == {"succeeded": 2, "failed": 1, "skipped": 1}


def test_a_cancel_stops_every_task_of_the_run(launch: Launcher, world: World) -> None:
    def cancel() -> None:
        """GitHub's SIGINT, as the main thread gets it; the pause lets its handler run
        before the other task's watch moves the fake clock on."""
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.5)

    launch.clock.after(10, cancel)

    run = launch(*MIGRATE, "--parallel", "2")

    assert run.exit_code == 130, (run.stderr, run.lines)
    assert world.calls.count("StopTask") == 2
    assert all("cancelled" in (task.stopped_reason or "") for task in world.tasks())


@pytest.mark.parametrize(("flags", "message"), [
    (("--parallel", "0"), "--parallel must be 1 to 4 (the stack's maxParallelTasks), got 0"),
    (("--parallel", "5"), "--parallel must be 1 to 4 (the stack's maxParallelTasks), got 5"),
    (("--canary", "101"), "--canary must be 0 to 100 tenants, got 101"),
    (("--tenants", "acme,-rf"), "--tenants names '-rf' is not a schema name"),
    (("--resume", "prod/migrate/4242-1"), "--resume names a run of migrate on prod, not of "
                                          "migrate on staging"),
    (("--resume", "staging/clearsessions/4242-1"), "--resume names a run of clearsessions"),
    (("--resume", "4242-1"), "--resume '4242-1' is not a run"),
    (("--resume", "staging/migrate/1-1", "--tenants", "acme"), "--resume and --tenants exclude"),
    (("--no-wait",), "--no-wait: a tenant run is followed to its end"),
    (("--preview", "--parallel", "2"), "--parallel: a preview runs the steps' preview only"),
])
def test_a_bad_control_is_exit_2_before_any_aws_call(
        launch: Launcher, world: World, flags: tuple[str, ...], message: str) -> None:
    run = launch(*MIGRATE, *flags)

    assert run.exit_code == 2 and message in run.stderr, run.stderr
    assert world.clients_made == [] and world.tasks() == []


def test_a_control_for_a_task_without_tenant_steps_is_exit_2(
        launch: Launcher, world: World) -> None:
    run = launch("run", "clearsessions", "--environment", "staging", "--reason", "weekly",
                 "--canary", "2")

    assert run.exit_code == 2
    assert "--canary: task clearsessions declares no tenantSteps" in run.stderr
    assert world.clients_made == []


def test_the_controls_are_bound_by_the_approved_request(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    """The reviewer sees the tenant steps and controls and approves two tasks at once; the
    gated job asks for four: refused (exit 3), naming the controls, before any AWS call."""
    request = tmp_path / "request.md"
    checked = launch(*MIGRATE, "--parallel", "2", "--tenants", "acme,globex", "--check",
                     GITHUB_STEP_SUMMARY=str(request))
    assert checked.exit_code == 0, checked.stderr
    shown = request.read_text()
    assert '| 1 | `["python", "manage.py", "migrate_schemas", "--schema={tenant}", ' in shown
    assert "| Tenants | `acme`, `globex` |" in shown
    assert "| ECS tasks at once | `2` |" in shown
    assert "| After a failure | stop: the tenants not started are skipped |" in shown

    run = launch(*MIGRATE, "--parallel", "4", "--tenants", "acme,globex",
                 f"--approved-request={checked.result['request']}")

    assert run.exit_code == 3
    assert "the tenant controls (--tenants, --resume, --canary" in run.stderr
    assert "the parameters" not in run.stderr
    assert world.clients_made == [] and world.tasks() == []


def test_a_task_that_cannot_start_leaves_the_started_ones_followed(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """ECS refuses the third RunTask (capacity): the two started tasks are still followed
    to their end (they take its tenants), not left running unwatched."""
    from tasks.contract.errors import TaskFailedToStart
    from tasks.launcher import fanout

    real = fanout.start_task

    def third_fails(request: Any, *args: Any) -> str:
        if request.worker == 3:
            raise TaskFailedToStart("ECS did not start migrate: RESOURCE:FARGATE")
        return real(request, *args)

    monkeypatch.setattr(fanout, "start_task", third_fails)
    launch.clock.after(10, lambda: [_finish(world, task, 0, [], {"succeeded": 5}, [])
                                    for task in world.tasks()])

    run = launch(*MIGRATE, "--parallel", "3")

    assert run.exit_code == 0, run.stderr
    assert len(world.tasks()) == 2
    assert any("[task 3/3] could not start this task" in line for line in run.lines)
    assert run.result["tenantCounts"] == {"succeeded": 5}


@pytest.mark.usefixtures("no_retry_delay")
def test_a_lost_run_task_answer_for_task_2_finds_task_2_not_task_1(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Task 1 is answered; every attempt of task 2's RunTask times out, the first after
    ECS started it. The lookup by startedBy lists both tasks: the one not yet followed is
    task 2, and both are followed to their end."""
    inject(world, monkeypatch, Outage("RunTask", read_timeout, times=10**6, after=1,
                                      acted_on=lambda attempt: attempt == 1))
    launch.clock.after(10, lambda: [_finish(world, task, 0, [], {"succeeded": 2}, [])
                                    for task in world.tasks()])

    run = launch(*MIGRATE, "--parallel", "2")

    assert run.exit_code == 0, run.stderr
    tasks = _by_worker(world)
    assert sorted(tasks) == [1, 2]
    assert run.result["taskArns"] == [tasks[1].task_arn, tasks[2].task_arn]
    assert any("[task 2/2] ecs:RunTask got no answer" in line for line in run.lines)
    assert any(f"[task 2/2] started migrate on staging as {tasks[2].task_arn}" in line
               for line in run.lines), run.lines


@pytest.mark.usefixtures("no_retry_delay")
def test_a_task_2_that_never_reached_ecs_is_not_confused_with_task_1(
        launch: Launcher, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """No attempt of task 2's RunTask reached ECS: the lookup lists task 1 only, which is
    not taken for task 2 (it would be followed twice); task 1 takes every tenant."""
    inject(world, monkeypatch, Outage("RunTask", no_connection, times=10**6, after=1))
    launch.clock.after(10, lambda: [_finish(world, task, 0, [], {"succeeded": 2}, [])
                                    for task in world.tasks()])

    run = launch(*MIGRATE, "--parallel", "2")

    assert run.exit_code == 0, run.stderr
    (task,) = world.tasks()
    assert run.result["taskArns"] == [task.task_arn]
    assert any("[task 2/2] could not start this task" in line and "other than the 1 "
               "already followed: nothing was started" in line and "python -m tasks stop"
               in line for line in run.lines), run.lines


def test_task_1_refusing_the_run_stops_the_tasks_waiting_to_join_it(
        launch: Launcher, world: World) -> None:
    """Task 1 finds an unknown tenant in the database (exit 2, nothing recorded): tasks 2
    and 3 would wait five minutes for a ledger that never comes; they are stopped at once,
    and the run's exit code is task 1's."""
    launch.clock.after(10, lambda: _finish(
        world, _by_worker(world)[1], 2, [], {}, [], outcome="invalid"))

    run = launch(*MIGRATE, "--parallel", "3")

    assert run.exit_code == 2, (run.stderr, run.lines)
    tasks = _by_worker(world)
    assert world.calls.count("StopTask") == 2
    assert [tasks[n].stopped_reason and "task 1 refused the run" in tasks[n].stopped_reason
            for n in (2, 3)] == [True, True]
    assert launch.clock.monotonic() < 120, "the other tasks were waited for"
    assert any("[task 2/3] task 1 refused the run before any tenant ran" in line
               for line in run.lines), run.lines


def test_task_1_that_failed_a_tenant_leaves_the_others_running_their_tenants(
        launch: Launcher, world: World) -> None:
    """A failed tenant is not a refusal: the other tasks are not stopped by the launcher."""
    launch.clock.after(10, lambda: _finish(world, _by_worker(world)[1], 1, [], {"failed": 1}, []))
    launch.clock.after(30, lambda: [_finish(world, _by_worker(world)[n], 0, [], {}, [])
                                    for n in (2, 3)])

    run = launch(*MIGRATE, "--parallel", "3")

    assert run.exit_code == 1
    assert world.calls.count("StopTask") == 0
