"""One task's entry in the launch settings: how to start it, and what a request may say.

The stack writes these entries from the tasks it deployed (built-in and application
tasks alike); the launcher validates every request against them, so it needs no code
for an application task.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tasks.contract.argv_templates import (
    MAX_ARGUMENT_LENGTH,
    MAX_ARGUMENTS,
    MAX_STEPS,
    render_steps,
    segments,
)
from tasks.contract.catalog import MAX_TIMEOUT_SECONDS, CatalogEntry, ImageKind
from tasks.contract.errors import InvalidInput
from tasks.contract.parameters import ParameterSpec, parse_parameter
from tasks.contract.run_record import RECORD_CONTAINER
from tasks.contract.tenants import TENANT, TenantSource, parse_tenant_source

#: A container image reference: registry/repository, optional tag, optional digest.
IMAGE_REFERENCE = re.compile(
    r"[a-z0-9.-]+(?::\d+)?/[a-z0-9._/-]+(?::[A-Za-z0-9._-]{1,128})?(?:@sha256:[0-9a-f]{64})?")
_FAMILY = re.compile(r"[A-Za-z0-9_-]{1,255}")
_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
TASK_KEYS = {"taskDefinition", "container", "logStreamPrefix", "timeoutSeconds", "description",
             "image", "imageRef", "steps", "previewSteps", "parameters"}
#: A tenant task's entry has both (tasks.contract.tenants); any other entry neither.
TENANT_KEYS = {"tenantSteps", "tenants"}
Bad = Callable[[str, str], InvalidInput]


@dataclass(frozen=True)
class TaskContract:
    """What a request for a task may say and what will run: the part of a task's settings
    a reviewer sees. A built-in task has one without any launch settings."""

    description: str
    image: ImageKind
    steps: tuple[tuple[str, ...], ...]
    parameters: tuple[ParameterSpec, ...]
    timeout_seconds: int
    preview_steps: tuple[tuple[str, ...], ...] = field(default=(), kw_only=True)
    """What ``--preview`` runs instead (application tasks that declare it)."""
    image_ref: str = field(default="", kw_only=True)
    """The image the task definition runs (``…@sha256:<digest>`` for an application
    task); empty for a built-in task's contract read from the catalog alone."""
    tenant_steps: tuple[tuple[str, ...], ...] = field(default=(), kw_only=True)
    """Run once per tenant, ``{tenant}`` in place (tasks.contract.tenants)."""
    tenant_source: TenantSource | None = field(default=None, kw_only=True)

    @property
    def image_digest(self) -> str | None:
        return self.image_ref.partition("@")[2] or None

    @classmethod
    def built_in(cls, entry: CatalogEntry) -> TaskContract:
        return cls(description=entry.description, image="tasks", steps=(entry.argv,),
                   parameters=entry.parameters, timeout_seconds=entry.timeout_seconds)

    @property
    def previewable(self) -> bool:
        """This package's commands can preview; an application task if it declares
        ``previewSteps``."""
        return self.image == "tasks" or bool(self.preview_steps)

    def argv(self, values: Mapping[str, str], preview: bool = False) -> list[list[str]]:
        """What will run, with the parameter values in place: the preview steps of an
        application task for a preview."""
        steps = self.preview_steps if preview and self.image == "app" else self.steps
        return render_steps(steps, self.parameters, values)



@dataclass(frozen=True)
class TaskSettings(TaskContract):
    """How to start one task in this environment, and the parameters it takes."""

    task_definition: str
    container: str
    log_stream_prefix: str

    def log_stream(self, task_id: str, container: str | None = None) -> str:
        return f"{self.log_stream_prefix}/{container or self.container}/{task_id}"

    @property
    def reporting_container(self) -> str:
        """The container whose exit code and result line are the run's: an application
        task's recorder (tasks.contract.run_record), else the task's own container."""
        return RECORD_CONTAINER if self.image == "app" else self.container

    def log_streams(self, task_id: str) -> tuple[str, ...]:
        """The streams to follow: the task's container, then its recorder if it has one."""
        names = dict.fromkeys((self.container, self.reporting_container))
        return tuple(self.log_stream(task_id, name) for name in names)


def parse_task(name: str, raw: object, bad: Bad) -> TaskSettings:
    """``tasks.<name>``; ``bad(where, problem)`` makes the error naming the key."""
    where = f"tasks.{name}."
    if not isinstance(raw, dict) or set(raw) not in (TASK_KEYS, TASK_KEYS | TENANT_KEYS):
        raise bad(f"tasks.{name}", f"must be an object with exactly the keys {sorted(TASK_KEYS)} "
                  f"(and {sorted(TENANT_KEYS)} for a tenant task)")
    timeout = raw["timeoutSeconds"]
    if (isinstance(timeout, bool) or not isinstance(timeout, int)
            or not 60 <= timeout <= MAX_TIMEOUT_SECONDS):
        raise bad(f"{where}timeoutSeconds",
                  f"must be a whole number of seconds from 60 to {MAX_TIMEOUT_SECONDS}")
    description = raw["description"]
    if not isinstance(description, str) or not 0 < len(description) <= 200 \
            or not description.isprintable():
        raise bad(f"{where}description", "must be one printable line of 1-200 characters")
    if raw["image"] not in ("tasks", "app"):
        raise bad(f"{where}image", 'must be "tasks" or "app"')
    parameters = _parameters(where, raw["parameters"], bad)
    image_ref = raw["imageRef"]
    if not isinstance(image_ref, str) or not IMAGE_REFERENCE.fullmatch(image_ref) or (
            raw["image"] == "app" and "@sha256:" not in image_ref):
        raise bad(f"{where}imageRef", "must be an image reference (an application image "
                  "pinned by @sha256:<digest>)")
    preview = raw["previewSteps"]
    tenant_steps, source = _tenant_part(where, raw, parameters, bad)
    return TaskSettings(
        tenant_steps=tenant_steps, tenant_source=source,
        image_ref=image_ref,
        preview_steps=() if preview == [] else _steps(where, preview, parameters, bad),
        task_definition=_string(raw, "taskDefinition", _FAMILY, where, bad),
        container=_string(raw, "container", _NAME, where, bad),
        log_stream_prefix=_string(raw, "logStreamPrefix", _NAME, where, bad),
        timeout_seconds=timeout, description=description, image=raw["image"],
        steps=_steps(where, raw["steps"], parameters, bad), parameters=parameters)


def _tenant_part(where: str, raw: Mapping[str, Any], parameters: tuple[ParameterSpec, ...],
                 bad: Bad) -> tuple[tuple[tuple[str, ...], ...], TenantSource | None]:
    if "tenants" not in raw:
        return (), None
    if raw["image"] != "app":
        raise bad(f"{where}tenants", "belongs to application tasks only")
    try:
        source = parse_tenant_source(raw["tenants"], f"{where}tenants")
    except InvalidInput as error:
        raise bad(f"{where}tenants", str(error)) from None
    return _steps(where, raw["tenantSteps"], (*parameters, TENANT), bad), source


def _string(raw: Mapping[str, Any], key: str, pattern: re.Pattern[str], where: str,
            bad: Bad) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise bad(f"{where}{key}", f"is missing or malformed (got {str(value)[:80]!r})")
    return value


def _parameters(where: str, raw: object, bad: Bad) -> tuple[ParameterSpec, ...]:
    if not isinstance(raw, dict):
        raise bad(f"{where}parameters", "must map parameter names to their rules")
    specs = []
    for name, document in raw.items():
        try:
            specs.append(parse_parameter(str(name), document))
        except InvalidInput as error:
            raise bad(f"{where}parameters.{name}", str(error)) from None
    if len({spec.env_var for spec in specs}) != len(specs):
        raise bad(f"{where}parameters", "gives two parameters the same env variable")
    return tuple(specs)


def _steps(where: str, raw: object, parameters: tuple[ParameterSpec, ...],
           bad: Bad) -> tuple[tuple[str, ...], ...]:
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_STEPS or not all(
            isinstance(step, list) and 0 < len(step) <= MAX_ARGUMENTS
            and all(isinstance(a, str) and len(a) <= MAX_ARGUMENT_LENGTH for a in step)
            for step in raw):
        raise bad(f"{where}steps", f"must be 1-{MAX_STEPS} argv lists of strings")
    for step in raw:
        for element in step:
            try:
                segments(element, parameters)
            except ValueError as error:
                raise bad(f"{where}steps", f"argument {element[:80]!r} {error}") from None
    return tuple(tuple(step) for step in raw)
