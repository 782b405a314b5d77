"""AdminTaskDefinitions: log group, execution and task roles, one task definition per task.

Guardrails 4, 5 and 7: the execution role reads only the secrets the definitions
reference; the task role has no permissions (the tasks talk to the database only);
the log group keeps the audit trail for the configured retention.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pulumi
import pulumi_aws.cloudwatch as cloudwatch
import pulumi_aws.ecs as ecs
import pulumi_aws.iam as iam

from infra.containers import ContainerSpec, task_containers
from infra.iam_documents import ecs_tasks_trust_policy, execution_policy
from infra.naming import log_group_name, prefix, task_family
from infra.task_specs import TaskSpec, secrets_read
from tasks.contract import SCRATCH_VOLUME, SHARED_VOLUME


@dataclass
class AdminTaskDefinitionsArgs:
    """Inputs of AdminTaskDefinitions."""

    environment: str
    """Environment name (families `admin-tasks-<env>-<task>`, log group `/admin-tasks/<env>`)."""
    account: str
    """AWS account id (trust-policy source account)."""
    region: str
    """AWS region (KMS via-service condition)."""
    tasks: Sequence[TaskSpec]
    """Tasks to define: the environment's enabled built-in and application tasks."""
    containers: Mapping[str, ContainerSpec]
    """Per task name: image, database shape, user (secret ARNs filled in here)."""
    secret_arns: Mapping[str, pulumi.Input[str]]
    """Secret logical name to ARN (created or existing)."""
    log_retention_days: int
    """Retention of the admin log group."""
    sizes: Mapping[str, tuple[int, int]]
    """Per task name: Fargate (CPU units, memory MiB)."""
    ecr_repository_arns: Sequence[str] = ()
    """ECR repositories the images come from (pull permission for the execution role)."""
    kms_key_arn: str | None = None
    """Customer-managed key of the secrets, if any."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every AWS resource."""


class AdminTaskDefinitions(pulumi.ComponentResource):
    """Everything ECS needs to start an admin task of one environment."""

    log_group_name: pulumi.Output[str]
    log_group_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    task_role_arn: pulumi.Output[str]
    task_definition_arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AdminTaskDefinitionsArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("admin-tasks:infra:AdminTaskDefinitions", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        log_group = cloudwatch.LogGroup(
            f"{name}-logs", name=log_group_name(args.environment),
            retention_in_days=args.log_retention_days, tags=tags, opts=child)
        ecs_trust = json.dumps(ecs_tasks_trust_policy(args.account))
        execution_role = iam.Role(
            f"{name}-execution", name=f"{prefix(args.environment)}-execution",
            assume_role_policy=ecs_trust, tags=tags, opts=child,
            description="ECS pulls images, writes logs and injects the referenced secrets")
        task_role = iam.Role(
            f"{name}-task", name=f"{prefix(args.environment)}-task",
            assume_role_policy=ecs_trust, tags=tags, opts=child,
            description="Identity of admin task containers; deliberately without permissions")
        iam.RolePolicy(f"{name}-execution-policy", role=execution_role.id, opts=child,
                       policy=_execution_policy(args, log_group.arn))
        self.task_definition_arns = {}
        for task in args.tasks:
            cpu, memory = args.sizes[task.name]
            definition = ecs.TaskDefinition(
                f"{name}-{task.name}", family=task_family(args.environment, task.name),
                requires_compatibilities=["FARGATE"], network_mode="awsvpc",
                cpu=str(cpu), memory=str(memory),
                execution_role_arn=execution_role.arn, task_role_arn=task_role.arn,
                volumes=[ecs.TaskDefinitionVolumeArgs(name=SCRATCH_VOLUME),
                         ecs.TaskDefinitionVolumeArgs(name=SHARED_VOLUME)],
                container_definitions=_container_definitions(args, task),
                tags=tags, opts=child)
            self.task_definition_arns[task.name] = definition.arn
        self.log_group_name = log_group.name
        self.log_group_arn = log_group.arn
        self.execution_role_arn = execution_role.arn
        self.task_role_arn = task_role.arn
        self.register_outputs({"logGroupName": self.log_group_name,
                               "taskDefinitionArns": self.task_definition_arns})


def _execution_policy(args: AdminTaskDefinitionsArgs,
                      log_group_arn: pulumi.Output[str]) -> pulumi.Output[str]:
    # Only the secrets some definition references: guardrail 4's "nothing else".
    referenced = sorted({secret for task in args.tasks for secret in secrets_read(task)})
    app_secrets = sorted({args.containers[task.name].app_secrets[name].arn
                          for task in args.tasks for name in task.app_secrets})
    inputs = [log_group_arn, *(args.secret_arns[logical] for logical in referenced),
              *app_secrets]
    return pulumi.Output.all(*inputs).apply(lambda values: json.dumps(execution_policy(
        secret_arns=values[1:], kms_key_arn=args.kms_key_arn, log_group_arn=values[0],
        ecr_repository_arns=args.ecr_repository_arns, region=args.region)))


def _container_definitions(args: AdminTaskDefinitionsArgs,
                           task: TaskSpec) -> pulumi.Output[str]:
    arns = pulumi.Output.all(**{logical: args.secret_arns[logical]
                                for logical in sorted(args.secret_arns)})
    spec = args.containers[task.name]
    return arns.apply(lambda resolved: json.dumps(
        task_containers(task, replace(spec, secret_arns=resolved))))
