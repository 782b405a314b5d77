"""The launch-settings document of one environment, built through the shared schema."""

from __future__ import annotations

from typing import Any

from infra.config import StackConfig
from infra.naming import LOG_STREAM_PREFIX, log_group_name, task_family
from infra.task_specs import TaskSpec
from tasks.contract import TenantSource, settings_document


def task_entry(environment: str, task: TaskSpec, image_ref: str,
               tenants: TenantSource | None = None) -> dict[str, Any]:
    """`tasks.<name>` of the settings: where the task's definition is, what it may be
    asked, and the image it runs (the launcher checks the task definition runs it); a
    tenant task's also where its tenants are."""
    tenant_part = {"tenantSteps": [list(step) for step in task.tenant_steps],
                   "tenants": tenants.to_document()} if task.tenant_steps and tenants else {}
    return {**tenant_part, "taskDefinition": task_family(environment, task.name), "container": task.name,
            "logStreamPrefix": LOG_STREAM_PREFIX, "timeoutSeconds": task.timeout_seconds,
            "description": task.description, "image": task.image, "imageRef": image_ref,
            "steps": [list(step) for step in task.steps],
            "previewSteps": [list(step) for step in task.preview_steps],
            "parameters": {p.name: p.to_document() for p in task.parameters}}


def launch_settings(config: StackConfig) -> dict[str, Any]:
    """`launchSettings` / ADMIN_TASKS_SETTINGS; `settings_document` rejects anything the
    launcher's parser would, so a bad document fails the program, not a workflow run."""
    network = config.network
    return settings_document(
        environment=config.environment, region=network.region, cluster=network.cluster_arn,
        subnets=list(network.subnets), security_groups=list(network.security_groups),
        assign_public_ip=network.assign_public_ip,
        log_group=log_group_name(config.environment), require_approval=config.require_approval,
        required_approvals=config.github.required_approvals,
        tasks={task.name: task_entry(config.environment, task, str(
            config.tasks_image if task.image == "tasks" else config.app_image), config.tenants)
            for task in config.tasks},
    )
