"""The tasks one stack deploys: enabled built-in tasks and the declared application tasks.

Both become a :class:`TaskSpec`, the one shape the task definitions, the launch settings
and the IAM policies are built from, so a built-in task and an application task get the
same guardrails.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from infra import config_rules as rules
from infra.config_values import ConfigReader, config_error
from tasks.contract import (
    AppTask,
    CatalogEntry,
    DeclarationError,
    ImageKind,
    InvalidInput,
    ParameterSpec,
    SecretName,
    TenantSource,
    entry_point,
    get_task,
    parse_app_tasks,
    parse_tenant_source,
    task_names,
)


@dataclass(frozen=True)
class TaskSpec:
    """One task of the stack, built-in or application, as everything downstream sees it."""

    name: str
    """Task name: family `admin-tasks-<env>-<name>`, container name, workflow choice."""
    description: str
    """One line, shown in the approval request and the job summary."""
    image: ImageKind
    """`tasks` (this package's image) or `app` (the application's image)."""
    entry_point: tuple[str, ...]
    """The container's whole argv: the entry point, which RunTask overrides cannot change."""
    steps: tuple[tuple[str, ...], ...]
    """What a reviewer is shown will run, with `{name}` placeholders for parameters."""
    parameters: tuple[ParameterSpec, ...]
    """Parameters the launcher validates and passes as environment overrides."""
    secrets: tuple[SecretName, ...]
    """The stack's secrets this task receives."""
    timeout_seconds: int
    """The launcher's default timeout for the task."""
    preview_steps: tuple[tuple[str, ...], ...] = ()
    """What `--preview` runs instead of `steps` (application tasks that declare it)."""
    environment: tuple[tuple[str, str], ...] = ()
    """An application task's own plain variables."""
    working_directory: str | None = None
    app_secrets: tuple[str, ...] = ()
    """Names of the stack's `appSecrets` it receives."""
    tenant_steps: tuple[tuple[str, ...], ...] = ()
    """Run once per tenant, `{tenant}` holding its schema (`admin-tasks:tenants`)."""

    @classmethod
    def built_in(cls, entry: CatalogEntry) -> TaskSpec:
        return cls(name=entry.name, description=entry.description, image="tasks",
                   entry_point=entry.argv, steps=(entry.argv,), parameters=entry.parameters,
                   secrets=entry.secrets, timeout_seconds=entry.timeout_seconds)

    @classmethod
    def application(cls, task: AppTask) -> TaskSpec:
        return cls(name=task.name, description=task.description, image="app",
                   entry_point=tuple(entry_point(task)), steps=task.steps,
                   parameters=task.parameters, secrets=task.secrets,
                   timeout_seconds=task.timeout_seconds, preview_steps=task.preview_steps,
                   environment=task.environment, working_directory=task.working_directory,
                   app_secrets=task.app_secrets, tenant_steps=task.tenant_steps)


def secrets_read(task: TaskSpec) -> tuple[SecretName, ...]:
    """The stack's secrets the task's definition references: an application task's
    recorder also reads the database secret, whatever the task declares."""
    return task.secrets if task.image == "tasks" else tuple(dict.fromkeys(
        (*task.secrets, "database")))


def parse_builtin_tasks(reader: ConfigReader, environment: str) -> tuple[CatalogEntry, ...]:
    """`tasks`: the built-in tasks to deploy (default: every one enabled for the environment)."""
    if not reader.has("tasks"):
        return tuple(entry for name in task_names() if (entry := get_task(name)).enabled_in(
            environment))
    names = reader.strings("tasks", rules.ANY_TEXT, f"list built-in tasks: {task_names()}",
                           required=False)
    entries = []
    for name in names:
        try:
            entry = get_task(name)
        except InvalidInput as error:
            raise config_error("tasks", str(error), "remove it; application commands are "
                               "declared under appTasks") from None
        if not entry.enabled_in(environment):
            raise config_error("tasks", f"enables {name}, which the catalog does not allow in "
                               f"{environment}", "remove it from the list")
        entries.append(entry)
    if len(set(names)) != len(names):
        raise config_error("tasks", "lists a task twice", "list each task once")
    return tuple(entries)


def parse_app_task_config(reader: ConfigReader,
                          app_secrets: Collection[str] = ()) -> tuple[AppTask, ...]:
    """`appTasks`: the application's commands; an error names the declaration's key.
    ``app_secrets``: the names `appSecrets` declares."""
    try:
        return parse_app_tasks(reader.mapping("appTasks", "map task names to declarations")
                               or None, task_names(), app_secrets)
    except DeclarationError as error:
        raise config_error(f"appTasks.{error.key}".rstrip("."), error.problem, error.fix) \
            from None


def parse_task_sizes(reader: ConfigReader, built_in: tuple[CatalogEntry, ...],
                     app_tasks: tuple[AppTask, ...]) -> dict[str, tuple[int, int]]:
    """(cpu, memory) per task: `taskCpu`/`taskMemory`, overridden by `taskSizes` or by an
    application task's own `cpu`/`memory`."""
    cpu = reader.integer("taskCpu", 256, 16384, "use a Fargate CPU size", default=256)
    memory = reader.integer("taskMemory", 512, 122880, "use a Fargate memory size", default=512)
    rules.check_fargate_size(cpu, memory)
    sizes = {name: (cpu, memory) for name in [e.name for e in built_in] + [t.name for t in app_tasks]}
    fix = 'map enabled tasks to Fargate sizes, e.g. {"seed-admin": {"cpu": 512, "memory": 1024}}'
    for name, size in reader.mapping("taskSizes", fix).items():
        where = f"taskSizes.{name}"
        if name not in sizes:
            raise config_error(where, "names a task that is not enabled", fix)
        if not isinstance(size, dict) or set(size) != {"cpu", "memory"} or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in size.values()):
            raise config_error(where, f"must be {{cpu, memory}} whole numbers (got {size!r})", fix)
        rules.check_fargate_size(size["cpu"], size["memory"], f"{where}.cpu", f"{where}.memory")
        sizes[name] = (size["cpu"], size["memory"])
    for task in app_tasks:
        if task.cpu is None and task.memory is None:
            continue
        if reader.mapping("taskSizes", fix).get(task.name) is not None:
            raise config_error(f"taskSizes.{task.name}", "sizes a task whose declaration "
                               "already sets cpu/memory", "set its size in one place")
        task_cpu, task_memory = task.cpu or cpu, task.memory or memory
        rules.check_fargate_size(task_cpu, task_memory, f"appTasks.{task.name}.cpu",
                                 f"appTasks.{task.name}.memory")
        sizes[task.name] = (task_cpu, task_memory)
    return sizes


def parse_tenant_config(reader: ConfigReader, app_tasks: tuple[AppTask, ...]) -> TenantSource | None:
    """`tenants` (where the tenants are) and `maxParallelTasks` (1-16, default 1); a task
    that declares `tenantSteps` needs `tenants`."""
    most = reader.integer("maxParallelTasks", 1, 16, "allow 1 to 16 ECS tasks per run",
                          default=1)
    raw = reader.mapping("tenants", 'e.g. {"table": "customers_client", "schemaColumn": '
                         '"schema_name", "exclude": ["public"]}')
    if not raw:
        for task in app_tasks:
            if task.tenant_steps:
                raise config_error(f"appTasks.{task.name}.tenantSteps", "needs to know where "
                                   "the tenants are, and admin-tasks:tenants is not set",
                                   'set tenants, e.g. {"table": "customers_client", '
                                   '"schemaColumn": "schema_name"}')
        return None
    try:
        return parse_tenant_source({**raw, "maxParallelTasks": most})
    except InvalidInput as error:
        raise config_error("tenants", str(error).removeprefix("admin-tasks:tenants"),
                           'e.g. {"table": "customers_client", "schemaColumn": "schema_name"}'
                           ) from None
