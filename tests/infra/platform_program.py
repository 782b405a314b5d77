"""A team's existing Pulumi program ("platform") that adds admin-tasks as one component.

It has its own AWS and GitHub providers and its own tags, and declares the same
environment as this project's `Pulumi.staging.yaml`, through typed arguments instead of
stack config (docs/DEPLOYING.md, "Inside an existing Pulumi program", shows the same).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_github as github

from infra.admin_tasks import AdminTasks, AdminTasksArgs
from tests.infra.harness import stack_config

TEAM_TAGS = {"team": "billing", "cost-center": "cc-1234"}


def staging_args(**changes: Any) -> AdminTasksArgs:
    """Pulumi.staging.yaml's environment, written as a program would write it."""
    app_tasks = stack_config("staging")["admin-tasks:appTasks"]
    values: dict[str, Any] = dict(
        region="eu-west-1", environment="staging", production=False,
        github_owner="acme-corp", github_repository="billing-platform",
        github_owner_id=58101847, github_repository_id=712345678,
        reviewers={"users": ["alice-ops"], "teams": ["platform-oncall"]},
        can_admins_bypass=False,
        cluster_arn="arn:aws:ecs:eu-west-1:111111111111:cluster/app-staging",
        subnets=("subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"),
        security_groups=["sg-0c3d4e5f607182930"], assign_public_ip=False,
        tasks_image="111111111111.dkr.ecr.eu-west-1.amazonaws.com/admin-tasks:2026.11.20",
        app_image="111111111111.dkr.ecr.eu-west-1.amazonaws.com/billing-platform@"
                  "sha256:3b1f0c2d4e5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
        app_tasks=app_tasks,
        tenants={"table": "customers_client", "schemaColumn": "schema_name",
                 "exclude": ["public"]}, max_parallel_tasks=4,
        tasks=["seed-admin", "seed-superuser", "remove-admin", "reactivate-admin",
               "deactivate-superuser", "reset-superuser-password"],
        database_host="billing-staging.cluster-c9abcdefghij.eu-west-1.rds.amazonaws.com",
        database_name="billing", log_retention_days=90, secret_recovery_window_days=7,
        task_cpu=256, task_memory=512,
        container_user="10001:10001", tags=TEAM_TAGS,
        superuser_secret_seal=stack_config("staging")["admin-tasks:superuserSecretSeal"])
    return AdminTasksArgs(**{**values, **changes})


def platform_program(args: AdminTasksArgs | None = None) -> dict[str, Any]:
    """The platform program: its providers, then one AdminTasks; its outputs re-exported."""
    aws_provider = aws.Provider("platform-aws", region="eu-west-1",
                                default_tags={"tags": {"managed-by": "platform"}})
    github_provider = github.Provider("platform-github", owner="acme-corp")
    admin = AdminTasks("billing-admin-tasks", args or staging_args(), opts=pulumi.ResourceOptions(
        providers=[aws_provider, github_provider]))
    return {"adminRoleArn": admin.role_arn, "adminSettings": admin.launch_settings,
            "adminEnvironment": admin.github_environment,
            "adminTaskDefinitions": admin.task_definition_arns}
