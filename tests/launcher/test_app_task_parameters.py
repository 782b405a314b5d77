"""Application tasks' parameters, validated from the launch settings alone (the launcher
has no code for them), passed as container overrides; anything invalid is exit 2 and no
RunTask. The staging stack declares one parameter of each type."""

from __future__ import annotations

import pytest

from tests.launcher.conftest import Launcher, World

STAGING = ("--environment", "staging", "--reason", "monthly maintenance")


def overrides(world: World) -> dict[str, str]:
    overrides = world.task().overrides["containerOverrides"]
    app = world.overrides_of(overrides[0]["name"])
    # The recorder gets the same inputs (it records them) and the result key besides.
    assert world.overrides_of() == app | {"ADMIN_TASK_RESULT_KEY": world.overrides_of()[
        "ADMIN_TASK_RESULT_KEY"]}
    return app


@pytest.mark.parametrize(("task", "params", "expected"), [
    ("cleanup-activity-logs", ["days=90"], {"ADMIN_TASK_PARAM_DAYS": "90"}),
    ("deactivate-tenant", ["schema=acme_eu"], {"ADMIN_TASK_PARAM_SCHEMA": "acme_eu"}),
    ("send-invite", ["email=New.Hire@Example.com", "dry_run=--dry-run"],
     {"ADMIN_TASK_PARAM_EMAIL": "new.hire@example.com", "ADMIN_TASK_PARAM_DRY_RUN": "--dry-run"}),
    ("send-invite", ["email=new.hire@example.com"], {"ADMIN_TASK_PARAM_EMAIL": "new.hire@example.com"}),
    ("clearsessions", [], {}),
], ids=["integer", "string", "email and choice", "optional left out", "none"])
def test_valid_values_reach_the_container_as_overrides(
        launch: Launcher, world: World, task: str, params: list[str],
        expected: dict[str, str]) -> None:
    launch.clock.at(1, lambda: world.stop(exit_code=0))

    run = launch("run", task, *STAGING, *(f"--param={p}" for p in params))

    assert run.exit_code == 0, run.stderr
    given = {k: v for k, v in overrides(world).items() if k.startswith("ADMIN_TASK_PARAM_")}
    assert given == expected
    assert world.task().task_definition_arn.endswith(f"task-definition/admin-tasks-staging-{task}:1")


def with_every_type(world: World) -> None:
    """send-invite as a task could declare it with one parameter of each type (the launch
    settings carry the rules: the launcher has no code for any task)."""
    task = world.settings["tasks"]["send-invite"]
    task["steps"] = [["python", "manage.py", "send_invite", "--email={email}", "{dry_run}",
                      "--days={days}", "--schema={schema}"]]
    task["parameters"] |= {
        "days": {"type": "integer", "description": "days", "required": True,
                 "env": "ADMIN_TASK_PARAM_DAYS", "min": 1, "max": 30},
        "schema": {"type": "string", "description": "schema", "required": True,
                   "env": "ADMIN_TASK_PARAM_SCHEMA", "pattern": "[a-z]+", "maxLength": 8}}


EVERY_TYPE = {"email": "Ops@Example.com", "dry_run": "--dry-run", "days": "7",
              "schema": "acme"}


def test_one_task_with_a_parameter_of_each_type_passes_each_value(
        launch: Launcher, world: World) -> None:
    with_every_type(world)
    launch.clock.at(1, lambda: world.stop(exit_code=0))

    run = launch("run", "send-invite", *STAGING, *(f"--param={k}={v}" for k, v in EVERY_TYPE.items()))

    assert run.exit_code == 0, run.stderr
    assert {k: v for k, v in overrides(world).items() if k.startswith("ADMIN_TASK_PARAM_")} == {
        "ADMIN_TASK_PARAM_EMAIL": "ops@example.com", "ADMIN_TASK_PARAM_DRY_RUN": "--dry-run",
        "ADMIN_TASK_PARAM_DAYS": "7", "ADMIN_TASK_PARAM_SCHEMA": "acme"}


@pytest.mark.parametrize(("name", "value", "rule"), [
    ("email", "ops@exa mple.com", "parameter email: email contains whitespace"),
    ("dry_run", "--force", "parameter dry_run must be one of --dry-run"),
    ("days", "31", "parameter days must be at most 30"),
    ("schema", "Acme", "parameter schema must match the pattern [a-z]+"),
])
def test_in_that_task_each_invalid_value_is_exit_2_and_no_run_task(
        launch: Launcher, world: World, name: str, value: str, rule: str) -> None:
    with_every_type(world)

    run = launch("run", "send-invite", *STAGING,
                 *(f"--param={k}={value if k == name else v}" for k, v in EVERY_TYPE.items()))

    assert run.exit_code == 2 and run.stderr.startswith(f"admin-tasks: {rule}")
    assert world.clients_made == [] and world.tasks() == []


INVALID = {
    "integer below min": ("cleanup-activity-logs", ["days=7"],
                          "parameter days must be at least 30 (how many days of activity logs "
                          "to keep)"),
    "integer above max": ("cleanup-activity-logs", ["days=99999"],
                          "parameter days must be at most 3650 (how many days of activity logs "
                          "to keep)"),
    "integer not a number": ("cleanup-activity-logs", ["days=90d"],
                             "parameter days must be a whole number written in ASCII digits, "
                             "e.g. 90 (how many days of activity logs to keep)"),
    "integer in other digits": ("cleanup-activity-logs", ["days=٩٠"],
                                "parameter days must be a whole number written in ASCII digits, "
                                "e.g. 90 (how many days of activity logs to keep)"),
    "integer with leading zero": ("cleanup-activity-logs", ["days=090"],
                                  "parameter days must be a whole number written in ASCII "
                                  "digits, e.g. 90 (how many days of activity logs to keep)"),
    "string pattern mismatch": ("deactivate-tenant", ["schema=acme; drop"],
                                "parameter schema must match the pattern [a-z][a-z0-9_]{0,62} "
                                "(the tenant's schema name)"),
    "string too long": ("deactivate-tenant", ["schema=" + "a" * 64],
                        "parameter schema is 64 characters long; at most 63 (the tenant's "
                        "schema name)"),
    "string with a newline": ("deactivate-tenant", ["schema=acme\nx"],
                              "parameter schema contains a control character or a line break "
                              "(the tenant's schema name)"),
    "email": ("send-invite", ["email=new hire@example.com"],
              "parameter email: email contains whitespace or a control character: pass the "
              "bare address, without spaces, quotes or newlines"),
    "wrong choice": ("send-invite", ["email=a@example.com", "dry_run=--force"],
                     "parameter dry_run must be one of --dry-run (add --dry-run to only print "
                     "the email)"),
    "missing": ("cleanup-activity-logs", [],
                "task cleanup-activity-logs needs --param days=… (how many days of activity "
                "logs to keep)"),
    "unknown": ("cleanup-activity-logs", ["days=90", "weeks=2"],
                "task cleanup-activity-logs has no parameter 'weeks' (its parameters: days)"),
    "repeated": ("cleanup-activity-logs", ["days=90", "days=91"],
                 "--param days is given twice: pass each parameter once"),
}


@pytest.mark.parametrize(("task", "params", "message"), INVALID.values(), ids=INVALID.keys())
def test_an_invalid_value_is_exit_2_naming_the_parameter_and_the_rule(
        launch: Launcher, world: World, task: str, params: list[str], message: str) -> None:
    run = launch("run", task, *STAGING, *(f"--param={p}" for p in params))

    assert (run.exit_code, run.stderr) == (2, f"admin-tasks: {message}\n")
    assert world.clients_made == [] and world.tasks() == []


@pytest.mark.parametrize(("query", "expected"), [
    ("days=90", {"ADMIN_TASK_PARAM_DAYS": "90"}),
    ("email=a%2Bb%40example.com&dry_run=--dry-run",
     {"ADMIN_TASK_PARAM_EMAIL": "a+b@example.com", "ADMIN_TASK_PARAM_DRY_RUN": "--dry-run"}),
    ("email=a+b@example.com", {"ADMIN_TASK_PARAM_EMAIL": "a+b@example.com"}),
])
def test_the_workflows_params_input_is_name_value_pairs_joined_by_ampersands(
        launch: Launcher, world: World, query: str, expected: dict[str, str]) -> None:
    task = "cleanup-activity-logs" if query.startswith("days") else "send-invite"
    launch.clock.at(1, lambda: world.stop(exit_code=0))

    run = launch("run", task, *STAGING, f"--params={query}")

    assert run.exit_code == 0, run.stderr
    assert {k: v for k, v in overrides(world).items() if k.startswith("ADMIN_TASK_PARAM_")} \
        == expected


@pytest.mark.parametrize(("query", "message"), [
    ("days", "the params input has 'days', not name=value: separate pairs with & and write a "
             "literal & as %26, e.g. days=90&schema=acme"),
    ("days=90&", "the params input has '', not name=value: separate pairs with & and write a "
                 "literal & as %26, e.g. days=90&schema=acme"),
    ("days=9%0", "the params input has a % that starts no escape: write a literal % as %25 "
                 "(and & as %26)"),
    ("days=%ff", "the params input has %-escapes that are not UTF-8"),
    ("days=90&days=91", "--param days is given twice: pass each parameter once"),
])
def test_a_malformed_params_input_is_exit_2(launch: Launcher, world: World, query: str,
                                            message: str) -> None:
    run = launch("run", "cleanup-activity-logs", *STAGING, f"--params={query}")

    assert (run.exit_code, run.stderr) == (2, f"admin-tasks: {message}\n")
    assert world.tasks() == []


def test_a_preview_is_passed_to_a_built_in_task_and_refused_for_a_task_without_preview_steps(
        launch: Launcher, world: World) -> None:
    refused = launch("run", "clearsessions", *STAGING, "--preview")
    launch.clock.at(1, lambda: world.stop(exit_code=0))
    previewed = launch("run", "seed-admin", *STAGING, "--param=email=a@example.com", "--preview")

    assert (refused.exit_code, refused.stderr) == (
        2, "admin-tasks: task clearsessions declares no previewSteps, so it has no preview: "
           "run it without --preview, or declare previewSteps for it\n")
    assert previewed.exit_code == 0
    assert overrides(world)["ADMIN_TASK_PREVIEW"] == "true"
    assert previewed.result["preview"] is True
