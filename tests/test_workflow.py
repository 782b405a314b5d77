"""The "Admin task" workflow: guardrail 9, the catalog's names, the stack's variables,
and the launcher step's shell — every rule a reviewer would otherwise check by eye."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.render_settings import stack_file_config
from tasks.cli import build_parser
from tasks.contract.catalog import MAX_TIMEOUT_SECONDS, task_names
from tasks.contract.settings import MAX_REQUIRED_APPROVALS, approval_environments
from tests.conftest import PROJECT_ROOT, run_module_without

WORKFLOW_PATH = PROJECT_ROOT / ".github" / "workflows" / "admin-task.yml"
WORKFLOW_TEXT = WORKFLOW_PATH.read_text(encoding="utf-8")
WORKFLOW: dict[Any, Any] = yaml.safe_load(WORKFLOW_TEXT)
JOB: dict[str, Any] = WORKFLOW["jobs"]["admin-task"]
CHECK_JOB: dict[str, Any] = WORKFLOW["jobs"]["check"]
INPUTS: dict[str, Any] = WORKFLOW[True]["workflow_dispatch"]["inputs"]  # YAML 1.1: on → True


def step(name_start: str, job: dict[str, Any] = JOB) -> dict[str, Any]:
    (found,) = [s for s in job["steps"] if s.get("name", "").startswith(name_start)]
    return found


def declared_app_tasks() -> list[str]:
    """Every application task of every stack file, sorted."""
    names = set()
    for path in PROJECT_ROOT.glob("Pulumi.*.yaml"):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        names |= set(stack_file_config(stack).get("admin-tasks:appTasks", {}))
    return sorted(names)


def test_the_task_choice_list_is_every_built_in_then_every_declared_app_task() -> None:
    assert INPUTS["task"]["type"] == "choice"
    assert INPUTS["task"]["options"] == [*task_names(), *declared_app_tasks()]


def test_the_inputs() -> None:
    assert {name: (spec["type"], spec.get("required", False)) for name, spec in INPUTS.items()} == {
        "environment": ("environment", True), "task": ("choice", True),
        "email": ("string", False), "params": ("string", False), "reason": ("string", True),
        "preview": ("boolean", False), "tenants": ("string", False),
        "parallel": ("string", False), "canary": ("string", False),
        "on_failure": ("choice", False)}
    assert INPUTS["preview"]["default"] is False
    assert len(INPUTS) <= 10  # GitHub's limit for workflow_dispatch
    assert INPUTS["on_failure"]["options"] == ["stop", "continue"]


def test_the_run_name_shows_task_environment_and_who_asked() -> None:
    assert WORKFLOW["run-name"] == ("${{ inputs.task }} on ${{ inputs.environment }} by "
                                    "${{ github.triggering_actor }}")


def stack_variables() -> set[str]:
    """The GitHub environment variables infra/stack.py sets (the ``variables={…}`` keys)."""
    tree = ast.parse((PROJECT_ROOT / "infra" / "stack.py").read_text(encoding="utf-8"))
    found = [node.value for node in ast.walk(tree)
             if isinstance(node, ast.keyword) and node.arg == "variables"]
    assert len(found) == 1 and isinstance(found[0], ast.Dict), "stack.py sets variables= once"
    return {key.value for key in found[0].keys if isinstance(key, ast.Constant)}


def test_the_vars_the_workflow_reads_are_exactly_the_ones_the_stack_sets() -> None:
    read = set(re.findall(r"\bvars\.([A-Za-z0-9_]+)", WORKFLOW_TEXT))
    assert read == {"ADMIN_TASKS_SETTINGS", "ADMIN_TASKS_ROLE_ARN", "AWS_REGION"}
    assert read == stack_variables()


def test_permissions_are_empty_at_the_top_and_minimal_for_the_job() -> None:
    assert WORKFLOW["permissions"] == {}
    assert JOB["permissions"] == {"id-token": "write", "contents": "read", "actions": "read"}


def test_only_a_manual_dispatch_starts_it() -> None:
    """The trust policy names this file on main: a workflow_call trigger would let another
    workflow of the repository run it (with that caller's inputs) and still match;
    push, pull_request_target or schedule would run it without anyone asking."""
    assert list(WORKFLOW[True]) == ["workflow_dispatch"]


def test_the_job_waits_for_the_environment_runs_only_on_main_and_one_at_a_time() -> None:
    assert JOB["environment"] == "${{ inputs.environment }}"
    assert JOB["if"].startswith("!cancelled() && github.ref == 'refs/heads/main' && "
                                "needs.check.result == 'success'")
    assert JOB["concurrency"] == {"group": "admin-task-${{ inputs.environment }}",
                                  "cancel-in-progress": False}
    longest_task_minutes = MAX_TIMEOUT_SECONDS / 60
    assert longest_task_minutes < JOB["timeout-minutes"] <= 60  # the role session: one hour


def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment() -> None:
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", WORKFLOW_TEXT, flags=re.MULTILINE)
    assert len(uses) == 5
    assert len(set(uses)) == 3  # the check job reuses the gated job's pins
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", comment), (action, comment)


# Each pinned commit and the runtime its action.yml names at that commit (`runs.using`),
# read from the action's repository when the pin was chosen: GitHub retires Node 20.
RUNTIMES = {
    "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1": ("v7.0.1", "node24"),
    "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97": ("v7.0.0", "node24"),
    "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c": (
        "v6.2.3", "node24"),
}


def test_every_action_runs_on_node_24_at_the_commit_it_is_pinned_to() -> None:
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)\s+# (v\S+)$", WORKFLOW_TEXT, flags=re.MULTILINE)
    assert {action for action, _ in uses} == set(RUNTIMES), "record a new pin's runtime here"
    for action, version in uses:
        assert RUNTIMES[action] == (version, "node24"), action


def test_inputs_reach_scripts_only_through_env() -> None:
    for each in [*JOB["steps"], *CHECK_JOB["steps"]]:
        assert "${{" not in each.get("run", ""), each["name"]
    for launcher_env in (step("Run the task")["env"], step("Check the request", CHECK_JOB)["env"]):
        assert {name: launcher_env[variable] for variable, name in [
            ("TASK", "task"), ("TARGET_ENVIRONMENT", "environment"), ("EMAIL", "email"),
            ("PARAMS", "params"), ("REASON", "reason"), ("PREVIEW", "preview"),
            ("TENANTS", "tenants"), ("PARALLEL", "parallel"), ("CANARY", "canary"),
            ("ON_FAILURE", "on_failure")]} == {
            name: f"${{{{ inputs.{name} }}}}" for name in INPUTS}
    run_env = step("Run the task")["env"]
    assert run_env["ADMIN_TASKS_SETTINGS"] == "${{ vars.ADMIN_TASKS_SETTINGS }}"
    assert run_env["GITHUB_TOKEN"] == "${{ github.token }}"
    assert run_env["APPROVED_REQUEST"] == "${{ needs.check.outputs.request }}"


def test_the_request_is_checked_and_shown_before_a_reviewer_is_asked_without_aws() -> None:
    assert JOB["needs"][0] == "check"
    assert "environment" not in CHECK_JOB
    assert CHECK_JOB["permissions"] == {"contents": "read", "actions": "read"}
    assert CHECK_JOB["if"] == "github.ref == 'refs/heads/main'"
    assert CHECK_JOB["outputs"] == {"request": "${{ steps.check.outputs.request }}",
                                    "approvals": "${{ steps.check.outputs.approvals }}"}
    assert step("Check the request", CHECK_JOB)["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    assert "vars." not in yaml.safe_dump(CHECK_JOB)
    assert step("Render", CHECK_JOB)["run"].startswith(
        'python -m infra.render_settings --environment "$TARGET_ENVIRONMENT" > ')
    check, launch = step("Check the request", CHECK_JOB)["run"], step("Run the task")["run"]
    assert check.strip().endswith(' --settings="$RUNNER_TEMP/settings.json" --check')
    assert launch.strip().endswith(' --approved-request="$APPROVED_REQUEST"')
    # Both jobs pass the operator's inputs identically: what was checked is what runs.
    assert check.strip().removesuffix(' --settings="$RUNNER_TEMP/settings.json" --check') == \
        launch.strip().removesuffix(' --approved-request="$APPROVED_REQUEST"')
    assert [s.get("uses") for s in CHECK_JOB["steps"][:2]] == [s.get("uses") for s in JOB["steps"][:2]]
    assert step("Install", CHECK_JOB)["run"] == step("Install")["run"]


def test_checkout_does_not_keep_the_token_and_credentials_come_from_oidc() -> None:
    assert step("Check out")["with"] == {"persist-credentials": False}
    aws = step("Assume")
    assert aws["uses"].startswith("aws-actions/configure-aws-credentials@")
    assert aws["with"]["role-to-assume"] == "${{ vars.ADMIN_TASKS_ROLE_ARN }}"
    assert aws["with"]["aws-region"] == "${{ vars.AWS_REGION }}"
    assert "secrets." not in WORKFLOW_TEXT


def test_the_install_uses_only_hash_pinned_requirements_that_cover_the_package() -> None:
    install = step("Install")["run"]
    assert "--require-hashes --no-deps -r requirements/launcher.txt" in install
    assert "pip install --no-deps --no-build-isolation ." in install
    pinned = {m.lower().replace("_", "-") for m in re.findall(
        r"^([A-Za-z0-9_.-]+)==\S+ \\$", (PROJECT_ROOT / "requirements" / "launcher.txt")
        .read_text(encoding="utf-8"), flags=re.MULTILINE)}
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = [*project["project"]["dependencies"],
              *project["project"]["optional-dependencies"]["launcher"],
              *project["build-system"]["requires"], "psycopg-binary"]
    names = {re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0].lower() for spec in wanted}
    assert names <= pinned, names - pinned


def test_a_cancelled_run_stops_its_tasks() -> None:
    backstop = step("Stop the task")
    assert backstop["if"].startswith("cancelled()")
    assert backstop["run"].startswith(
        'python -m tasks stop --run-id "$GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT"')


def run_launcher_step(tmp_path: Path, name: str = "Run the task", job: dict[str, Any] = JOB,
                      **env: str) -> list[str]:
    """Run a launcher step's script with a `python` that prints its arguments."""
    shim = tmp_path / "python"
    shim.write_text('#!/bin/sh\nfor arg in "$@"; do printf "%s\\n" "$arg"; done\n')
    shim.chmod(0o755)
    completed = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step(name, job)["run"]],
        env={"PATH": f"{tmp_path}:{os.environ['PATH']}", **env}, capture_output=True,
        text=True, check=True)
    return completed.stdout.splitlines()


def test_the_launcher_step_passes_hostile_input_as_single_arguments(tmp_path: Path) -> None:
    reason = 'fix "prod"; $(rm -rf /) `id` $HOME'
    params = "schema=a b&note=$(id)%26x"
    argv = run_launcher_step(tmp_path, TASK="seed-admin", TARGET_ENVIRONMENT="prod",
                             EMAIL="a@example.com", PARAMS=params, REASON=reason,
                             PREVIEW="true", APPROVED_REQUEST="abc")

    assert argv == ["-m", "tasks", "run", "seed-admin", "--environment=prod",
                    "--param=email=a@example.com", "--preview", f"--params={params}",
                    f"--reason={reason}", "--approved-request=abc"]


@pytest.mark.parametrize("name, job", [("Run the task", JOB), ("Check the request", CHECK_JOB)])
def test_a_reason_or_email_starting_with_a_dash_is_a_value_not_a_flag(
        tmp_path: Path, name: str, job: dict[str, Any]) -> None:
    argv = run_launcher_step(tmp_path, name, job, TASK="seed-admin", TARGET_ENVIRONMENT="staging",
                             EMAIL="--help", PARAMS="--check", REASON="--dry-run; -h",
                             PREVIEW="false", RUNNER_TEMP="/tmp", APPROVED_REQUEST="")

    args = build_parser().parse_args(argv[2:])
    assert (args.reason, args.param, args.params, args.dry_run, args.preview) == (
        "--dry-run; -h", ["email=--help"], "--check", False, False)
    assert args.check is (name == "Check the request")


def test_the_launcher_replaces_the_shell_so_the_cancel_signal_reaches_it() -> None:
    assert step("Run the task")["run"].strip().splitlines()[-1].startswith(
        'exec python -m tasks run "$TASK"')


def test_the_launcher_step_leaves_out_an_empty_email(tmp_path: Path) -> None:
    argv = run_launcher_step(tmp_path, TASK="migrate", TARGET_ENVIRONMENT="staging", EMAIL="",
                             PARAMS="", REASON="release 42", PREVIEW="false",
                             APPROVED_REQUEST="abc")

    assert argv == ["-m", "tasks", "run", "migrate", "--environment=staging", "--params=",
                    "--reason=release 42", "--approved-request=abc"]


def test_the_check_jobs_settings_render_with_only_the_launchers_requirements(
        tmp_path: Path) -> None:
    """No Pulumi in the workflow's install: rendering must not import it."""
    completed = run_module_without(("pulumi", "pulumi_aws", "pulumi_github"),
                                   "infra.render_settings", "--environment", "prod")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["environment"] == "prod"


def test_zizmor_offline_reports_nothing() -> None:
    zizmor = shutil.which("zizmor", path=str(PROJECT_ROOT / ".venv" / "bin")) or "zizmor"
    completed = subprocess.run([zizmor, "--offline", "--persona=auditor", str(WORKFLOW_PATH)],
                               capture_output=True, text=True, check=False)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "No findings to report" in completed.stdout


def test_checkov_github_actions_passes() -> None:
    checkov = (shutil.which("checkov", path=str(PROJECT_ROOT / ".venv" / "checkov" / "bin"))
               or shutil.which("checkov"))
    if checkov is None:
        message = "checkov is not installed: `make lint` installs it into .venv/checkov"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    completed = subprocess.run(
        [checkov, "-d", str(WORKFLOW_PATH.parent), "--framework", "github_actions", "--compact",
         "--quiet"], env={**os.environ, "BC_SKIP_MAPPING": "TRUE"}, capture_output=True,
        text=True, check=False)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Failed checks: 0" in completed.stdout


def test_each_further_approval_is_one_more_environment_gating_one_job_in_a_chain() -> None:
    """GitHub lets one reviewer approve an environment: requiredApprovals N needs N
    environments, each holding one job, before the gated job (which counts the people)."""
    names = approval_environments("${{ inputs.environment }}", MAX_REQUIRED_APPROVALS)
    assert names[0] == JOB["environment"]
    previous = "check"
    for number, environment in enumerate(names[1:], start=2):
        job = WORKFLOW["jobs"][f"approval-{number}"]
        assert job["environment"] == environment
        assert job["needs"] == (previous if previous == "check" else ["check", previous])
        assert job["if"] == ("github.ref == 'refs/heads/main' && "
                             f"fromJSON(needs.check.outputs.approvals) >= {number}")
        assert job["permissions"] == {} and [s.get("uses") for s in job["steps"]] == [None]
        assert "${{" not in yaml.safe_dump(job["steps"])  # no input, secret or variable
        previous = f"approval-{number}"
    assert JOB["needs"] == ["check", *(f"approval-{n}" for n in range(2, len(names) + 1))]
    assert "!contains(needs.*.result, 'failure')" in JOB["if"]
    assert "!contains(needs.*.result, 'cancelled')" in JOB["if"]


@pytest.mark.parametrize("name, job", [("Run the task", JOB), ("Check the request", CHECK_JOB)])
@pytest.mark.parametrize(("inputs", "flags"), [
    ({"TENANTS": "acme,globex", "PARALLEL": "4", "CANARY": "2", "ON_FAILURE": "continue"},
     {"tenants": "acme,globex", "parallel": 4, "canary": 2, "on_failure": "continue",
      "resume": None}),
    ({"TENANTS": "resume:staging/migrate/4242-1", "ON_FAILURE": "stop"},
     {"tenants": None, "parallel": None, "canary": None, "on_failure": None,
      "resume": "staging/migrate/4242-1"}),
    ({"TENANTS": "", "PARALLEL": "", "CANARY": "", "ON_FAILURE": "stop"},
     {"tenants": None, "parallel": None, "canary": None, "on_failure": None, "resume": None}),
])
def test_the_tenant_inputs_become_the_launchers_flags_in_both_jobs(
        tmp_path: Path, name: str, job: dict[str, Any], inputs: dict[str, str],
        flags: dict[str, Any]) -> None:
    """Both jobs pass the same controls (the digest binds them); an empty input passes no
    flag, so a task without tenantSteps is not refused for the form's defaults."""
    argv = run_launcher_step(tmp_path, name, job, TASK="migrate", TARGET_ENVIRONMENT="staging",
                             EMAIL="", PARAMS="", REASON="release", PREVIEW="false",
                             RUNNER_TEMP="/tmp", APPROVED_REQUEST="abc", **inputs)

    args = build_parser().parse_args(argv[2:])
    assert {flag: getattr(args, flag) for flag in flags} == flags
