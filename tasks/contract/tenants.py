"""Tenant runs: where a stack's tenants are, the ``{tenant}`` placeholder, and the controls
of one run (``--canary``, ``--on-failure``, ``--parallel``, ``--tenants``, ``--resume``).

An application task that declares ``tenantSteps`` runs them once per tenant, after its
``steps``, with ``{tenant}`` holding the tenant's schema name. The stack says where the
tenants are (``admin-tasks:tenants``: ``table``, ``schemaColumn``, ``exclude``); the
recorder, in this project's image, reads them and keeps the run's ledger
(:mod:`tasks.jobs.tenant_ledger`). The controls are part of the request a reviewer
approves (its digest binds them) and reach the recorder as one JSON variable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tasks.contract.errors import InvalidInput
from tasks.contract.parameters import ParameterSpec

#: What django-tenants accepts as a schema name, less a leading hyphen (an argv element
#: that starts with one would read as an option).
SCHEMA_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,62}", re.ASCII)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}", re.ASCII)
#: The reserved placeholder; no declared parameter may take its name.
TENANT_PLACEHOLDER = "tenant"
#: The entry script's own variable: set from the recorder's answer, never from the
#: environment (the script assigns it before any tenant step reads it).
TENANT_VARIABLE = "admin_tasks_tenant"
TENANT = ParameterSpec(name=TENANT_PLACEHOLDER, type="string", env_var=TENANT_VARIABLE,
                       description="the tenant's schema name", pattern=SCHEMA_NAME.pattern,
                       max_length=63)
#: The recorder's input variable: the run's controls as JSON (:meth:`TenantControls.to_json`).
CONTROLS_VARIABLE = "ADMIN_TASK_TENANT_RUN"
#: Which of the run's ECS tasks this is (1 to parallel); task 1 alone runs ``steps``.
WORKER_VARIABLE = "ADMIN_TASK_WORKER"
#: The pipe through which the recorder tells the entry script what to run next, one line
#: each: ``s`` (the steps), ``p`` (the preview steps), ``t <schema>`` (one tenant), ``e``.
WORK_PIPE = "/run/admin-tasks/work"
MAX_CANARY = 100
MAX_SUBSET = 200
MAX_PARALLEL = 16
OnFailure = Literal["stop", "continue"]
#: ``--resume`` takes the run as ``<environment>/<task>/<run id>`` (the result line prints
#: it), so a run of another task or environment is refused before any AWS call.
RESUME_ID = re.compile(r"(?P<environment>[a-z][a-z0-9-]{0,31})/(?P<task>[a-z][a-z0-9-]{0,39})/"
                       r"(?P<run>[A-Za-z0-9-]{1,80})", re.ASCII)


def schema_name(raw: str, where: str) -> str:
    if not SCHEMA_NAME.fullmatch(raw):
        raise InvalidInput(f"{where} {raw[:80]!r} is not a schema name: letters, digits, _ and "
                           "- (not first), at most 63 characters")
    return raw


@dataclass(frozen=True)
class TenantSource:
    """``admin-tasks:tenants``: the table that lists the tenants and its schema column."""

    table: str
    schema_column: str
    exclude: tuple[str, ...] = ("public",)
    max_parallel_tasks: int = 1
    """``admin-tasks:maxParallelTasks``: the most ECS tasks one run may use at once."""

    def to_document(self) -> dict[str, Any]:
        return {"table": self.table, "schemaColumn": self.schema_column,
                "exclude": list(self.exclude), "maxParallelTasks": self.max_parallel_tasks}


def parse_tenant_source(raw: object, key: str = "admin-tasks:tenants") -> TenantSource:
    """The stack key (or its copy in a task's settings), every part checked; the table may
    be schema-qualified (``public.customers_client``)."""
    if not isinstance(raw, Mapping) or not {"table", "schemaColumn"} <= set(raw) \
            or set(raw) - {"table", "schemaColumn", "exclude", "maxParallelTasks"}:
        raise InvalidInput(f"{key} must be an object with table, schemaColumn and optionally "
                           'exclude, e.g. {"table": "customers_client", "schemaColumn": '
                           '"schema_name"}')
    table, column = raw["table"], raw["schemaColumn"]
    parts = table.split(".") if isinstance(table, str) else []
    if not 0 < len(parts) <= 2 or not all(_IDENTIFIER.fullmatch(p) for p in parts):
        raise InvalidInput(f"{key}.table must be a table name, optionally schema-qualified "
                           f"(letters, digits, _ and $), got {str(table)[:80]!r}")
    if not isinstance(column, str) or not _IDENTIFIER.fullmatch(column):
        raise InvalidInput(f"{key}.schemaColumn must be a column name (letters, digits, _ and "
                           f"$), got {str(column)[:80]!r}")
    exclude = raw.get("exclude", ["public"])
    if not isinstance(exclude, list) or not all(
            isinstance(e, str) and 0 < len(e) <= 255 and e.isprintable() for e in exclude):
        raise InvalidInput(f"{key}.exclude must list the tenant table's values to leave out "
                           "(each one printable line), e.g. [public]")
    most = raw.get("maxParallelTasks", 1)
    if isinstance(most, bool) or not isinstance(most, int) or not 1 <= most <= MAX_PARALLEL:
        raise InvalidInput(f"maxParallelTasks must be a whole number from 1 to {MAX_PARALLEL}, "
                           f"got {str(most)[:20]!r}")
    return TenantSource(table=table, schema_column=column, max_parallel_tasks=most,
                        exclude=tuple(exclude))


@dataclass(frozen=True)
class TenantControls:
    """How one run goes over the tenants; what the reviewer sees and the digest binds."""

    canary: int = 1
    on_failure: OnFailure = "stop"
    parallel: int = 1
    tenants: tuple[str, ...] = ()
    """A subset, in this order (empty: every tenant the table lists)."""
    resume: str | None = None
    """``<environment>/<task>/<run id>`` of an earlier run: exactly its tenants that did
    not succeed."""

    def to_document(self) -> dict[str, Any]:
        return {"canary": self.canary, "onFailure": self.on_failure, "parallel": self.parallel,
                "tenants": list(self.tenants), "resume": self.resume}

    def to_json(self) -> str:
        return json.dumps(self.to_document(), sort_keys=True, separators=(",", ":"))

    @property
    def resumed_run(self) -> str | None:
        """The run id part of ``resume``."""
        match = RESUME_ID.fullmatch(self.resume or "")
        return match["run"] if match else None


def tenant_controls(*, canary: int, on_failure: str, parallel: int, tenants: str | None,
                    resume: str | None, environment: str, task: str,
                    max_parallel: int) -> TenantControls:
    """The controls as the launcher reads them (exit 2 for each bad one, before any AWS
    call) and as the recorder reads them back, with the same checks."""
    if not 0 <= canary <= MAX_CANARY:
        raise InvalidInput(f"--canary must be 0 to {MAX_CANARY} tenants, got {canary}")
    if on_failure not in ("stop", "continue"):
        raise InvalidInput(f"--on-failure must be stop or continue, got {on_failure[:40]!r}")
    if not 1 <= parallel <= max_parallel:
        raise InvalidInput(f"--parallel must be 1 to {max_parallel} (the stack's "
                           f"maxParallelTasks), got {parallel}")
    subset = tuple(dict.fromkeys(schema_name(name.strip(), "--tenants names")
                                 for name in (tenants or "").split(",") if name.strip()))
    if len(subset) > MAX_SUBSET:
        raise InvalidInput(f"--tenants names {len(subset)} tenants; at most {MAX_SUBSET}")
    if resume is not None:
        match = RESUME_ID.fullmatch(resume)
        if match is None:
            raise InvalidInput(f"--resume {resume[:80]!r} is not a run: pass what the earlier "
                               "run's result line names, <environment>/<task>/<run id>")
        if (match["environment"], match["task"]) != (environment, task):
            raise InvalidInput(f"--resume names a run of {match['task']} on "
                               f"{match['environment']}, not of {task} on {environment}: a run "
                               "resumes only the same task in the same environment")
        if subset:
            raise InvalidInput("--resume and --tenants exclude each other: a resumed run takes "
                               "exactly the tenants of that run that did not succeed")
    return TenantControls(canary=canary, on_failure=on_failure,  # type: ignore[arg-type]
                          parallel=parallel, tenants=subset, resume=resume)


def controls_from_json(raw: str, environment: str, task: str,
                       max_parallel: int = MAX_PARALLEL) -> TenantControls:
    """:data:`CONTROLS_VARIABLE` as the recorder reads it: the launcher's checks again."""
    try:
        document = json.loads(raw) if len(raw) <= 64 * 1024 else None
    except ValueError:
        document = None
    keys = {"canary", "onFailure", "parallel", "tenants", "resume"}
    if not isinstance(document, dict) or set(document) != keys or not all(
            isinstance(document[k], int) and not isinstance(document[k], bool)
            for k in ("canary", "parallel")) or not isinstance(document["tenants"], list) \
            or not all(isinstance(t, str) for t in document["tenants"]) \
            or not isinstance(document["onFailure"], str) \
            or not isinstance(document["resume"], str | None):
        raise InvalidInput(f"{CONTROLS_VARIABLE} is not the launcher's tenant controls")
    return tenant_controls(canary=document["canary"], on_failure=document["onFailure"],
                           parallel=document["parallel"], tenants=",".join(document["tenants"]),
                           resume=document["resume"], environment=environment, task=task,
                           max_parallel=max_parallel)
