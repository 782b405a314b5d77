"""The launcher's and the execution role's policies stay within IAM's quota on a role's
inline policies however many tasks a stack has, without the launcher running anything
beyond its own environment's task definitions.

IAM counts 10,240 characters for all of a role's inline policies together, white space not
counted ("IAM and AWS STS quotas"); a larger policy passes `pulumi preview` and fails at
`pulumi up`, so the program checks it first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

import pulumi
import pytest

from infra.components.launcher_permissions import within_quota
from infra.iam_documents import ROLE_POLICY_QUOTA, policy_characters
from infra.policy.guardrails import stack_violations, violations
from infra.policy.iam_rules import as_list, statements
from infra.policy.permission_rules import launcher_document_violations
from infra.policy.stack_rules import production_github_violations
from tests.infra.harness import Registered, StackRun, run_stack, stack_config
from tests.infra.misedits import ACCOUNT, CLUSTER, TASK_DEFINITIONS, run_task_statement

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
RESOURCE_TAG, REQUEST_TAG = ("aws:ResourceTag/admin-tasks:environment",
                             "aws:RequestTag/admin-tasks:environment")
APP_TASKS = 200


def _with_app_tasks(count: int) -> dict[str, Any]:
    """Staging's config with `count` application tasks: its own, then more like them."""
    config = stack_config("staging")
    tasks = dict(config["admin-tasks:appTasks"])
    for n in range(count - len(tasks)):
        tasks[f"monthly-report-{n:03d}"] = {
            "description": f"Send monthly report {n}",
            "command": ["python", "manage.py", "send_monthly_report", f"--report={n}"]}
    config["admin-tasks:appTasks"] = tasks
    return config


@pytest.fixture(scope="module")
def staging_run() -> StackRun:
    return run_stack(stack_config("staging"), "staging")


@pytest.fixture(scope="module")
def large_run() -> StackRun:
    return run_stack(_with_app_tasks(APP_TASKS), "staging")


def _policy(run: StackRun, action: str) -> Registered:
    (found,) = [r for r in run.of_type(ROLE_POLICY) if action in r.inputs["policy"]]
    return found


def _size(run: StackRun, action: str) -> int:
    return policy_characters(json.loads(_policy(run, action).inputs["policy"]))


def test_200_application_tasks_get_their_task_definitions(large_run: StackRun) -> None:
    families = {d.inputs["family"]: d.inputs["tags"] for d in large_run.of_type(TASK_DEFINITION)}
    app = {f"admin-tasks-staging-{name}" for name in _with_app_tasks(APP_TASKS)[
        "admin-tasks:appTasks"]}
    assert len(app) == APP_TASKS and app <= set(families), sorted(app - set(families))[:5]
    # What RunTask's tag condition reads: the task definition's own tag.
    assert {tags.get("admin-tasks:environment") for tags in families.values()} == {"staging"}


@pytest.mark.parametrize("action", ["ecs:RunTask", "secretsmanager:GetSecretValue"],
                         ids=["launcher", "execution"])
def test_both_policies_fit_iams_quota_with_200_tasks(large_run: StackRun, action: str) -> None:
    size = _size(large_run, action)
    assert size <= ROLE_POLICY_QUOTA, (_policy(large_run, action).urn, size)


@pytest.mark.parametrize("action", ["ecs:RunTask", "secretsmanager:GetSecretValue"],
                         ids=["launcher", "execution"])
def test_neither_policy_grows_with_the_number_of_tasks(staging_run: StackRun,
                                                       large_run: StackRun, action: str) -> None:
    """Staging (11 tasks) and staging with 200 application tasks: the same characters. The
    launcher names the environment's families by prefix; the execution role lists each
    secret and repository once, however many tasks use it."""
    assert _size(large_run, action) == _size(staging_run, action)


def test_the_stack_with_200_tasks_passes_the_policy_pack(large_run: StackRun) -> None:
    resources = [(r.type, r.inputs, r.urn) for r in large_run.resources]
    found = [(r.urn, guardrail.name, message) for r in large_run.resources
             for guardrail, message in violations(r.type, r.inputs)]
    found += [(finding.urn, guardrail.name, finding.message)
              for guardrail, finding in stack_violations(resources)]
    found += [(finding.urn, "production-github-environment", finding.message)
              for finding in production_github_violations(resources, 2)]
    assert found == []


def _allows(statement: dict[str, Any], arn: str, tags: dict[str, str],
            cluster: str = CLUSTER) -> bool:
    """Whether the RunTask statement lets the launcher's request (its tags, ECS Exec off)
    start `arn`, tagged `tags`, in `cluster`: IAM's `*` matches any characters (fnmatch's),
    each condition key must equal one of its values."""
    context = {"ecs:cluster": cluster, "ecs:enable-execute-command": "false",
               REQUEST_TAG: "staging", **{f"aws:ResourceTag/{k}": v for k, v in tags.items()}}
    assert set(statement["Condition"]) == {"ArnEquals", "StringEquals"}, statement
    return any(fnmatchcase(arn, str(pattern)) for pattern in as_list(statement["Resource"])) \
        and all(context.get(key) in as_list(values) for block in statement["Condition"].values()
                for key, values in block.items())


def test_the_run_task_statement_starts_only_this_environments_definitions() -> None:
    statement, staging = run_task_statement(), {"admin-tasks:environment": "staging"}
    own, eu = (f"{TASK_DEFINITIONS}admin-tasks-staging-{task}:3" for task in ("seed-admin",
                                                                               "eu-seed-admin"))
    assert _allows(statement, own, staging)
    # staging-eu's family has staging's prefix: its own tag is what keeps it out.
    assert fnmatchcase(eu, statement["Resource"])
    assert not _allows(statement, eu, {"admin-tasks:environment": "staging-eu"})
    assert not _allows(statement, own, {})
    assert not _allows(statement, f"{TASK_DEFINITIONS}admin-tasks-prod-seed-admin:3", staging)
    assert not _allows(statement, own, staging, CLUSTER.replace("app-staging", "app-prod"))


Edit = Callable[[dict[str, Any]], None]


def _resource(arn: str) -> Edit:
    return lambda statement: statement.__setitem__("Resource", arn)


def _tag(value: Any) -> Edit:
    return lambda statement: statement["Condition"]["StringEquals"].__setitem__(RESOURCE_TAG,
                                                                                value)


def _untag(statement: dict[str, Any]) -> None:
    statement["Condition"]["StringEquals"].pop(RESOURCE_TAG)


def _both(*edits: Edit) -> Edit:
    def edit_all(statement: dict[str, Any]) -> None:
        for edit in edits:
            edit(statement)
    return edit_all


def _string_like(statement: dict[str, Any]) -> None:
    _untag(statement)
    statement["Condition"]["StringLike"] = {RESOURCE_TAG: "staging*"}


ONLY_FAMILIES = "ecs:RunTask only on admin-tasks task-definition families"
NEEDS_TAG = f"ecs:RunTask needs StringEquals {RESOURCE_TAG}"
MISEDITS: dict[str, tuple[Edit, str]] = {
    "every environment's families": (_resource(f"{TASK_DEFINITIONS}admin-tasks-*:*"),
                                     ONLY_FAMILIES),
    "every task definition, task-definition/*": (_resource(f"{TASK_DEFINITIONS}*"),
                                                 ONLY_FAMILIES),
    "staging's prefix without its hyphen, untagged": (_both(_resource(
        f"{TASK_DEFINITIONS}admin-tasks-staging*:*"), _untag), ONLY_FAMILIES),
    "the prefix without the tag condition": (_untag, NEEDS_TAG),
    "the listed families without the tag condition": (_both(_resource(
        f"{TASK_DEFINITIONS}admin-tasks-staging-seed-admin:*"), _untag), NEEDS_TAG),
    "a tag condition naming another environment": (_tag("staging-eu"), NEEDS_TAG),
    "a tag condition naming two environments": (_tag(["staging", "staging-eu"]), NEEDS_TAG),
    "the tag condition as StringLike": (_string_like, NEEDS_TAG),
    "another environment's prefix, tagged as it": (_both(_resource(
        f"{TASK_DEFINITIONS}admin-tasks-staging-eu-*:*"), _tag("staging-eu")), "but runs"),
    "a ? in the family": (_resource(f"{TASK_DEFINITIONS}admin-tasks-staging-seed-?dmin:*"),
                          ONLY_FAMILIES),
    "another account's definitions": (_resource(TASK_DEFINITIONS.replace(
        ACCOUNT, "*") + "admin-tasks-staging-*:*"), ONLY_FAMILIES),
}


@pytest.mark.parametrize("case", sorted(MISEDITS))
def test_a_misedited_run_task_statement_is_refused(case: str) -> None:
    edit, expected = MISEDITS[case]
    statement = run_task_statement()
    edit(statement)
    found = launcher_document_violations({"Version": "2012-10-17", "Statement": [statement]})
    assert any(expected in message for message in found), (case, found)


@pytest.mark.parametrize("resource", [f"{TASK_DEFINITIONS}admin-tasks-staging-*:*", [
    f"{TASK_DEFINITIONS}admin-tasks-staging-seed-admin:*",
    f"{TASK_DEFINITIONS}admin-tasks-staging-migrate:4"]], ids=["prefix", "listed families"])
def test_the_well_scoped_run_task_forms_pass(resource: Any) -> None:
    statement = run_task_statement()
    statement["Resource"] = resource
    assert launcher_document_violations({"Statement": [statement]}) == []


def test_an_oversized_launcher_policy_is_refused_with_its_cause() -> None:
    families = [f"{TASK_DEFINITIONS}admin-tasks-staging-monthly-report-{n:03d}:*"
                for n in range(APP_TASKS)]
    document = {"Version": "2012-10-17", "Statement": [{**run_task_statement(),
                                                        "Resource": families}]}
    with pytest.raises(pulumi.RunError, match=r"launcher policy would make the inline policy "
                       r"of the launcher role [\d,]+ characters, over IAM's quota of 10,240"):
        within_quota(document)


def test_too_many_application_secrets_fail_the_preview_naming_the_key() -> None:
    """The execution policy grows with the secrets the tasks receive (not with the tasks):
    past the quota, the program stops before registering any AWS or GitHub resource."""
    config = _with_app_tasks(5)
    names = [f"PARTNER_{n:03d}_TOKEN" for n in range(120)]
    config["admin-tasks:appSecrets"] = {name: {"arn": (
        f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:partners/{name.lower()}-Ab12Cd")}
        for name in names}
    config["admin-tasks:appTasks"]["clearsessions"]["appSecrets"] = names
    registered: list[Registered] = []
    with pytest.raises(pulumi.RunError) as raised:
        run_stack(config, "staging", registered)
    message = str(raised.value)
    assert "config admin-tasks:appSecrets" in message and "execution role" in message, message
    assert "over IAM's quota of 10,240" in message and "Fix:" in message, message
    assert [r.type for r in registered if not r.type.startswith("admin-tasks:")] == []


def test_the_run_task_statement_as_the_program_writes_it(stack_run: StackRun) -> None:
    """What the launcher may start, as the program writes it (docs/DEPLOYING.md shows it)."""
    environment = stack_run.outputs["githubEnvironment"]
    (statement,) = [s for s in statements(json.loads(_policy(stack_run, "ecs:RunTask").inputs[
        "policy"])) if s.get("Action") == "ecs:RunTask"]
    cluster = statement["Condition"]["ArnEquals"]["ecs:cluster"]
    account_region = cluster.split(":")[3:5]
    assert statement["Resource"] == (f"arn:aws:ecs:{':'.join(account_region)}:task-definition/"
                                     f"admin-tasks-{environment}-*:*")
    assert statement["Condition"]["StringEquals"] == {
        RESOURCE_TAG: environment, "ecs:enable-execute-command": "false",
        REQUEST_TAG: environment}
