"""Container definitions of the admin task definitions, as pure functions (guardrail 5).

Secrets reach the container only through `secrets[].valueFrom` (`<arn>:<json key>::`),
resolved by ECS at start with the execution role; plain `environment` carries nothing
secret. The awslogs stream is `<prefix>/<container>/<task id>`, which the launcher's
settings contract relies on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.app_secrets import AppSecret
from infra.config_sections import DatabaseConfig
from infra.naming import LOG_STREAM_PREFIX
from infra.task_specs import TaskSpec
from tasks.contract import (
    CONTAINER_ENTRY_POINT,
    DEFAULT_ITERATIONS,
    SEALED_SUPERUSER_VARIABLE,
    Binding,
    SecretInput,
    SecretName,
    secret_inputs,
)

SCRATCH_VOLUME = "tmp"  # the only writable path: the root filesystem is read-only
SCRATCH_PATH = "/tmp"  # noqa: S108 -- a per-task Fargate volume, not a shared host directory
DATABASE: SecretName = "database"
SUPERUSER: SecretName = "django-superuser"


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
    superuser_seal: str | None = None
    """`sha256:<hex>` bound in the tasks that read the superuser secret."""
    app_secrets: Mapping[str, AppSecret] = field(default_factory=dict)
    """`appSecrets` of the stack, by variable name."""


def container_secrets(task: TaskSpec, database: DatabaseConfig) -> tuple[SecretInput, ...]:
    """The task's secrets, with DATABASE_URL swapped for user/password of an existing secret,
    and, for a built-in task, the superuser secret whole (its seal covers its keys)."""
    swapped: list[SecretInput] = []
    for item in secret_inputs(task.secrets):
        if item.secret == DATABASE and database.existing_secret_arn is not None:
            swapped += [SecretInput("DATABASE_USER", DATABASE, "username"),
                        SecretInput("DATABASE_PASSWORD", DATABASE, "password")]
        elif item.secret == SUPERUSER and task.image == "tasks":
            swapped.append(SecretInput(SEALED_SUPERUSER_VARIABLE, SUPERUSER, None))
        else:
            swapped.append(item)
    return tuple(dict.fromkeys(swapped))


def value_from(arn: str, json_key: str | None) -> str:
    """`valueFrom` of a secret: `<arn>:<json key>::`, or the bare ARN for the whole secret."""
    return arn if json_key is None else f"{arn}:{json_key}::"


def plain_environment(task: TaskSpec, database: DatabaseConfig) -> list[dict[str, str]]:
    """Non-secret settings: Python hygiene; where the database is, for an application task
    with an existing secret (a built-in task's is bound in its entry point instead)."""
    values = {**dict(task.environment), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"}
    uses_database = DATABASE in task.secrets
    if database.existing_secret_arn is not None and uses_database and task.image == "app":
        values |= {"DATABASE_HOST": str(database.host), "DATABASE_PORT": str(database.port),
                   "DATABASE_NAME": str(database.name)}
    return [{"name": name, "value": value} for name, value in sorted(values.items())]


def bound_entry_point(task: TaskSpec, spec: ContainerSpec) -> list[str]:
    """A built-in task's entry point with its database binding (and superuser seal) before
    the command (tasks.contract.binding); an application task's as declared."""
    database = spec.database
    if task.image != "tasks" or DATABASE not in task.secrets:
        return list(task.entry_point)
    assert database.host is not None and database.name is not None  # parse_database
    seal = spec.superuser_seal if SUPERUSER in task.secrets else None
    assert seal is not None or SUPERUSER not in task.secrets  # parse_config requires it
    binding = Binding(host=database.host, port=database.port, name=database.name,
                      credentials="url" if database.existing_secret_arn is None
                      else "user-password", auth=database.auth, sslmode="require",
                      iterations=DEFAULT_ITERATIONS, seal=seal)
    prefix = len(CONTAINER_ENTRY_POINT)
    return [*task.entry_point[:prefix], *binding.argv(), *task.entry_point[prefix:]]


def container_definition(task: TaskSpec, spec: ContainerSpec) -> dict[str, Any]:
    # The whole argv is the entry point and the command is empty: RunTask can override
    # `command` (which would only append arguments, refused by both kinds of task) but
    # never `entryPoint`.
    definition: dict[str, Any] = {
        "name": task.name,
        "image": spec.image,
        "essential": True,
        "entryPoint": bound_entry_point(task, spec),
        "command": [],
        "user": spec.user,
        "readonlyRootFilesystem": True,
        "environment": plain_environment(task, spec.database),
        "secrets": [
            {"name": item.env_var,
             "valueFrom": value_from(spec.secret_arns[item.secret], item.json_key)}
            for item in container_secrets(task, spec.database)
        ] + [{"name": secret.name, "valueFrom": value_from(secret.arn, secret.json_key)}
             for secret in (spec.app_secrets[name] for name in task.app_secrets)],
        "mountPoints": [{"sourceVolume": SCRATCH_VOLUME, "containerPath": SCRATCH_PATH,
                         "readOnly": False}],
        "portMappings": [],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": spec.log_group,
            "awslogs-region": spec.region,
            "awslogs-stream-prefix": LOG_STREAM_PREFIX,
        }},
    }
    if task.working_directory is not None:
        definition["workingDirectory"] = task.working_directory
    return definition
