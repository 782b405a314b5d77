"""The job summary GitHub shows on the run's page."""

from __future__ import annotations

import json
from pathlib import Path

from tests.launcher.conftest import Launcher, World
from tests.launcher.test_run import SEED

RESULT = {"ok": True, "outcome": "created", "wasNew": True,
          "user": {"id": 7, "email": "ops@example.com", "role": "admin"},
          "audit": {"event": "admin.seeded", "actor": "alice", "runId": "4242-1",
                    "reason": "first admin for launch", "recordedIn": "audit_events"}}


def test_the_summary_shows_the_run_the_task_and_the_result_line_fields(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    launch.clock.at(1, lambda: world.write_logs(["admin-tasks: created", json.dumps(RESULT)]))
    launch.clock.at(2, lambda: world.stop(exit_code=0))

    run = launch(*SEED, GITHUB_STEP_SUMMARY=str(summary))

    task = world.task()
    assert run.exit_code == 0
    assert summary.read_text(encoding="utf-8") == "\n".join([
        "earlier step",
        "### Admin task `seed-admin` on `staging`: succeeded",
        "",
        "| | |",
        "|---|---|",
        "| Task | `seed-admin`: `Make sure an active admin exists for an email (role schema).` |",
        "| Environment | `staging` |",
        "| Requested by | `alice` |",
        "| Approved by | not reviewed (run from a terminal) |",
        "| Reason | `first admin for launch` |",
        "| Run | `4242-1` |",
        "| Image | `111111111111.dkr.ecr.eu-west-1.amazonaws.com/admin-tasks:2026.11.20` |",
        f"| ECS task | [`{task.id}`](https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/"
        f"app-staging/tasks/{task.id}/configuration?region=eu-west-1) (`{task.task_arn}`) |",
        "| Final status | `STOPPED: exit code 0 (EssentialContainerExited: Essential container in "
        "task exited)` |",
        "| Exit code | `0` |",
        "| Duration | 7s |",
        "",
        "**Result line**",
        "",
        "| field | value |",
        "|---|---|",
        "| `ok` | `true` |",
        '| `outcome` | `"created"` |',
        "| `wasNew` | `true` |",
        '| `user` | `{"email": "ops@example.com", "id": 7, "role": "admin"}` |',
        '| `audit` | `{"actor": "alice", "event": "admin.seeded", "reason": "first admin for '
        'launch", "recordedIn": "audit_events", "runId": "4242-1"}` |',
        "", "",
    ])


def test_a_failed_run_summary_says_so_and_escapes_what_the_operator_typed(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    launch.clock.at(1, lambda: world.stop(exit_code=4))

    run = launch("run", "seed-admin", "--environment", "staging", "--param",
                 "email=a@example.com", "--reason", "fix | <b>ticket</b> [x](http://evil)",
                 GITHUB_STEP_SUMMARY=str(summary))

    text = summary.read_text(encoding="utf-8")
    assert run.exit_code == 4
    assert text.startswith("### Admin task `seed-admin` on `staging`: failed\n")
    assert "| Reason | `fix \\| <b>ticket</b> [x](http://evil)` |" in text
    assert "| Exit code | `4` |" in text
    assert "The task printed no JSON result line." in text


def test_a_timed_out_run_still_writes_its_summary(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"

    run = launch(*SEED, "--timeout", "60", GITHUB_STEP_SUMMARY=str(summary))

    text = summary.read_text(encoding="utf-8")
    assert run.exit_code == 124
    assert text.startswith("### Admin task `seed-admin` on `staging`: timeout\n")
    assert "| Exit code | `124` |" in text


def test_a_preview_is_headed_and_marked_as_one_so_nobody_reads_it_as_done(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    preview = {**RESULT, "preview": True, "audit": {**RESULT["audit"], "recordedIn": None}}
    launch.clock.at(1, lambda: world.write_logs([json.dumps(preview)]))
    launch.clock.at(2, lambda: world.stop(exit_code=0))

    run = launch(*SEED, "--preview", GITHUB_STEP_SUMMARY=str(summary))

    written = summary.read_text(encoding="utf-8").splitlines()
    assert run.exit_code == 0
    assert written[:4] == [
        "### Preview of admin task `seed-admin` on `staging`: succeeded",
        "",
        "> **This was a preview: nothing was written.** The result line shows what the real "
        "run would change and the exit code it would have.",
        "",
    ]
    assert "| `preview` | `true` |" in written


def test_a_real_run_never_says_preview(launch: Launcher, world: World, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    launch.clock.at(1, lambda: world.write_logs([json.dumps(RESULT)]))
    launch.clock.at(2, lambda: world.stop(exit_code=0))

    launch(*SEED, GITHUB_STEP_SUMMARY=str(summary))

    assert "preview" not in summary.read_text(encoding="utf-8").lower()


def test_an_application_tasks_failing_step_is_named_in_the_summary(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    """The recorder's result line names the failing step; the summary shows it quoted."""
    summary = tmp_path / "summary.md"
    recorded = {"ok": False, "outcome": "failed", "wasNew": True, "exitCode": 3,
                "failedStep": {"index": 2, "total": 2,
                               "argv": ["python", "manage.py", "migrate_schemas", "--tenant"]}}
    launch.clock.at(1, lambda: world.write_logs([json.dumps(recorded)]))
    launch.clock.at(2, lambda: world.stop(exit_code=3))

    run = launch("run", "migrate", "--environment", "staging", "--reason", "release",
                 GITHUB_STEP_SUMMARY=str(summary))

    assert run.exit_code == 3
    assert ("| Failed step | `2` of `2`: `python manage.py migrate_schemas --tenant` |"
            in summary.read_text(encoding="utf-8").splitlines())
