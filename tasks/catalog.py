"""The catalog: the single list of admin tasks.

The stack creates one task definition per entry enabled for an environment, the
launcher validates a request against it, and the workflow's ``task`` choice list must
equal its names (a test checks). No Pulumi import here: the container and the
workflow read it too.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from tasks.errors import InvalidInput
from tasks.validation import validate_email

ImageKind = Literal["tasks", "app"]

# The launcher's AWS credentials come from a one-hour role session (the stack's
# maximum): it must still be able to stop the task and drain its logs at the timeout.
MAX_TIMEOUT_SECONDS = 3300
SecretName = Literal["database", "django-superuser"]


@dataclass(frozen=True)
class Parameter:
    """An operator-supplied value, passed to the container as an environment variable."""

    name: str
    env_var: str
    description: str
    validator: Callable[[str], str]
    required: bool = True


@dataclass(frozen=True)
class SecretInput:
    """An environment variable ECS fills from a JSON key of a Secrets Manager secret."""

    env_var: str
    secret: SecretName
    json_key: str


@dataclass(frozen=True)
class CatalogEntry:
    """One admin task. ``command`` is None when the stack supplies it (``migrate``)."""

    name: str
    description: str
    image: ImageKind
    command: tuple[str, ...] | None
    parameters: tuple[Parameter, ...]
    secrets: tuple[SecretInput, ...]
    environments: frozenset[str] | None  # None: every environment
    timeout_seconds: int

    def enabled_in(self, environment: str) -> bool:
        return self.environments is None or environment in self.environments

    def parameter(self, name: str) -> Parameter:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        known = ", ".join(p.name for p in self.parameters) or "none"
        raise InvalidInput(f"task {self.name} has no parameter {name!r} (its parameters: {known})")


DATABASE_URL = SecretInput("DATABASE_URL", "database", "url")

CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="seed-admin",
        description="Make sure an active admin exists for an email (role schema).",
        image="tasks",
        command=("seed-admin",),
        parameters=(
            Parameter("email", "ADMIN_EMAIL", "the admin's email address", validate_email),
        ),
        secrets=(DATABASE_URL,),
        environments=None,
        timeout_seconds=600,
    ),
    CatalogEntry(
        name="seed-superuser",
        description="Make sure a Django superuser exists, from the superuser secret.",
        image="tasks",
        command=("seed-superuser",),
        parameters=(),
        secrets=(
            DATABASE_URL,
            SecretInput("DJANGO_SUPERUSER_USERNAME", "django-superuser", "username"),
            SecretInput("DJANGO_SUPERUSER_EMAIL", "django-superuser", "email"),
            SecretInput("DJANGO_SUPERUSER_PASSWORD", "django-superuser", "password"),
        ),
        environments=None,
        timeout_seconds=600,
    ),
    CatalogEntry(
        name="migrate",
        description="Run the application's migrations (steps from stack config) in its image.",
        image="app",
        command=None,
        parameters=(),
        secrets=(DATABASE_URL,),
        environments=None,
        timeout_seconds=3000,
    ),
)


def task_names() -> list[str]:
    return [entry.name for entry in CATALOG]


def get_task(name: str) -> CatalogEntry:
    for entry in CATALOG:
        if entry.name == name:
            return entry
    raise InvalidInput(f"unknown task {name!r}: choose one of {', '.join(task_names())}")


def steps_command(steps: Sequence[Sequence[str]]) -> list[str]:
    """A container command that runs each argv step in order and fails on the first error.

    Every argument is shell-quoted, so a step cannot smuggle in ``|| echo`` or ``;``:
    the shell sees only whole words, and ``set -eux`` echoes each step and stops at the first non-zero exit.
    """
    if not steps or any(not step or not all(isinstance(arg, str) and arg for arg in step)
                        for step in steps):
        raise InvalidInput("each step must be a non-empty list of non-empty strings")
    script = "\n".join(["set -eux", *(shlex.join(step) for step in steps)])
    return ["/bin/sh", "-c", script]
