"""The launch-settings document of one environment, built through the shared schema."""

from __future__ import annotations

from typing import Any

from infra.config import StackConfig
from infra.naming import LOG_STREAM_PREFIX, log_group_name, task_family
from tasks.catalog import get_task
from tasks.settings import settings_document


def launch_settings(config: StackConfig) -> dict[str, Any]:
    """`launchSettings` / ADMIN_TASKS_SETTINGS; `settings_document` rejects anything the
    launcher's parser would, so a bad document fails the program, not a workflow run."""
    network = config.network
    return settings_document(
        environment=config.environment, region=network.region, cluster=network.cluster_arn,
        subnets=list(network.subnets), security_groups=list(network.security_groups),
        assign_public_ip=network.assign_public_ip,
        log_group=log_group_name(config.environment),
        tasks={
            name: {"taskDefinition": task_family(config.environment, name), "container": name,
                   "logStreamPrefix": LOG_STREAM_PREFIX,
                   "timeoutSeconds": get_task(name).timeout_seconds}
            for name in config.tasks
        },
    )
