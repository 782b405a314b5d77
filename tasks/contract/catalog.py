"""The catalog: the built-in admin tasks, the commands of this package.

The stack creates one task definition per entry enabled for an environment (and one
per application task declared in its config, :mod:`tasks.contract.app_tasks`) and puts every
task's parameters into the launch settings, from which the launcher validates a
request. The workflow's ``task`` choice list holds these names and every application
task of the stack files (a test checks). No Pulumi import here: the container and the
workflow read it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tasks.contract.errors import InvalidInput
from tasks.contract.parameters import ParameterSpec

ImageKind = Literal["tasks", "app"]
SecretName = Literal["database", "django-superuser"]

# The launcher's AWS credentials come from a one-hour role session (the stack's
# maximum): it must still be able to stop the task and drain its logs at the timeout.
MAX_TIMEOUT_SECONDS = 3300
DEFAULT_TIMEOUT_SECONDS = 600
# Task names become task-definition families (admin-tasks-<env>-<task>), container
# names and workflow choices: one rule for built-in and application tasks.
TASK_NAME = re.compile(r"[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?")
# How the task definitions start this package: `-I` makes the interpreter ignore PYTHON*
# variables and the user site, so no environment override can make it run other code
# (PYTHONWARNINGS importing a module that runs $BROWSER, say).
CONTAINER_ENTRY_POINT = ("python", "-I", "-m", "tasks.container")


@dataclass(frozen=True)
class SecretInput:
    """An environment variable ECS fills from a JSON key of a Secrets Manager secret (the
    whole secret when ``json_key`` is None)."""

    env_var: str
    secret: SecretName
    json_key: str | None


# What each of the stack's secrets puts into a container that receives it.
SECRET_INPUTS: dict[SecretName, tuple[SecretInput, ...]] = {
    "database": (SecretInput("DATABASE_URL", "database", "url"),),
    "django-superuser": (
        SecretInput("DJANGO_SUPERUSER_USERNAME", "django-superuser", "username"),
        SecretInput("DJANGO_SUPERUSER_EMAIL", "django-superuser", "email"),
        SecretInput("DJANGO_SUPERUSER_PASSWORD", "django-superuser", "password"),
    ),
}


def secret_inputs(names: tuple[SecretName, ...]) -> tuple[SecretInput, ...]:
    return tuple(item for name in names for item in SECRET_INPUTS[name])


@dataclass(frozen=True)
class CatalogEntry:
    """One built-in admin task: a command of this package, run in its image."""

    name: str
    description: str
    command: tuple[str, ...]
    parameters: tuple[ParameterSpec, ...]
    secrets: tuple[SecretName, ...]
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    environments: frozenset[str] | None = None  # None: every environment

    def enabled_in(self, environment: str) -> bool:
        return self.environments is None or environment in self.environments

    @property
    def argv(self) -> tuple[str, ...]:
        """The container's whole argv (its entry point in the task definition)."""
        return (*CONTAINER_ENTRY_POINT, *self.command)


EMAIL = ParameterSpec("email", "email", "the admin's email address", "ADMIN_EMAIL")
USERNAME = ParameterSpec("username", "string", "the superuser's username", "ADMIN_USERNAME",
                         pattern=r"[\w.@+-]{1,150}")
#: A lower-case PostgreSQL identifier, never a pg_ system schema (django-tenants refuses
#: those too). Optional: without it the tables are those of the connection's search path.
SCHEMA = ParameterSpec("schema", "string", "the PostgreSQL schema of auth_user, e.g. a "
                       "django-tenants tenant's; default: the search path's, public",
                       "ADMIN_TASK_PARAM_SCHEMA", required=False,
                       pattern=r"(?!pg_)[a-z_][a-z0-9_]{0,62}", max_length=63)

CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="seed-admin",
        description="Make sure an active admin exists for an email (role schema).",
        command=("seed-admin",),
        parameters=(EMAIL,),
        secrets=("database",),
    ),
    CatalogEntry(
        name="seed-superuser",
        description="Make sure a Django superuser exists, from the superuser secret.",
        command=("seed-superuser",),
        parameters=(SCHEMA,),
        secrets=("database", "django-superuser"),
    ),
    CatalogEntry(
        name="remove-admin",
        description="Soft-delete an admin account, never the last active admin (role schema).",
        command=("remove-admin",),
        parameters=(EMAIL,),
        secrets=("database",),
    ),
    CatalogEntry(
        name="reactivate-admin",
        description="Make an inactive admin account active again (role schema).",
        command=("reactivate-admin",),
        parameters=(EMAIL,),
        secrets=("database",),
    ),
    CatalogEntry(
        name="deactivate-superuser",
        description="Deactivate a Django superuser, never the last active one.",
        command=("deactivate-superuser",),
        parameters=(USERNAME,),
        secrets=("database",),
    ),
    CatalogEntry(
        name="reset-superuser-password",
        description="Set a Django superuser's password to the one in the superuser secret.",
        command=("reset-superuser-password",),
        parameters=(USERNAME,),
        secrets=("database", "django-superuser"),
    ),
)


def task_names() -> list[str]:
    return [entry.name for entry in CATALOG]


def get_task(name: str) -> CatalogEntry:
    for entry in CATALOG:
        if entry.name == name:
            return entry
    raise InvalidInput(f"unknown task {name!r}: choose one of {', '.join(task_names())}")
