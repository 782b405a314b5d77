"""Realistic mis-edits the policy pack must stop: other roles that can launch or assume,
wildcard PassRole, inline policies, secret resource policies, GitHub secrets, root users.

Checked through the pack's rule functions on resources derived from the program's own,
and (tests/infra/misedits.py) through the real program under mocks with the mis-edit
registered next to the stack, where each violation must name the added resource's URN.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from infra.policy.guardrails import stack_violations, violations
from infra.policy.stack_rules import (
    StackResource,
    other_launcher_violations,
    production_github_violations,
)
from tests.infra.access_misedits import ACCESS_MISEDITS
from tests.infra.breaking import (
    ROLE,
    ROLE_POLICY,
    TASK_DEFINITION,
    Cases,
    assert_reported,
    edit_containers,
    edit_policy,
    policy_with,
    set_path,
)
from tests.infra.harness import Registered, StackRun, run_stack, stack_config
from tests.infra.misedits import (
    ACCOUNT,
    DATABASE_SECRET,
    ECS_TRUST,
    MISEDITS,
    document,
    everyone_but,
    github_secret,
    inline,
    role,
    run_task_statement,
    secret_policy,
    trusting,
)

ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def pack_findings(run: StackRun) -> dict[str, list[str]]:
    """Everything the whole pack reports, by URN: resource and stack-wide policies."""
    found: dict[str, list[str]] = defaultdict(list)
    for resource in run.resources:
        for guardrail, message in violations(resource.type, resource.inputs):
            found[resource.urn].append(f"{guardrail.name}: {message}")
    stack: list[StackResource] = [(r.type, r.inputs, r.urn) for r in run.resources]
    for stack_guardrail, finding in stack_violations(stack):
        found[finding.urn].append(f"{stack_guardrail.name}: {finding.message}")
    for finding in production_github_violations(stack, 2):
        found[finding.urn].append(finding.message)
    return found


ALL_MISEDITS = MISEDITS | ACCESS_MISEDITS


@pytest.mark.parametrize("case", sorted(ALL_MISEDITS))
def test_a_misedit_registered_with_the_stack_is_reported_against_it(case: str) -> None:
    misedit = ALL_MISEDITS[case]
    run = run_stack(stack_config("staging"), "staging", extra=misedit.register)
    found = pack_findings(run)
    added = {r.name: r.urn for r in run.resources if r.name in misedit.expected}
    assert set(added) == set(misedit.expected), f"{case}: registered {sorted(added)}"
    for name, fragment in misedit.expected.items():
        messages = found.get(added[name], [])
        assert any(fragment in message for message in messages), f"{added[name]}: {messages}"
    # Nothing of the stack's own is blamed for the edit.
    assert set(found) <= set(added.values()), {urn: found[urn] for urn in found}


def _ecs_role(run: StackRun, suffix: str) -> Registered:
    return next(r for r in run.of_type(ROLE) if r.inputs["name"].endswith(suffix))


def _task_role(run: StackRun) -> Registered:
    return _ecs_role(run, "-task")


def _user(user: str) -> Callable[[StackRun], Registered]:
    return lambda run: edit_containers(run.of_type(TASK_DEFINITION)[0], set_path(("user",), user))


def _pass(resource: str) -> Callable[[StackRun], Registered]:
    """The launcher policy passing `resource` instead of its two named roles."""
    def edit(policy: dict[str, Any]) -> None:
        passing = next(s for s in policy["Statement"] if s["Action"] == "iam:PassRole")
        passing["Resource"] = resource
    return lambda run: edit_policy(policy_with(run, "ecs:RunTask"), "policy", edit)


EXECUTION = f"arn:aws:iam::{ACCOUNT}:role/admin-tasks-staging-execution"
TRUST_AND_LAUNCH: Cases = {
    "role trusting the account root": (1, f"lets AWS ['{ROOT}']", lambda run: role(
        "ops", trusting({"AWS": ROOT}))),
    "role trusting anyone": (1, "lets AWS ['*']", lambda run: role("ops", trusting(
        {"AWS": "*"}))),
    "task role also trusting Lambda": (1, "lambda.amazonaws.com", lambda run: edit_policy(
        _task_role(run), "assumeRolePolicy", lambda d: d["Statement"][0]["Principal"]
        .__setitem__("Service", ["ecs-tasks.amazonaws.com", "lambda.amazonaws.com"]))),
    "execution role trusting ECS tasks of any account": (1, "confused deputy", lambda run: (
        edit_policy(_ecs_role(run, "-execution"), "assumeRolePolicy",
                    lambda d: d["Statement"][0].pop("Condition")))),
    "task role trusting ECS tasks of two accounts": (1, "confused deputy", lambda run: (
        edit_policy(_ecs_role(run, "-task"), "assumeRolePolicy", set_path((
            "Statement", 0, "Condition", "StringEquals", "aws:SourceAccount"), [
                ACCOUNT, "999999999999"])))),
    "task role trusting ECS tasks of accounts like *": (1, "confused deputy", lambda run: (
        edit_policy(_ecs_role(run, "-task"), "assumeRolePolicy", set_path((
            "Statement", 0, "Condition"), {"StringLike": {"aws:SourceAccount": "*"}})))),
    "PassRole on every role": (3, "no * or ?", _pass(f"arn:aws:iam::{ACCOUNT}:role/*")),
    "PassRole on admin-*": (3, "no * or ?", _pass(f"arn:aws:iam::{ACCOUNT}:role/admin-*")),
    "PassRole with ?": (3, "no * or ?", _pass(
        f"arn:aws:iam::{ACCOUNT}:role/admin-tasks-staging-?ask")),
    "PassRole on another role's policy": (3, "no * or ?", lambda run: edit_policy(
        policy_with(run, "secretsmanager:GetSecretValue"), "policy", lambda d: d["Statement"]
        .append({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}))),
}
INLINE_POLICIES: Cases = {
    "inline secretsmanager:* on a named secret": (4, "reads secrets", lambda run: role(
        "t", ECS_TRUST, **inline({"Effect": "Allow", "Action": "secretsmanager:*",
                                   "Resource": DATABASE_SECRET}))),
    "inline GetSecretValue, lower case": (4, "reads secrets", lambda run: role(
        "t", ECS_TRUST, **inline({"Effect": "Allow", "Action": "SecretsManager:getsecretvalue",
                                   "Resource": DATABASE_SECRET}))),
    "inline wildcard resource": (4, "wildcard", lambda run: role("t", ECS_TRUST, **inline({
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::exports/*"}))),
    "inline wildcard action": (4, "wildcard", lambda run: role("t", ECS_TRUST, **inline({
        "Effect": "Allow", "Action": "sqs:Send*", "Resource": "arn:aws:sqs:eu-west-1:1:q"}))),
    "inline NotResource": (4, "wildcard", lambda run: role("t", ECS_TRUST, **inline({
        "Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::a/b"}))),
    "a customer policy attached to roles": (4, "managed policy", lambda run: Registered(
        "aws:iam/policyAttachment:PolicyAttachment", "a", "urn:a", {
            "roles": ["admin-tasks-staging-execution"],
            "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/launch-admin-tasks"})),
}
SECRETS: Cases = {
    "secret policy for anyone": (6, "lets '*' in", lambda run: secret_policy("*")),
    "secret policy for the account root": (6, f"lets AWS ['{ROOT}'] in", lambda run:
                                           secret_policy({"AWS": ROOT})),
    "secret policy for the app's role": (6, "only the role admin-tasks-staging-execution",
                                         lambda run: secret_policy({"AWS": EXECUTION.replace(
                                             "admin-tasks-staging-execution", "app-task")})),
    "secret policy for another environment's execution role": (
        6, "only the role admin-tasks-staging-execution", lambda run: secret_policy(
            {"AWS": EXECUTION.replace("-staging-", "-prod-")})),
    "secret policy for everyone but the execution role": (6, "NotPrincipal", lambda run: (
        everyone_but(EXECUTION))),
    "secret policy for the execution role and a service": (6, "Service", lambda run: (
        secret_policy({"AWS": EXECUTION, "Service": "ecs.amazonaws.com"}))),
    "secret policy for a service": (6, "Service", lambda run: secret_policy(
        {"Service": "lambda.amazonaws.com"})),
    "secret with an inline policy for anyone": (6, "lets AWS ['*'] in", lambda run: Registered(
        "aws:secretsmanager/secret:Secret", "s", "urn:s", {
            **run.of_type("aws:secretsmanager/secret:Secret")[0].inputs,
            "policy": document({"Effect": "Allow", "Principal": {"AWS": "*"},
                                "Action": "secretsmanager:GetSecretValue", "Resource": "*"})})),
    # Spelled out, not read from GITHUB_SECRETS: dropping a type from the rule fails a case.
    **{f"GitHub {kind}": (6, "GitHub secret AWS_ACCESS_KEY_ID", github_secret(kind))
       for kind in ("ActionsEnvironmentSecret", "ActionsSecret", "ActionsOrganizationSecret",
                    "DependabotSecret", "DependabotOrganizationSecret", "CodespacesSecret",
                    "CodespacesOrganizationSecret", "CodespacesUserSecret")},
}
ROOT_USERS: Cases = {
    f"container user {user!r}": (5, "non-root", _user(user))
    for user in ("0", "00", "000", "0:0", "root", "root:anything", "0:1000", " 0", "+0", ":1000")}
BROKEN = TRUST_AND_LAUNCH | INLINE_POLICIES | SECRETS | ROOT_USERS


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_misedit_is_reported_by_its_rule(stack_run: StackRun, case: str) -> None:
    assert_reported(BROKEN, stack_run, case)


@pytest.mark.parametrize("user", ["10001", "10001:10001", "1000:0", "app", "app:app"])
def test_non_root_users_pass(stack_run: StackRun, user: str) -> None:
    """The root test compares uids as numbers: it must not refuse a uid that merely
    contains a zero, nor a non-root user whose group is root."""
    broken = edit_containers(stack_run.of_type(TASK_DEFINITION)[0], set_path(("user",), user))
    assert [m for _, m in violations(broken.type, broken.inputs) if "non-root" in m] == []


def test_the_execution_role_may_be_named_in_a_secret_policy(stack_run: StackRun) -> None:
    allowed = secret_policy({"AWS": [EXECUTION]})
    assert violations(allowed.type, allowed.inputs) == [], allowed.urn


def _launching_role(policy: dict[str, Any]) -> list[StackResource]:
    ops = role("ops", trusting({"AWS": ROOT}))
    return [(ops.type, ops.inputs, ops.urn), (ROLE_POLICY, {
        "role": "ops", "policy": json.dumps({"Statement": [policy]})}, "urn:ops-policy")]


@pytest.mark.parametrize(("statement", "expected"), [
    ({"Effect": "Allow", "Action": "ecs:StopTask", "Resource": "*"}, "['ecs:StopTask']"),
    ({"Effect": "Allow", "Action": "ECS:runtask", "Resource": "*"}, "['ecs:RunTask']"),
    ({"Effect": "Allow", "Action": "iam:Pass*", "Resource": "*"}, "['iam:PassRole']"),
    ({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}, "'ecs:RunTask'"),
], ids=["StopTask", "lower-case RunTask", "iam:Pass*", "NotAction"])
def test_no_other_role_holds_launcher_permissions(stack_run: StackRun, statement: dict[str, Any],
                                                  expected: str) -> None:
    resources = [(r.type, r.inputs, r.urn) for r in stack_run.resources]
    found = other_launcher_violations([*resources, *_launching_role(statement)])
    assert [f.urn for f in found] == ["urn:ops-policy"], found
    assert expected in found[0].message, found


def test_no_other_role_holds_launcher_permissions_inline(stack_run: StackRun) -> None:
    ops = role("ops", trusting({"AWS": ROOT}), **inline(run_task_statement()))
    resources = [(r.type, r.inputs, r.urn) for r in stack_run.resources]
    found = other_launcher_violations([*resources, (ops.type, ops.inputs, ops.urn)])
    assert [(f.urn, "role ops may ['ecs:RunTask']" in f.message) for f in found] == [
        (ops.urn, True)], found
