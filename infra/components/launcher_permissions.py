"""LauncherPermissions: what the environment's GitHub role may do (guardrail 3)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws.iam as iam

from infra.iam_documents import Document, launcher_policy, quota_problem


@dataclass
class LauncherPermissionsArgs:
    """Inputs of LauncherPermissions."""

    environment: str
    """Environment name: the `admin-tasks:environment` tag its tasks are started with."""
    role_name: pulumi.Input[str]
    """The environment's GitHub role."""
    cluster_arn: str
    """The only cluster tasks may run in."""
    task_definitions_arn: str
    """The environment's families, `...:task-definition/admin-tasks-<env>-*:*`: the role
    may run those of them tagged with the environment (iam_documents.launcher_policy)."""
    passable_role_arns: Sequence[pulumi.Input[str]]
    """Execution and task roles of those definitions."""
    log_group_arn: pulumi.Input[str]
    """The admin log group the launcher streams from."""


class LauncherPermissions(pulumi.ComponentResource):
    """An inline policy: run, watch, stop this environment's admin tasks and read their logs."""

    def __init__(self, name: str, args: LauncherPermissionsArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("admin-tasks:infra:LauncherPermissions", name, None, opts)
        document: pulumi.Output[str] = pulumi.Output.all(
            args.log_group_arn, *args.passable_role_arns).apply(lambda values: json.dumps(
                within_quota(launcher_policy(
                    environment=args.environment, cluster_arn=args.cluster_arn,
                    task_definitions_arn=args.task_definitions_arn,
                    passable_role_arns=values[1:], log_group_arn=values[0]))))
        policy = iam.RolePolicy(f"{name}-policy", role=args.role_name, policy=document,
                                opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"policyName": policy.name})


def within_quota(document: Document) -> Document:
    """The launcher policy, if IAM would take it as the role's inline policy (stack.py also
    checks it, from the names the program gives the roles, before anything is registered)."""
    problem = quota_problem("launcher", document)
    if problem:
        raise pulumi.RunError(f"The launcher policy {problem}. Fix: keep it to the statements "
                              "of infra/iam_documents.py launcher_policy, which do not grow "
                              "with the number of tasks")
    return document
