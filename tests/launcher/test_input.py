"""Everything that is wrong with a request is caught before any AWS call (exit 2)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from tasks.contract import catalog
from tasks.launcher.request import result_key
from tests.launcher.conftest import Launcher, World

REASON = ("--reason", "first admin")
EMAIL = ("--param", "email=ops@example.com")
STAGING = ("--environment", "staging")


@pytest.fixture
def seed_admin_only_in_prod(monkeypatch: pytest.MonkeyPatch) -> None:
    entries = tuple(dataclasses.replace(e, environments=frozenset({"prod"}))
                    if e.name == "seed-admin" else e for e in catalog.CATALOG)
    monkeypatch.setattr(catalog, "CATALOG", entries)


INVALID = {
    "unknown task": (("run", "drop-db", *STAGING, *REASON), {},
                     "unknown task 'drop-db': the staging stack has cleanup-activity-logs, "
                     "clearsessions, deactivate-superuser, deactivate-tenant, migrate, "
                     "reactivate-admin, remove-admin, reset-superuser-password, seed-admin, "
                     "seed-superuser, send-invite"),
    "settings for another environment": (
        ("run", "seed-admin", "--environment", "prod", *EMAIL, *REASON), {},
        "the launch settings from ADMIN_TASKS_SETTINGS are for staging, not prod: use that "
        "environment's ADMIN_TASKS_SETTINGS"),
    "missing parameter": (("run", "seed-admin", *STAGING, *REASON), {},
                          "task seed-admin needs --param email=… (the admin's email address)"),
    "invalid parameter": (
        ("run", "seed-admin", *STAGING, "--param", "email=ops@@example.com", *REASON), {},
        "parameter email: email must contain exactly one '@' (found 2): use the form "
        "name@example.com"),
    "unknown parameter": (
        ("run", "seed-superuser", *STAGING, "--param", "email=a@example.com", *REASON), {},
        "task seed-superuser has no parameter 'email' (its parameters: schema)"),
    "malformed parameter": (("run", "seed-admin", *STAGING, "--param", "email", *REASON), {},
                            "--param 'email' is malformed: use --param KEY=VALUE"),
    "parameter without a name": (
        ("run", "seed-admin", *STAGING, "--param", "=a@example.com", *REASON), {},
        "--param '=a@example.com' is malformed: use --param KEY=VALUE"),
    "parameter twice": (("run", "seed-admin", *STAGING, *EMAIL, *EMAIL, *REASON), {},
                        "--param email is given twice: pass each parameter once"),
    "empty reason": (("run", "seed-admin", *STAGING, *EMAIL, "--reason", ""), {},
                     "a reason is required: say why this privileged task runs (--reason TEXT)"),
    "blank reason": (("run", "seed-admin", *STAGING, *EMAIL, "--reason", "   "), {},
                     "reason is blank: say why this privileged task runs"),
    "reason over two lines": (("run", "seed-admin", *STAGING, *EMAIL, "--reason", "a\nb"), {},
                              "reason contains a control character or newline: keep it to one "
                              "line"),
    "zero timeout": (("run", "seed-admin", *STAGING, *EMAIL, *REASON, "--timeout", "0"), {},
                     "--timeout must be 1 to 3300 seconds (the launcher's credentials last one hour), got 0"),
    "no settings": (("run", "seed-admin", *STAGING, *EMAIL, *REASON),
                    {"ADMIN_TASKS_SETTINGS": ""},
                    "no launch settings: set ADMIN_TASKS_SETTINGS or pass --settings FILE "
                    "(`pulumi stack output launchSettings`)"),
    "settings not JSON": (("run", "seed-admin", *STAGING, *EMAIL, *REASON),
                          {"ADMIN_TASKS_SETTINGS": "{oops"},
                          "launch settings from ADMIN_TASKS_SETTINGS are not valid JSON "
                          "(Expecting property name enclosed in double quotes: line 1 column 2 "
                          "(char 1))"),
}


@pytest.mark.parametrize(("argv", "environ", "message"), INVALID.values(), ids=INVALID.keys())
def test_invalid_requests_exit_2_before_any_aws_call(
        launch: Launcher, world: World, argv: tuple[str, ...], environ: dict[str, str],
        message: str) -> None:
    run = launch(*argv, **environ)

    assert (run.exit_code, run.stderr) == (2, f"admin-tasks: {message}\n")
    assert run.result == {"ok": False, "outcome": "invalid", "wasNew": False, "error": message}
    assert world.clients_made == [] and world.tasks() == []


@pytest.mark.usefixtures("seed_admin_only_in_prod")
def test_a_task_not_enabled_in_the_environment_exits_2(launch: Launcher, world: World) -> None:
    run = launch("run", "seed-admin", *STAGING, *EMAIL, *REASON)

    assert (run.exit_code, run.stderr) == (
        2, "admin-tasks: task seed-admin is not enabled in staging (catalog: prod)\n")
    assert world.clients_made == []


def test_a_task_the_stack_did_not_deploy_exits_2(launch: Launcher, world: World) -> None:
    world.settings["tasks"].pop("seed-superuser")

    run = launch("run", "seed-superuser", *STAGING, *REASON)

    assert run.exit_code == 2
    assert run.stderr == ("admin-tasks: the staging stack has no task definition for "
                          "seed-superuser: run `pulumi up` for it, then re-export "
                          "ADMIN_TASKS_SETTINGS\n")
    assert world.clients_made == []


@pytest.mark.parametrize("argv", [("--timeout", "soon"), ("--colour",)], ids=["timeout", "flag"])
def test_usage_errors_exit_2(launch: Launcher, world: World, argv: tuple[str, ...]) -> None:
    run = launch("run", "seed-admin", *STAGING, *EMAIL, *REASON, *argv)

    assert run.exit_code == 2 and run.result["outcome"] == "invalid"
    assert world.clients_made == []


def test_dry_run_prints_the_exact_run_task_request_and_calls_nothing(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    settings_file = tmp_path / "staging.json"
    settings_file.write_text(json.dumps(world.settings), encoding="utf-8")

    run = launch("run", "seed-admin", *STAGING, "--param", "email=Ops@Example.COM", *REASON,
                 "--settings", str(settings_file), "--dry-run", ADMIN_TASKS_SETTINGS="")

    request = json.loads("\n".join(run.operator_lines))
    token = request.pop("clientToken")
    assert request == {
        "cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/app-staging",
        "taskDefinition": "admin-tasks-staging-seed-admin",
        "launchType": "FARGATE",
        "count": 1,
        "startedBy": "admin-tasks/4242-1",
        "enableExecuteCommand": False,
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": world.settings["subnets"],
            "securityGroups": world.settings["securityGroups"],
            "assignPublicIp": "DISABLED"}},
        "overrides": {"containerOverrides": [{"name": "seed-admin", "environment": [
            {"name": "ADMIN_EMAIL", "value": "ops@example.com"},
            {"name": "ADMIN_TASK_ACTOR", "value": "alice"},
            {"name": "ADMIN_TASK_RUN_ID", "value": "4242-1"},
            {"name": "ADMIN_TASK_REASON", "value": "first admin"},
            {"name": "ADMIN_TASK_RESULT_KEY", "value": result_key("4242-1", {})}]}]},
        "tags": [{"key": "admin-tasks:actor", "value": "alice"},
                 {"key": "admin-tasks:run", "value": "4242-1"},
                 {"key": "admin-tasks:repository", "value": "acme/app"},
                 {"key": "admin-tasks:task", "value": "seed-admin"},
                 {"key": "admin-tasks:environment", "value": "staging"},
                 {"key": "admin-tasks:approved-by", "value": "not-reviewed"},
                 {"key": "admin-tasks:preview", "value": "false"},
                 {"key": "admin-tasks:image-digest", "value": "unpinned"}],
    }
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":")).encode()
    assert token == hashlib.sha256(canonical).hexdigest()
    assert run.exit_code == 0 and run.result["outcome"] == "dry-run"
    assert world.clients_made == [] and world.tasks() == []


def test_a_retried_request_carries_the_same_client_token(launch: Launcher) -> None:
    first = launch("run", "seed-admin", *STAGING, *EMAIL, *REASON, "--dry-run")
    again = launch("run", "seed-admin", *STAGING, *EMAIL, *REASON, "--dry-run")
    next_attempt = launch("run", "seed-admin", *STAGING, *EMAIL, *REASON, "--dry-run",
                          GITHUB_RUN_ATTEMPT="2")

    assert first.operator_lines == again.operator_lines
    assert first.operator_lines != next_attempt.operator_lines


@pytest.mark.parametrize("environment", ["", "bad env!", "Staging", "-staging", "a" * 33])
@pytest.mark.parametrize("mode", [("run", "seed-admin", *EMAIL, *REASON, "--check"),
                                  ("run", "seed-admin", *EMAIL, *REASON, "--dry-run"),
                                  ("run", "seed-admin", *EMAIL, *REASON),
                                  ("stop", "--run-id", "4242-1")],
                         ids=["check", "dry-run", "run", "stop"])
def test_an_environment_name_the_stack_would_refuse_exits_2(
        launch: Launcher, world: World, mode: tuple[str, ...], environment: str) -> None:
    run = launch(*mode, f"--environment={environment}")

    message = (f"environment name {environment!r} is not valid: use 1-32 lower-case letters, "
               "digits and inner hyphens, starting with a letter (e.g. staging, prod)")
    assert (run.exit_code, run.stderr) == (2, f"admin-tasks: {message}\n")
    assert run.result == {"ok": False, "outcome": "invalid", "wasNew": False, "error": message}
    assert world.clients_made == []


@pytest.mark.parametrize(("argv", "message"), [
    (("stop", "--run-id", "bad id!", *STAGING),
     "--run-id 'bad id!' is not a run id: pass GITHUB_RUN_ID-GITHUB_RUN_ATTEMPT, or the "
     "local-… id a terminal run printed"),
    (("run", "seed-admin", *STAGING, *EMAIL, *REASON, "--approved-request=abc"),
     "--approved-request 'abc' is not a request digest: pass the check job's request output "
     "(64 hex digits, then a short digest of each part)"),
    (("run", "seed-admn", *STAGING, *EMAIL, *REASON),
     "unknown task 'seed-admn' (did you mean seed-admin?): the staging stack has "
     "cleanup-activity-logs, clearsessions, deactivate-superuser, deactivate-tenant, migrate, "
     "reactivate-admin, remove-admin, reset-superuser-password, seed-admin, seed-superuser, "
     "send-invite"),
    (("run", "seed-admin", *STAGING, "--email", "a@example.com", *REASON),
     "unrecognized arguments: --email and 1 value (not shown: a value may be a secret); a "
     "task's parameters are passed as "
     "--param NAME=VALUE (see `python -m tasks run --help`)"),
    (("run", "seed-admin", *STAGING, *EMAIL, *REASON, "--check", "--dry-run"),
     "argument --dry-run: not allowed with argument --check (see `python -m tasks run --help`)"),
], ids=["run id", "digest", "typo", "flag for a parameter", "two modes"])
def test_malformed_launcher_arguments_exit_2_saying_what_to_pass(
        launch: Launcher, world: World, argv: tuple[str, ...], message: str) -> None:
    run = launch(*argv)
    assert (run.exit_code, run.stderr) == (2, f"admin-tasks: {message}\n")
    assert world.clients_made == [] and world.tasks() == []


@pytest.mark.parametrize(("environ", "message"), [
    ({"GITHUB_TRIGGERING_ACTOR": "alice\nbob"},
     "the actor (GITHUB_TRIGGERING_ACTOR, else GITHUB_ACTOR, else your OS user name) must be "
     "at most 255 printable characters on one line"),
    ({"GITHUB_RUN_ID": "4242 1"},
     "GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT must be numbers (GitHub sets them; outside GitHub "
     "Actions leave them unset)"),
    ({"GITHUB_RUN_ATTEMPT": "x"},
     "GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT must be numbers (GitHub sets them; outside GitHub "
     "Actions leave them unset)"),
], ids=["actor", "run id", "attempt"])
def test_a_bad_runner_variable_is_named_as_the_operator_set_it(
        launch: Launcher, world: World, environ: dict[str, str], message: str) -> None:
    run = launch("run", "seed-admin", *STAGING, *EMAIL, *REASON, **environ)
    assert (run.exit_code, run.stderr) == (2, f"admin-tasks: {message}\n")
    assert world.clients_made == [] and world.tasks() == []
