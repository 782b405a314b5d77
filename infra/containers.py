"""Container definitions of the admin task definitions, as pure functions (guardrail 5).

Every task definition starts with ``admin_tasks_prepare`` (tasks/contract/run_record.py):
Fargate creates a bind-mount volume owned by root with mode 0755, so it makes ``/tmp``
and the shared run directory writable for the non-root containers after it
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html). A
built-in task's container follows; an application task's container follows its recorder.

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
    HEALTH_CHECK,
    PREPARE_ARGV,
    PREPARE_CONTAINER,
    RECORD_CONTAINER,
    SCRATCH_PATH,
    SCRATCH_VOLUME,
    SEALED_SUPERUSER_VARIABLE,
    SHARED_PATH,
    SHARED_VOLUME,
    Binding,
    SecretInput,
    SecretName,
    record_argv,
    secret_inputs,
)

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
    tasks_image: str = ""
    """The tasks image, which the prepare container and an application task's recorder run."""
    record_declaration: Mapping[str, Any] | None = None
    """An application task's launch-settings entry, fixed in its recorder's entry point."""
    environment: str = ""
    """The environment's name (in the recorder's declaration)."""


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


def binding_argv(spec: ContainerSpec, *, superuser: bool) -> list[str]:
    """The database binding (and superuser seal) a tasks-image command is started with
    (tasks.contract.binding), between the entry point and the command."""
    database = spec.database
    assert database.host is not None and database.name is not None  # parse_database
    seal = spec.superuser_seal if superuser else None
    assert seal is not None or not superuser  # parse_config requires it
    return Binding(host=database.host, port=database.port, name=database.name,
                   credentials="url" if database.existing_secret_arn is None
                   else "user-password", auth=database.auth, sslmode="require",
                   iterations=DEFAULT_ITERATIONS, seal=seal).argv()


def bound_entry_point(task: TaskSpec, spec: ContainerSpec) -> list[str]:
    """A built-in task's entry point with its database binding before the command; an
    application task's as declared."""
    if task.image != "tasks" or DATABASE not in task.secrets:
        return list(task.entry_point)
    prefix = len(CONTAINER_ENTRY_POINT)
    return [*task.entry_point[:prefix],
            *binding_argv(spec, superuser=SUPERUSER in task.secrets),
            *task.entry_point[prefix:]]


def _mounts(*volumes: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"sourceVolume": name, "containerPath": path, "readOnly": False}
            for name, path in volumes]


SCRATCH = (SCRATCH_VOLUME, SCRATCH_PATH)
SHARED = (SHARED_VOLUME, SHARED_PATH)


def _logging(spec: ContainerSpec) -> dict[str, Any]:
    return {"logDriver": "awslogs", "options": {
        "awslogs-group": spec.log_group, "awslogs-region": spec.region,
        "awslogs-stream-prefix": LOG_STREAM_PREFIX}}


def prepare_container(spec: ContainerSpec) -> dict[str, Any]:
    """uid 0 with every capability dropped: it can chmod the root-owned volumes (it owns
    them) and nothing a capability would allow; no secret, no network use, then it exits."""
    return {"name": PREPARE_CONTAINER, "image": spec.tasks_image,
            "essential": False, "entryPoint": list(PREPARE_ARGV), "command": [],
            "user": "0", "readonlyRootFilesystem": True, "environment": [], "secrets": [],
            "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
            "mountPoints": _mounts(SCRATCH, SHARED), "portMappings": [],
            "logConfiguration": _logging(spec)}


def _after_prepare() -> list[dict[str, str]]:
    return [{"containerName": PREPARE_CONTAINER, "condition": "SUCCESS"}]


def record_container(task: TaskSpec, spec: ContainerSpec) -> dict[str, Any]:
    """An application task's recorder: the tasks image, bound to the stack's database."""
    assert spec.record_declaration is not None
    record = TaskSpec(name=RECORD_CONTAINER, description=task.description,
                      image="tasks", entry_point=(), steps=(), parameters=(),
                      secrets=(DATABASE,), timeout_seconds=task.timeout_seconds)
    return {"name": RECORD_CONTAINER, "image": spec.tasks_image, "essential": True,
            "entryPoint": [*CONTAINER_ENTRY_POINT, *binding_argv(spec, superuser=False),
                           *record_argv(spec.environment, task.name,
                                                   spec.record_declaration)],
            "command": [], "user": spec.user, "readonlyRootFilesystem": True,
            "environment": plain_environment(record, spec.database),
            "secrets": _secrets(record, spec), "mountPoints": _mounts(SCRATCH, SHARED),
            "dependsOn": _after_prepare(), "healthCheck": dict(HEALTH_CHECK),
            "portMappings": [], "logConfiguration": _logging(spec)}


def task_containers(task: TaskSpec, spec: ContainerSpec) -> list[dict[str, Any]]:
    """Every container of the task's definition, in start order."""
    main = container_definition(task, spec)
    if task.image == "tasks":
        return [prepare_container(spec), {**main, "dependsOn": _after_prepare()}]
    depends = [*_after_prepare(),
               {"containerName": RECORD_CONTAINER, "condition": "HEALTHY"}]
    return [prepare_container(spec), record_container(task, spec),
            {**main, "essential": False, "dependsOn": depends,
             "mountPoints": _mounts(SCRATCH, SHARED)}]


def _secrets(task: TaskSpec, spec: ContainerSpec) -> list[dict[str, str]]:
    return [{"name": item.env_var,
             "valueFrom": value_from(spec.secret_arns[item.secret], item.json_key)}
            for item in container_secrets(task, spec.database)] + [
        {"name": secret.name, "valueFrom": value_from(secret.arn, secret.json_key)}
        for secret in (spec.app_secrets[name] for name in task.app_secrets)]


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
        "secrets": _secrets(task, spec),
        "mountPoints": _mounts(SCRATCH),
        "portMappings": [],
        "logConfiguration": _logging(spec),
    }
    if task.working_directory is not None:
        definition["workingDirectory"] = task.working_directory
    return definition
