"""The typed stack configuration, parsed once by `infra/__main__.py`.

`parse_config` checks everything a deployment would otherwise discover half-way
through (guardrail 8): it raises ConfigError naming the key and the fix before any
resource is registered. Components receive the resulting dataclasses, never config.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infra import config_rules as rules
from infra.app_secrets import AppSecret, parse_app_secrets
from infra.config_sections import (
    DatabaseConfig,
    GithubConfig,
    NetworkConfig,
    parse_database,
    parse_github,
    parse_network,
)
from infra.config_values import ConfigError, ConfigReader, config_error
from infra.policy.resource_rules import is_production, is_root_user
from infra.task_specs import (
    TaskSpec,
    parse_app_task_config,
    parse_builtin_tasks,
    parse_task_sizes,
    parse_tenant_config,
)
from tasks.contract import (
    SEAL,
    CatalogEntry,
    InvalidInput,
    TenantSource,
    validate_environment_name,
)

KNOWN_KEYS = {
    "environment", "githubOwner", "githubRepository", "githubOwnerId", "githubRepositoryId",
    "oidcProviderArn", "reviewers", "minimumReviewers", "canAdminsBypass", "clusterArn",
    "subnets", "securityGroups", "assignPublicIp", "tasksImage", "appImage", "appTasks",
    "tasks", "requireApproval", "requiredApprovals", "logRetentionDays", "databaseSecretArn",
    "databaseHost", "databasePort", "databaseName", "databaseAuth", "secretsKmsKeyArn",
    "secretRecoveryWindowDays", "taskCpu", "taskMemory", "taskSizes", "containerUser",
    "production", "superuserSecretSeal", "appSecrets", "tenants", "maxParallelTasks",
}

__all__ = ["KNOWN_KEYS", "ConfigError", "StackConfig", "parse_config", "reject_unknown_keys"]


@dataclass(frozen=True)
class StackConfig:
    """Everything one environment's stack needs, validated."""

    environment: str
    """Environment name: GitHub environment, IAM subject, secret path, log group."""
    production: bool
    """Config `production` (default: name starts with `prod`): stricter reviewers, no admin
    bypass, retention and digest-pinned images; tagged on the AWS resources for the pack."""
    github: GithubConfig
    """Repository, its ids, reviewers and the OIDC provider."""
    network: NetworkConfig
    """Cluster, region, account, subnets and security groups the tasks run in."""
    database: DatabaseConfig
    """Where the database credentials come from."""
    tasks: tuple[TaskSpec, ...]
    """Every task that gets a task definition: enabled built-ins, then application tasks."""
    require_approval: bool
    """Whether the launcher refuses a GitHub run no reviewer approved (always in production)."""
    tasks_image: str
    """Image of this repository's task package: the built-in tasks, and every task
    definition's prepare container and application task recorder."""
    app_image: str | None
    """The application's image, for application tasks (`appTasks`)."""
    log_retention_days: int
    """Retention of the admin log group (guardrail 7)."""
    secrets_kms_key_arn: str | None
    """Customer-managed KMS key of the secrets, or None for `aws/secretsmanager`."""
    secret_recovery_window_days: int
    """Days a deleted secret can be restored."""
    task_sizes: Mapping[str, tuple[int, int]]
    """Fargate (CPU units, memory MiB) of each enabled task."""
    container_user: str
    """Non-root `uid[:gid]` the containers run as."""
    app_secrets: Mapping[str, AppSecret] = field(default_factory=dict)
    """`appSecrets`: variable name → the application secret it is filled from."""
    tenants: TenantSource | None = None
    """`tenants` and `maxParallelTasks`: where a tenant task's tenants are listed."""
    superuser_seal: str | None = None
    """`sha256:<hex>` of the superuser secret's `seal` key, bound in the entry point of the
    built-in tasks that read that secret (tasks.jobs.sealed_secret)."""


def _environment(reader: ConfigReader, stack: str) -> str:
    raw = reader.string("environment", rules.ANY_TEXT, rules.ENVIRONMENT_FIX, default=stack)
    try:
        return validate_environment_name(raw)
    except InvalidInput:
        raise config_error("environment", f"{raw!r} is not a valid environment name "
                           "(it appears in IAM subjects, secret paths and log groups)",
                           rules.ENVIRONMENT_FIX) from None


def _production(reader: ConfigReader, environment: str) -> bool:
    by_name = is_production(environment)
    production = reader.boolean("production", default=by_name)
    if by_name and not production:
        # The policy pack checks GitHub environments (which carry no tags) by name.
        raise config_error("production", f"is false, but environment {environment!r} is named "
                           "like a production one (prod*) and is always checked as production",
                           "remove it, or give a non-production environment another name")
    return production


def _image(reader: ConfigReader, key: str, pinned: bool) -> str:
    """``pinned``: a digest is required (production, and the application's image in every
    stack: the approval request names the digest, and the launcher runs only that)."""
    image = reader.string(key, rules.IMAGE, "set a full image reference such as "
                          "111111111111.dkr.ecr.eu-west-1.amazonaws.com/admin-tasks@sha256:<digest>")
    if pinned and "@sha256:" not in image:
        raise config_error(key, "is not pinned by digest; the image a reviewer approves must "
                           "not change under them", "append @sha256:<digest> of the pushed "
                           "image (docs/APP-TASKS.md, \"A release\")")
    return image


def _recovery_window(reader: ConfigReader, production: bool) -> int:
    """Days a deleted secret stays restorable: 7-30 (AWS's range), or 0 outside
    production: deleted at once, so a `pulumi destroy` and `up` can re-create the name."""
    fix = "use 7 to 30 days" + ("" if production else ", or 0 to delete at once")
    days = reader.integer("secretRecoveryWindowDays", 0, 30, fix, default=30)
    if days == 0 and production:
        raise config_error("secretRecoveryWindowDays", "is 0 in a production environment: a "
                           "deleted production secret must stay restorable", "use 7 to 30 days")
    if 0 < days < 7:
        raise config_error("secretRecoveryWindowDays", f"is {days}; AWS keeps a deleted secret "
                           "7 to 30 days, or deletes it at once", fix)
    return days


def _require_approval(reader: ConfigReader, production: bool) -> bool:
    required = reader.boolean("requireApproval", default=True)
    if production and not required:
        raise config_error("requireApproval", "is false in a production environment",
                           "remove it: every production run needs a reviewer's approval")
    return required


def reject_unknown_keys(reader: ConfigReader) -> None:
    """A typo must fail, not silently fall back to a default."""
    if reader.has("migrateSteps"):
        raise config_error("migrateSteps", "is no longer read", "declare migrate under appTasks "
                           "with the same list as its steps (docs/APP-TASKS.md)")
    unknown = reader.unknown_keys(KNOWN_KEYS)
    if unknown:
        close = difflib.get_close_matches(unknown[0].partition(":")[2], KNOWN_KEYS, n=1)
        fix = f"did you mean {close[0]}?" if close else f"use one of {sorted(KNOWN_KEYS)}"
        raise config_error(unknown[0], "is not a known key", fix)


def _retention(reader: ConfigReader, production: bool) -> int:
    minimum = rules.MINIMUM_RETENTION_PRODUCTION if production else rules.MINIMUM_RETENTION_OTHER
    days = reader.integer("logRetentionDays", 1, 3653, "use a CloudWatch retention period",
                          default=minimum)
    rules.check_retention(days, production)
    return days


def parse_config(raw: Mapping[str, Any], stack: str) -> StackConfig:
    """Validate one stack's raw config (keys `namespace:name`) into a StackConfig."""
    reader = ConfigReader(raw)
    reject_unknown_keys(reader)
    environment = _environment(reader, stack)
    production = _production(reader, environment)
    network = parse_network(reader)
    app_secrets = parse_app_secrets(reader, network)
    built_in = parse_builtin_tasks(reader, environment)
    app_tasks = parse_app_task_config(reader, app_secrets)
    if not built_in and not app_tasks:
        raise config_error("tasks", "is empty and no appTasks are declared",
                           "enable a built-in task or declare an application task")
    retention = _retention(reader, production)
    github = parse_github(reader, production)
    _check_provider_account(github, network)
    return StackConfig(
        environment=environment, production=production,
        github=github, network=network,
        database=parse_database(reader, network),
        tasks=(*map(TaskSpec.built_in, built_in), *map(TaskSpec.application, app_tasks)),
        tenants=parse_tenant_config(reader, app_tasks),
        require_approval=_require_approval(reader, production),
        tasks_image=_image(reader, "tasksImage", production),
        app_image=_image(reader, "appImage", pinned=True) if app_tasks else None,
        log_retention_days=retention,
        secrets_kms_key_arn=_kms_key(reader, network),
        secret_recovery_window_days=_recovery_window(reader, production),
        task_sizes=parse_task_sizes(reader, built_in, app_tasks),
        container_user=_container_user(reader),
        superuser_seal=_superuser_seal(reader, built_in),
        app_secrets=app_secrets,
    )


def _superuser_seal(reader: ConfigReader, built_in: Sequence[CatalogEntry]) -> str | None:
    fix = ("generate the superuser secret with its seal as docs/DEPLOYING.md shows, and set "
           "the sha256:<hex> it prints")
    if not any("django-superuser" in entry.secrets for entry in built_in):
        if reader.has("superuserSecretSeal"):
            raise config_error("superuserSecretSeal", "is only used by a built-in task that "
                               "reads the superuser secret", "remove it")
        return None
    return reader.string("superuserSecretSeal", SEAL, fix)


def _container_user(reader: ConfigReader) -> str:
    fix = "use a non-root uid[:gid] such as 10001:10001"
    user = reader.string("containerUser", rules.ANY_TEXT, fix, default="10001:10001")
    # Root first, with the policy pack's own test, so every spelling of uid 0 gets this
    # message rather than a shape error.
    if is_root_user(user):
        raise config_error("containerUser", f"is root ({user!r}); admin tasks run as a "
                           "non-root user", fix)
    if not rules.CONTAINER_USER.fullmatch(user):
        raise config_error("containerUser", f"is malformed (got {user!r})", fix)
    return user


def _check_provider_account(github: GithubConfig, network: NetworkConfig) -> None:
    """The role is created next to the cluster; its trusted provider must be in that account."""
    if github.oidc_provider_arn is None:
        return
    match = rules.OIDC_PROVIDER_ARN.fullmatch(github.oidc_provider_arn)
    assert match is not None
    rules.check_same_place("oidcProviderArn", match, network.region, network.account)


def _kms_key(reader: ConfigReader, network: NetworkConfig) -> str | None:
    arn = reader.optional_string("secretsKmsKeyArn", rules.KMS_KEY_ARN,
                                 "use a key ARN: arn:aws:kms:REGION:ACCOUNT:key/KEY-ID")
    if arn is not None:
        match = rules.KMS_KEY_ARN.fullmatch(arn)
        assert match is not None
        rules.check_same_place("secretsKmsKeyArn", match, network.region, network.account)
    return arn
