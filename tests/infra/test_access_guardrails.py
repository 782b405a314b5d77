"""Who may launch, pass a role or read the secrets, checked by the pack's rule functions on
both stacks' own resources plus one hand edit: the secrets' readers (by name and account),
users and groups, the task role, and the set of launcher-like actions.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.policy.execution_rules import inline_policy_violations, task_role_violations
from infra.policy.guardrails import violations
from infra.policy.secret_rules import secret_reader_violations
from infra.policy.stack_rules import StackResource, other_launcher_violations
from infra.policy.user_group_rules import (
    user_group_attachment_violations,
    user_group_policy_violations,
)
from tests.infra.breaking import ROLE, ROLE_POLICY, TASK_DEFINITION
from tests.infra.harness import StackRun
from tests.infra.misedits import document, urn

SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
READ = "secretsmanager:GetSecretValue"
# Spelled out, not read from LAUNCHER_LIKE: dropping an action from the rule fails its case.
LAUNCHER_LIKE_ACTIONS = [
    "ecs:RunTask", "ecs:TagResource", "iam:PassRole", "ecs:DescribeTasks", "ecs:StopTask",
    "ecs:ListTasks", "logs:GetLogEvents", "ecs:StartTask", "ecs:ExecuteCommand",
    "ecs:CreateService", "ecs:UpdateService", "ecs:CreateTaskSet",
    "ecs:RegisterTaskDefinition", "sts:AssumeRole"]


def _stack(run: StackRun) -> list[StackResource]:
    return [(r.type, json.loads(json.dumps(r.inputs)), r.urn) for r in run.resources]


def _execution_arn(run: StackRun) -> str:
    arn: str = run.of_type(TASK_DEFINITION)[0].inputs["executionRoleArn"]
    return arn


def _sharing(principal: str) -> StackResource:
    return (SECRET_POLICY, {"secretArn": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:x",
                            "policy": document({"Effect": "Allow", "Principal": {"AWS": principal},
                                                "Action": READ, "Resource": "*"})}, "urn:share")


def _role(resources: list[StackResource], suffix: str) -> dict[str, Any]:
    return next(props for type_, props, _ in resources
                if type_ == ROLE and str(props["name"]).endswith(suffix))


def test_the_stacks_own_execution_role_may_be_a_secrets_reader(stack_run: StackRun) -> None:
    resources = [*_stack(stack_run), _sharing(_execution_arn(stack_run))]
    assert secret_reader_violations(resources) == []


@pytest.mark.parametrize("edit", ["no SourceAccount", "a second execution role",
                                  "trust and reader in another account"])
def test_unless_the_pack_can_tell_the_execution_role_no_one_may_read(
        stack_run: StackRun, edit: str) -> None:
    """Strict, not lenient: the right ARN is refused when the reader cannot be established."""
    resources = [*_stack(stack_run), _sharing(_execution_arn(stack_run))]
    execution = _role(resources, "-execution")
    if edit == "no SourceAccount":
        execution["assumeRolePolicy"] = execution["assumeRolePolicy"].replace(
            "aws:SourceAccount", "aws:SourceOwner")
    elif edit == "trust and reader in another account":
        # Consistent with each other, but not the account of the launcher's cluster.
        execution["assumeRolePolicy"] = re.sub(r"\d{12}", "999999999999",
                                               execution["assumeRolePolicy"])
        resources[-1] = _sharing(re.sub(r"::\d{12}:", "::999999999999:",
                                        _execution_arn(stack_run)))
    else:
        resources.append((ROLE, {**execution, "name": "admin-tasks-sandbox-execution"}, "urn:r"))
    found = secret_reader_violations(resources)
    assert [(f.urn, "the pack cannot tell which" in f.message) for f in found] == [
        ("urn:share", True)], found


def test_a_secrets_inline_policy_for_another_account_is_reported(stack_run: StackRun) -> None:
    secret = next(r for r in stack_run.resources if r.type == "aws:secretsmanager/secret:Secret")
    other = re.sub(r"::\d{12}:", "::999999999999:", _execution_arn(stack_run))
    shared = {**secret.inputs, "policy": _sharing(other)[1]["policy"]}
    found = secret_reader_violations([*_stack(stack_run), (secret.type, shared, secret.urn)])
    assert [f.urn for f in found] == [secret.urn], found


@pytest.mark.parametrize("action", LAUNCHER_LIKE_ACTIONS)
def test_every_launcher_like_action_is_the_launchers_alone(stack_run: StackRun,
                                                            action: str) -> None:
    statement = {"Effect": "Allow", "Action": action, "Resource": "*"}
    policy = (ROLE_POLICY, {"role": "ops", "policy": document(statement)}, "urn:ops-policy")
    found = other_launcher_violations([*_stack(stack_run), policy])
    assert [(f.urn, f"may ['{action}']" in f.message) for f in found] == [
        ("urn:ops-policy", True)], found
    group = user_group_policy_violations("aws:iam/groupPolicy:GroupPolicy",
                                         {"group": "oncall", "policy": document(statement)})
    assert any(f"group oncall may ['{action}']" in message for message in group), group


@pytest.mark.parametrize(("type_", "props", "expected"), [
    ("aws:iam/userPolicy:UserPolicy", {"user": "bob", "policy": document(
        {"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"})},
     f"user bob may ['{READ}']"),
    ("aws:iam/groupPolicy:GroupPolicy", {"group": "ops", "policy": document(
        {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"})}, "'ecs:RunTask'"),
], ids=["user secretsmanager:*", "group NotAction"])
def test_users_and_groups_may_neither_launch_nor_read_secrets(
        type_: str, props: dict[str, Any], expected: str) -> None:
    assert any(expected in message for _, message in violations(type_, props))


def test_a_harmless_user_policy_passes() -> None:
    harmless = {"user": "bob", "policy": document(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k"})}
    assert violations("aws:iam/userPolicy:UserPolicy", harmless) == []


ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"


@pytest.mark.parametrize(("policy", "expected"), [
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k"}, None),
    ({"Effect": "Allow", "Action": "ECS:RunTask", "Resource": "*"}, "may ['ecs:RunTask']"),
], ids=["harmless", "launches"])
def test_a_declared_policy_attached_to_users_and_groups_is_read(
        stack_run: StackRun, policy: dict[str, Any], expected: str | None) -> None:
    declared = ("aws:iam/policy:Policy", {"name": "ops", "policy": document(policy)}, "urn:p")
    attachment = (ATTACHMENT, {"users": ["bob"], "groups": ["ops"],
                               "policyArn": "arn:aws:iam::111111111111:policy/ops"}, "urn:a")
    found = user_group_attachment_violations([*_stack(stack_run), declared, attachment])
    assert [f.urn for f in found] == ([] if expected is None else ["urn:a"]), found
    assert all(expected in f.message and "users ['bob'] and groups ['ops']" in f.message
               for f in found), found


def test_an_undeclared_policy_on_a_user_is_reported(stack_run: StackRun) -> None:
    attachment = (ATTACHMENT, {"users": ["bob"], "policyArn":
                               "arn:aws:iam::aws:policy/SecretsManagerReadWrite"}, "urn:a")
    found = user_group_attachment_violations([*_stack(stack_run), attachment])
    assert [(f.urn, "does not declare" in f.message) for f in found] == [("urn:a", True)]


@pytest.mark.parametrize("grant", ["inline", "managed", "attachment"])
def test_the_task_role_gets_no_permission_at_all(stack_run: StackRun, grant: str) -> None:
    resources = _stack(stack_run)
    task_role = _role(resources, "-task")
    narrow = document({"Effect": "Allow", "Action": "s3:GetObject",
                       "Resource": "arn:aws:s3:::billing-exports/latest.csv"})
    if grant == "inline":  # narrow: the per-resource inline rule alone accepts it
        task_role["inlinePolicies"] = [{"name": "exports", "policy": narrow}]
        assert inline_policy_violations(ROLE, task_role) == []
    elif grant == "managed":
        task_role["managedPolicyArns"] = ["arn:aws:iam::111111111111:policy/exports"]
    else:
        resources.append((ATTACHMENT, {"roles": ["someone", task_role["name"]],
                                       "policyArn": "arn:aws:iam::111111111111:policy/x"},
                          urn(ATTACHMENT, "x")))
    found = task_role_violations(resources)
    assert len(found) == 1 and f"the task role {task_role['name']} has" in found[0].message, found


def test_the_ecs_roles_are_known_by_their_names_too(stack_run: StackRun) -> None:
    """Not only as the task definitions name them: a policy on the task role is refused, and
    the execution role still reads its secrets, when no definition refers to them."""
    resources = [(type_, {k: v for k, v in props.items()
                          if k not in ("taskRoleArn", "executionRoleArn")}, urn_)
                 for type_, props, urn_ in _stack(stack_run)]
    name = _role(resources, "-task")["name"]
    found = task_role_violations([*resources, (ROLE_POLICY, {"role": name, "policy": "{}"},
                                               "urn:extra")])
    assert [f.urn for f in found] == ["urn:extra"], found
