"""Container definitions of the admin task definitions, as pure functions (guardrail 5).

Secrets reach the container only through `secrets[].valueFrom` (`<arn>:<json key>::`),
resolved by ECS at start with the execution role; plain `environment` carries nothing
secret. The awslogs stream is `<prefix>/<container>/<task id>`, which the launcher's
settings contract relies on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infra.config_sections import DatabaseConfig
from infra.naming import LOG_STREAM_PREFIX
from infra.task_specs import TaskSpec
from tasks.contract import SecretInput, SecretName, secret_inputs

SCRATCH_VOLUME = "tmp"  # the only writable path: the root filesystem is read-only
SCRATCH_PATH = "/tmp"  # noqa: S108 -- a per-task Fargate volume, not a shared host directory
DATABASE: SecretName = "database"


@dataclass(frozen=True)
class ContainerSpec:
    """Everything a container definition needs besides the task itself."""

    image: str
    """Image reference (tasks or application image)."""
    secret_arns: Mapping[str, str]
    """Secret logical name (`database`, `django-superuser`) to ARN."""
    database: DatabaseConfig
    """How the database credentials are shaped."""
    log_group: str
    """The admin log group name."""
    region: str
    """Region of the log group."""
    user: str
    """Non-root `uid[:gid]`."""


def container_secrets(task: TaskSpec, database: DatabaseConfig) -> tuple[SecretInput, ...]:
    """The task's secrets, with DATABASE_URL swapped for user/password of an existing secret."""
    inputs = secret_inputs(task.secrets)
    if database.existing_secret_arn is None:
        return inputs
    swapped: list[SecretInput] = []
    for item in inputs:
        if item.secret == DATABASE:
            swapped += [SecretInput("DATABASE_USER", DATABASE, "username"),
                        SecretInput("DATABASE_PASSWORD", DATABASE, "password")]
        else:
            swapped.append(item)
    return tuple(dict.fromkeys(swapped))


def plain_environment(task: TaskSpec, database: DatabaseConfig) -> list[dict[str, str]]:
    """Non-secret settings: where the database is (existing secret only), Python hygiene."""
    values = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
    uses_database = DATABASE in task.secrets
    if uses_database and task.image == "tasks":
        values["ADMIN_TASKS_DATABASE_AUTH"] = database.auth
    if database.existing_secret_arn is not None and uses_database:
        values |= {"DATABASE_HOST": str(database.host), "DATABASE_PORT": str(database.port),
                   "DATABASE_NAME": str(database.name)}
    return [{"name": name, "value": value} for name, value in sorted(values.items())]


def container_definition(task: TaskSpec, spec: ContainerSpec) -> dict[str, Any]:
    # The whole argv is the entry point and the command is empty: RunTask can override
    # `command` (which would only append arguments, refused by both kinds of task) but
    # never `entryPoint`.
    return {
        "name": task.name,
        "image": spec.image,
        "essential": True,
        "entryPoint": list(task.entry_point),
        "command": [],
        "user": spec.user,
        "readonlyRootFilesystem": True,
        "environment": plain_environment(task, spec.database),
        "secrets": [
            {"name": item.env_var,
             "valueFrom": f"{spec.secret_arns[item.secret]}:{item.json_key}::"}
            for item in container_secrets(task, spec.database)
        ],
        "mountPoints": [{"sourceVolume": SCRATCH_VOLUME, "containerPath": SCRATCH_PATH,
                         "readOnly": False}],
        "portMappings": [],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": spec.log_group,
            "awslogs-region": spec.region,
            "awslogs-stream-prefix": LOG_STREAM_PREFIX,
        }},
    }
