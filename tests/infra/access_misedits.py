"""More realistic hand edits of the staging stack: who may read the secrets, who besides the
launcher may launch (users, groups, other roles), and what the task role may do.

Registered with the stack's own resources, like `misedits.MISEDITS`; each maps the names
of the resources it adds to a fragment of the violation the pack must report against them.
"""

from __future__ import annotations

from typing import Any

import pulumi_aws.iam as iam
import pulumi_aws.secretsmanager as secretsmanager

from tests.infra.misedits import (
    ACCOUNT,
    DATABASE_SECRET,
    ECS_TRUST,
    Misedit,
    document,
    run_task_statement,
)

EXECUTION = f"arn:aws:iam::{ACCOUNT}:role/admin-tasks-staging-execution"
TASK_ROLE = "admin-tasks-staging-task"
RDS_SECRET = (f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:"
              "rds!db-3f1c2a7e-5b8d-4c6e-9a0f-1e2d3c4b5a69-Qw3rTy")
READ = "secretsmanager:GetSecretValue"
ONLY_OURS = f"only this stack's execution role may read it ({EXECUTION})"


def _share(name: str, principal: str, secret: str = DATABASE_SECRET,
           actions: tuple[str, ...] = (READ,)) -> None:
    secretsmanager.SecretPolicy(name, secret_arn=secret, policy=document({
        "Effect": "Allow", "Principal": {"AWS": principal}, "Action": list(actions),
        "Resource": "*"}))


def _granting(action: str) -> Misedit:
    """The execution role, correctly named, given one more action on the secret."""
    return Misedit(lambda: _share("share-database", EXECUTION, actions=(READ, action)), {
        "share-database": f"grants ['{READ}', '{action}']; it may grant only ['{READ}']"})


def _role_with(name: str, statement: dict[str, Any]) -> None:
    role = iam.Role(name, name=name, assume_role_policy=document(ECS_TRUST))
    iam.RolePolicy(f"{name}-policy", role=role.id, policy=document(statement))


def _group_launcher() -> None:
    group = iam.Group("oncall", name="oncall")
    iam.GroupPolicy("oncall-launch", group=group.name, policy=document(run_task_statement()))


def _user_secret_reader() -> None:
    user = iam.User("breakglass", name="breakglass")
    iam.UserPolicy("breakglass-read", user=user.name, policy=document(
        {"Effect": "Allow", "Action": READ, "Resource": DATABASE_SECRET}))


def _attached_launcher() -> None:
    user = iam.User("alice", name="alice")
    policy = iam.Policy("ops-launch", name="ops-launch", policy=document(run_task_statement()))
    iam.UserPolicyAttachment("alice-launch", user=user.name, policy_arn=policy.arn)


def _aws_managed_on_group() -> None:
    group = iam.Group("support", name="support")
    iam.GroupPolicyAttachment("support-ecs", group=group.name,
                              policy_arn="arn:aws:iam::aws:policy/AmazonECS_FullAccess")


def _task_role_policy() -> None:
    iam.RolePolicy("task-exports", role=TASK_ROLE, policy=document({
        "Effect": "Allow", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::billing-exports/latest.csv"}))


def _task_role_attachment() -> None:
    iam.RolePolicyAttachment("task-exports-read", role=TASK_ROLE,
                             policy_arn=f"arn:aws:iam::{ACCOUNT}:policy/exports-read")


def _trusting_any_account() -> None:
    trust = {key: value for key, value in ECS_TRUST.items() if key != "Condition"}
    iam.Role("report-task", name="report-task", assume_role_policy=document(trust))


ACCESS_MISEDITS = {
    "the database secret is shared with an execution role of the same name in another "
    "account": Misedit(lambda: _share("share-database", EXECUTION.replace(
        ACCOUNT, "999999999999")), {"share-database": ONLY_OURS}),
    "the RDS-managed secret is shared with prod's execution role": Misedit(
        lambda: _share("share-rds", EXECUTION.replace("-staging-", "-prod-"), RDS_SECRET),
        {"share-rds": ONLY_OURS}),
    **{f"the secret policy also grants the execution role {action}": _granting(action)
       for action in ("secretsmanager:PutResourcePolicy", "secretsmanager:DeleteSecret",
                      "secretsmanager:PutSecretValue")},
    # IAM action names are case-insensitive, service prefix included: one per rule that
    # reads actions (infra/policy/iam_rules.py, canonical_action).
    "the secret policy grants DeleteSecret in another case": Misedit(
        lambda: _share("share-database", EXECUTION,
                       actions=("SecretsManager:getsecretvalue", "SECRETSMANAGER:DeleteSecret")),
        {"share-database": f"grants ['{READ}', 'secretsmanager:DeleteSecret']"}),
    "another role reads the database secret, in another case": Misedit(
        lambda: _role_with("reporter", {"Effect": "Allow", "Action": "SecretsManager:GetSecretValue",
                                        "Resource": DATABASE_SECRET}),
        {"reporter-policy": "role reporter may read secrets; only the execution role"}),
    "another role may run tasks, in another case": Misedit(lambda: _role_with("deployer", {
        "Effect": "Allow", "Action": "ECS:runtask", "Resource": "*"}), {
        "deployer-policy": "role deployer may ['ecs:RunTask']"}),
    "a wildcard action in another case": Misedit(lambda: _role_with("deployer", {
        "Effect": "Allow", "Action": "SecretsManager:*", "Resource": DATABASE_SECRET}), {
        "deployer-policy": "wildcard action 'secretsmanager:*'"}),
    "another role may pass the GitHub role by name": Misedit(lambda: _role_with("deployer", {
        "Effect": "Allow", "Action": "iam:PassRole",
        "Resource": f"arn:aws:iam::{ACCOUNT}:role/admin-tasks-staging-github",
        "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}), {
        "deployer-policy": "only this environment's execution and task roles"}),
    "another role may register task definitions": Misedit(lambda: _role_with("deployer", {
        "Effect": "Allow", "Action": "ecs:RegisterTaskDefinition", "Resource": "*"}), {
        "deployer-policy": "role deployer may ['ecs:RegisterTaskDefinition']"}),
    "another role reads the database secret": Misedit(lambda: _role_with("reporter", {
        "Effect": "Allow", "Action": READ, "Resource": DATABASE_SECRET}), {
        "reporter-policy": "role reporter may read secrets; only the execution role"}),
    "an on-call group may run admin tasks": Misedit(_group_launcher, {
        "oncall-launch": "group oncall may ['ecs:RunTask']"}),
    "a break-glass user reads the database secret": Misedit(_user_secret_reader, {
        "breakglass-read": f"user breakglass may ['{READ}']"}),
    "a user gets a launching policy by attachment": Misedit(_attached_launcher, {
        "alice-launch": "user alice may ['ecs:RunTask']"}),
    "a group gets AmazonECS_FullAccess": Misedit(_aws_managed_on_group, {
        "support-ecs": "which this stack does not declare"}),
    "the task role gets an S3 read": Misedit(_task_role_policy, {
        "task-exports": f"the task role {TASK_ROLE} has the policy"}),
    "the task role gets a customer managed policy": Misedit(_task_role_attachment, {
        "task-exports-read": f"the task role {TASK_ROLE} has the managed policy"}),
    "a role trusts ECS tasks of any account": Misedit(_trusting_any_account, {
        "report-task": "lets ECS tasks of any account assume it (confused deputy)"}),
}
