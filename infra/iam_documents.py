"""IAM policy documents as pure functions of names and ARNs (guardrails 1, 3 and 4).

Kept free of Pulumi so the same functions are unit-tested directly, fed to
parliament, and wrapped in `Output.apply` by the components only for unknown ARNs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from infra.naming import ECS_TASKS_SERVICE, OIDC_AUDIENCE, OIDC_HOST
from infra.policy.resource_rules import ENVIRONMENT_TAG

Document = dict[str, Any]
VERSION = "2012-10-17"
#: IAM's quota on a role's inline policies, all of them together: 10,240 characters, white
#: space not counted ("IAM and AWS STS quotas", IAM User Guide). A larger policy passes
#: `pulumi preview` and is refused by AWS at `pulumi up` (PutRolePolicy, LimitExceeded).
ROLE_POLICY_QUOTA = 10_240


def github_trust_policy(provider_arn: str, subjects: Sequence[str], *, job_workflow_ref: str,
                        repository_id: str) -> Document:
    """Only a job of the admin workflow on main of this repository (by id), running in the
    environment (either `sub` form), may assume the role. The subject alone names only the
    environment, which any other workflow of the repository can declare."""
    return {"Version": VERSION, "Statement": [{
        "Sid": "AdminWorkflowInGithubEnvironmentOnly",
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            f"{OIDC_HOST}:aud": OIDC_AUDIENCE,
            f"{OIDC_HOST}:sub": list(subjects),
            f"{OIDC_HOST}:job_workflow_ref": job_workflow_ref,
            f"{OIDC_HOST}:repository_id": repository_id,
        }},
    }]}


def ecs_tasks_trust_policy(account: str) -> Document:
    """ECS tasks of this account only (confused-deputy guard via aws:SourceAccount)."""
    return {"Version": VERSION, "Statement": [{
        "Effect": "Allow",
        "Principal": {"Service": ECS_TASKS_SERVICE},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
    }]}


def launcher_policy(*, environment: str, cluster_arn: str, task_definitions_arn: str,
                    passable_role_arns: Sequence[str], log_group_arn: str) -> Document:
    """What `python -m tasks run|stop` calls (tasks/launcher): nothing else. RunTask is
    allowed only with what the launcher sends (tests/infra/test_launcher_contract.py).

    RunTask names the families by the environment's prefix, always (`task_definitions_arn`,
    `...:task-definition/admin-tasks-<env>-*:*`): a list of families grew with each task,
    past IAM's quota after some dozens. The prefix also matches an environment whose name
    extends this one (`staging-eu`), so the task definition's own environment tag
    (aws:ResourceTag) must be this environment, as the cluster must be. One form, not a
    list that turns into a prefix at some count: what is reviewed and tested is what every
    stack runs, and a new task leaves the launcher's permissions alone. Not wider in
    practice: whoever can register a tagged family under the prefix could register a new
    revision of a listed one (`:*`); no role of the stack can, and the launcher tags only
    the tasks it starts.
    """
    in_cluster = {"ArnEquals": {"ecs:cluster": cluster_arn}}
    cluster_tasks = cluster_arn.replace(":cluster/", ":task/", 1) + "/*"
    return {"Version": VERSION, "Statement": [
        # The launcher always sends enableExecuteCommand=false (so an absent key denies: no
        # shell into a container holding the database credentials) and tags every task
        # with its environment, which is what StopTask is scoped by below.
        {"Sid": "RunAdminTasksInCluster", "Effect": "Allow", "Action": "ecs:RunTask",
         "Resource": task_definitions_arn, "Condition": {**in_cluster, "StringEquals": {
             f"aws:ResourceTag/{ENVIRONMENT_TAG}": environment,
             "ecs:enable-execute-command": "false",
             f"aws:RequestTag/{ENVIRONMENT_TAG}": environment}}},
        # RunTask carries `tags` (actor, run, task): ECS checks TagResource on the new task.
        {"Sid": "TagTasksAtLaunch", "Effect": "Allow", "Action": "ecs:TagResource",
         "Resource": cluster_tasks,
         "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}}},
        {"Sid": "PassAdminTaskRolesToEcs", "Effect": "Allow", "Action": "iam:PassRole",
         "Resource": list(passable_role_arns),
         "Condition": {"StringEquals": {"iam:PassedToService": ECS_TASKS_SERVICE}}},
        # Only this environment's admin tasks: never the application's own tasks.
        {"Sid": "StopAdminTasksInCluster", "Effect": "Allow", "Action": "ecs:StopTask",
         "Resource": cluster_tasks, "Condition": {**in_cluster, "StringEquals": {
             f"aws:ResourceTag/{ENVIRONMENT_TAG}": environment}}},
        # No tag condition on purpose: ECS deletes a task's tags when it stops ("Any tags
        # associated with the task will be deleted", StopTask in the ECS API reference), so
        # one would deny the launcher the final status and exit code it must report.
        {"Sid": "WatchTasksInCluster", "Effect": "Allow", "Action": "ecs:DescribeTasks",
         "Resource": cluster_tasks, "Condition": in_cluster},
        # ListTasks (the cancel backstop) names no task: AWS scopes it by the cluster key.
        {"Sid": "ListTasksInCluster", "Effect": "Allow", "Action": "ecs:ListTasks",
         "Resource": "*", "Condition": in_cluster},
        # Before RunTask the launcher reads the definition it will run and refuses one whose
        # image is not the approved request's. DescribeTaskDefinition has no resource-level
        # permissions ("*" is its only form); it reads, never changes, a definition.
        {"Sid": "CheckTaskDefinitionImage", "Effect": "Allow",
         "Action": "ecs:DescribeTaskDefinition", "Resource": "*"},
        {"Sid": "ReadAdminTaskLogs", "Effect": "Allow", "Action": "logs:GetLogEvents",
         "Resource": f"{log_group_arn}:log-stream:*"},
    ]}


def execution_policy(*, secret_arns: Sequence[str], kms_key_arn: str | None,
                     log_group_arn: str, ecr_repository_arns: Sequence[str],
                     region: str) -> Document:
    """What ECS needs to start the containers: pull, write logs, read the referenced secrets."""
    statements: list[Document] = [
        {"Sid": "ReadReferencedSecrets", "Effect": "Allow",
         "Action": "secretsmanager:GetSecretValue", "Resource": sorted(set(secret_arns))},
        # CreateLogStream is authorised on the group, PutLogEvents on its streams: `:*`
        # after the group ARN covers both and nothing outside the group.
        {"Sid": "WriteAdminTaskLogs", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"{log_group_arn}:*"},
    ]
    if ecr_repository_arns:
        statements += [
            # GetAuthorizationToken has no resource-level permissions: "*" is the only form.
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken",
             "Resource": "*"},
            {"Sid": "PullTaskImages", "Effect": "Allow",
             "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
                        "ecr:BatchGetImage"],
             "Resource": sorted(set(ecr_repository_arns))},
        ]
    if kms_key_arn is not None:
        statements.append(
            {"Sid": "DecryptSecretsThroughSecretsManager", "Effect": "Allow",
             "Action": "kms:Decrypt", "Resource": kms_key_arn,
             "Condition": {"StringEquals": {
                 "kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}}})
    return {"Version": VERSION, "Statement": statements}


def policy_characters(document: Document) -> int:
    """What IAM counts against ROLE_POLICY_QUOTA: the document's JSON without white space
    (none of the strings these functions write holds any)."""
    return len(json.dumps(document, separators=(",", ":")))


def quota_problem(role: str, document: Document) -> str | None:
    """Why IAM would refuse `document` as the inline policy of `role`, or None if it fits."""
    size = policy_characters(document)
    if size <= ROLE_POLICY_QUOTA:
        return None
    return (f"would make the inline policy of the {role} role {size:,} characters, over "
            f"IAM's quota of {ROLE_POLICY_QUOTA:,} for all of a role's inline policies "
            "together: AWS would refuse it at `pulumi up`, after the preview")
