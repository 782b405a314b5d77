"""Realistic hand edits of the staging stack.

`MISEDITS` are registered in the same program run as the stack's own resources
(`run_stack(..., extra=...)`), so they get real URNs; each maps the resource names it
registers to a fragment of the violation the pack must report against that resource.
The builders below make single hand-added resources for the rule-function tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi_aws.iam as iam
import pulumi_aws.secretsmanager as secretsmanager
import pulumi_github as github

from infra.iam_documents import launcher_policy
from infra.policy.resource_rules import ENVIRONMENT_TAG
from tests.infra.breaking import edit_policy
from tests.infra.harness import Registered, StackRun

ACCOUNT = "111111111111"  # Pulumi.staging.yaml's account
CLUSTER = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/app-staging"
TASK_DEFINITIONS = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:task-definition/"
DATABASE_SECRET = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:admin-tasks/staging/database-Ab12Cd"
ROLE = "aws:iam/role:Role"
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
ECS_TRUST = {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
             "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def run_task_statement() -> dict[str, Any]:
    """The stack's own, well-scoped RunTask statement: the per-resource rule accepts it."""
    policy = launcher_policy(
        environment="staging", cluster_arn=CLUSTER,
        task_definitions_arn=f"{TASK_DEFINITIONS}admin-tasks-staging-*:*",
        passable_role_arns=[], log_group_arn="")
    statement: dict[str, Any] = policy["Statement"][0]
    return statement


def second_launcher_policy(name: str, edit: Callable[[dict[str, Any]], object],
                           ) -> Callable[[], None]:
    """A second inline policy on the launcher role: the stack's RunTask statement, edited."""
    def register() -> None:
        statement = run_task_statement()
        edit(statement)
        iam.RolePolicy(name, role="admin-tasks-staging-github", policy=document(statement))
    return register


def root_trusting_launcher() -> None:
    """A role for on-call engineers, trusting the account root, that may run admin tasks."""
    role = iam.Role("ops-runner", name="ops-runner", assume_role_policy=document({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sts:AssumeRole"}))
    iam.RolePolicy("ops-runner-launch", role=role.id, policy=document(run_task_statement()))


def pass_any_admin_role() -> None:
    """PassRole on every admin-* role, on a role that is not the launcher."""
    role = iam.Role("deployer", name="deployer", assume_role_policy=document(ECS_TRUST))
    iam.RolePolicy("deployer-pass", role=role.id, policy=document({
        "Effect": "Allow", "Action": "iam:PassRole",
        "Resource": f"arn:aws:iam::{ACCOUNT}:role/admin-*",
        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}))


def inline_secret_reader() -> None:
    """A task role given every secret through inline_policies."""
    iam.Role("debug-task", name="debug-task", assume_role_policy=document(ECS_TRUST),
             inline_policies=[iam.RoleInlinePolicyArgs(name="debug", policy=document({
                 "Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}))])


def secret_shared_with_another_account() -> None:
    secretsmanager.SecretPolicy("share-database", secret_arn=DATABASE_SECRET, policy=document({
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))


def aws_keys_in_github() -> None:
    github.ActionsEnvironmentSecret(
        "aws-keys", repository="billing-platform", environment="staging",
        secret_name="AWS_SECRET_ACCESS_KEY", plaintext_value="not-a-real-key")


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:staging::admin-tasks::{type_}::{name}"


def role(name: str, trust: dict[str, Any], **inputs: Any) -> Registered:
    """A role added by hand (as a policy pack would see its inputs)."""
    return Registered(ROLE, name, urn(ROLE, name),
                      {"name": name, "assumeRolePolicy": document(trust), **inputs})


def trusting(principal: Any) -> dict[str, Any]:
    return {**ECS_TRUST, "Principal": principal}


def inline(statement: dict[str, Any]) -> dict[str, Any]:
    return {"inlinePolicies": [{"name": "extra", "policy": document(statement)}]}


def secret_policy(principal: Any, secret: str = DATABASE_SECRET) -> Registered:
    return Registered(SECRET_POLICY, "p", urn(SECRET_POLICY, "p"), {
        "secretArn": secret, "policy": document({
            "Effect": "Allow", "Principal": principal,
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"})})


def everyone_but(role: str) -> Registered:
    def invert(policy: dict[str, Any]) -> None:
        statement = policy["Statement"][0]
        statement["NotPrincipal"] = statement.pop("Principal")
    return edit_policy(secret_policy({"AWS": [role]}), "policy", invert)


def github_secret(kind: str) -> Callable[[StackRun], Registered]:
    type_ = f"github:index/{kind[0].lower()}{kind[1:]}:{kind}"
    return lambda run: Registered(type_, "s", urn(type_, "s"),
                                  {"secretName": "AWS_ACCESS_KEY_ID", "plaintextValue": "x"})


@dataclass(frozen=True)
class Misedit:
    """One hand edit and what the pack must say about each resource it adds."""

    register: Callable[[], None]
    expected: dict[str, str]
    """Resource name -> a fragment of a violation reported against that resource."""


MISEDITS = {
    "a role trusting the account root may run admin tasks": Misedit(root_trusting_launcher, {
        "ops-runner": f"lets AWS ['arn:aws:iam::{ACCOUNT}:root']",
        "ops-runner-launch": "role ops-runner may ['ecs:RunTask']"}),
    "another role may pass any admin-* role": Misedit(pass_any_admin_role, {
        "deployer-pass": "iam:PassRole needs named roles (no * or ?"}),
    "a task role reads every secret through inline_policies": Misedit(inline_secret_reader, {
        "debug-task": "inline policy debug of role debug-task: reads secrets"}),
    "the database secret is shared with another account": Misedit(
        secret_shared_with_another_account, {
            "share-database": "lets AWS ['arn:aws:iam::999999999999:root'] in"}),
    "AWS keys as a GitHub environment secret": Misedit(aws_keys_in_github, {
        "aws-keys": "GitHub secret AWS_SECRET_ACCESS_KEY"}),
    # TASK_DEFINITION_ARN (iam_rules) and the RunTask rule (permission_rules._run_task).
    "the launcher role may run every environment's admin tasks": Misedit(
        second_launcher_policy("launch-everywhere", lambda statement: statement.__setitem__(
            "Resource", f"{TASK_DEFINITIONS}admin-tasks-*:*")), {
            "launch-everywhere": "ecs:RunTask only on admin-tasks task-definition families"}),
    "the launcher role may run staging-eu's tasks by their tag": Misedit(
        second_launcher_policy("launch-staging-eu", lambda statement: statement["Condition"][
            "StringEquals"].__setitem__(f"aws:ResourceTag/{ENVIRONMENT_TAG}", "staging-eu")), {
            "launch-staging-eu": f"needs StringEquals aws:ResourceTag/{ENVIRONMENT_TAG} = the "
                                 "environment"}),
}
