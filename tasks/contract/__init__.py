"""The launch-settings contract: what the Pulumi program, the launcher and the container
agree on, and nothing that runs anything.

It holds the built-in catalog (:mod:`.catalog`), the parameter types (:mod:`.parameters`,
:mod:`.bounded_match`), application-task declarations (:mod:`.app_tasks`,
:mod:`.argv_templates`), the launch-settings document (:mod:`.settings`,
:mod:`.task_settings`), the run context the launcher hands the container
(:mod:`.context`), the layout of an application task's ECS task and its recorder
(:mod:`.run_record`), the result line the container prints and the launcher reads
(:mod:`.outcome`), and the shared validators and errors (:mod:`.validation`,
:mod:`.errors`). Standard library only.

Who may import it: everything in ``tasks`` (its submodules directly), and ``infra``
through the names below only (an import-linter contract, ``make lint``, enforces both
this and that the contract imports neither the launcher nor the container's commands).
"""

from tasks.contract.app_task_settings import SettingError, check_variable_name
from tasks.contract.app_tasks import AppTask, DeclarationError, entry_point, parse_app_tasks
from tasks.contract.binding import DEFAULT_ITERATIONS, SEAL, SEALED_SUPERUSER_VARIABLE, Binding
from tasks.contract.catalog import (
    CONTAINER_ENTRY_POINT,
    CatalogEntry,
    ImageKind,
    SecretInput,
    SecretName,
    get_task,
    secret_inputs,
    task_names,
)
from tasks.contract.errors import InvalidInput
from tasks.contract.parameters import ParameterSpec
from tasks.contract.run_record import (
    HEALTH_CHECK,
    PREPARE_ARGV,
    PREPARE_CONTAINER,
    RECORD_CONTAINER,
    SCRATCH_PATH,
    SCRATCH_VOLUME,
    SHARED_PATH,
    SHARED_VOLUME,
    record_argv,
)
from tasks.contract.settings import (
    CLUSTER_ARN,
    MAX_REQUIRED_APPROVALS,
    PARTITION,
    REGION,
    SECURITY_GROUP,
    SUBNET,
    approval_environments,
    load_settings,
    settings_document,
)
from tasks.contract.task_settings import IMAGE_REFERENCE
from tasks.contract.tenants import TenantSource, parse_tenant_source
from tasks.contract.validation import validate_environment_name

__all__ = [
    "CLUSTER_ARN",
    "CONTAINER_ENTRY_POINT",
    "DEFAULT_ITERATIONS",
    "HEALTH_CHECK",
    "IMAGE_REFERENCE",
    "MAX_REQUIRED_APPROVALS",
    "PARTITION",
    "PREPARE_ARGV",
    "PREPARE_CONTAINER",
    "RECORD_CONTAINER",
    "REGION",
    "SCRATCH_PATH",
    "SCRATCH_VOLUME",
    "SEAL",
    "SEALED_SUPERUSER_VARIABLE",
    "SECURITY_GROUP",
    "SHARED_PATH",
    "SHARED_VOLUME",
    "SUBNET",
    "AppTask",
    "Binding",
    "CatalogEntry",
    "DeclarationError",
    "ImageKind",
    "InvalidInput",
    "ParameterSpec",
    "SecretInput",
    "SecretName",
    "SettingError",
    "TenantSource",
    "approval_environments",
    "check_variable_name",
    "entry_point",
    "get_task",
    "load_settings",
    "parse_app_tasks",
    "parse_tenant_source",
    "record_argv",
    "secret_inputs",
    "settings_document",
    "task_names",
    "validate_environment_name",
]
