"""`AdminTasks`: everything one environment's stack declares, as one Pulumi component.

This project's own program (`infra/program.py`) is one user of it; a team's existing
Pulumi program is another (docs/DEPLOYING.md, "Inside an existing Pulumi program"):

    from infra.admin_tasks import AdminTasks, AdminTasksArgs

    admin = AdminTasks("admin-tasks", AdminTasksArgs(
        region="eu-west-1", github_owner="acme-corp", github_repository="billing",
        reviewers={"users": ["alice-ops"]},
        cluster_arn="arn:aws:ecs:eu-west-1:111111111111:cluster/app-staging", ...))

Each field of `AdminTasksArgs` is the stack config key of the same name in camelCase
(`github_owner` is `admin-tasks:githubOwner`, `region` is `aws:region`), with the same
default and the same validation: an invalid value stops the program before any resource
is registered, with the message a stack file would get (it names the config key). The
values are plain, known when the program runs: an Output (another resource's attribute)
is refused by name, since it could not be checked before anything is registered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import pulumi

from infra.config import ConfigError, StackConfig, parse_config, reject_unknown_keys
from infra.config_values import ConfigReader
from infra.launch import launch_settings
from infra.naming import PROJECT
from infra.stack import OUTPUT_ATTRIBUTES, build_stack
from tasks.contract import InvalidInput

COMPONENT_TYPE = f"{PROJECT}:index:AdminTasks"
RESERVED_TAG = re.compile(r"(?i)aws:|admin-tasks:|project$|environment$")
MAX_TAG_KEY, MAX_TAG_VALUE = 128, 256


@dataclass(frozen=True, kw_only=True)
class AdminTasksArgs:
    """The arguments of one environment (docs/DEPLOYING.md, "Stack config", has each one)."""

    region: str | None = None
    environment: str | None = None
    production: bool | None = None
    github_owner: str | None = None
    github_repository: str | None = None
    github_owner_id: int | None = None
    github_repository_id: int | None = None
    oidc_provider_arn: str | None = None
    reviewers: Mapping[str, Sequence[str]] | None = None
    minimum_reviewers: int | None = None
    can_admins_bypass: bool | None = None
    cluster_arn: str | None = None
    subnets: Sequence[str] | None = None
    security_groups: Sequence[str] | None = None
    assign_public_ip: bool | None = None
    tasks_image: str | None = None
    app_image: str | None = None
    app_tasks: Mapping[str, Any] | None = None
    tasks: Sequence[str] | None = None
    require_approval: bool | None = None
    required_approvals: int | None = None
    log_retention_days: int | None = None
    database_secret_arn: str | None = None
    database_host: str | None = None
    database_port: int | None = None
    database_name: str | None = None
    database_auth: str | None = None
    secrets_kms_key_arn: str | None = None
    secret_recovery_window_days: int | None = None
    task_cpu: int | None = None
    task_memory: int | None = None
    task_sizes: Mapping[str, Mapping[str, int]] | None = None
    container_user: str | None = None
    superuser_secret_seal: str | None = None
    app_secrets: Mapping[str, Mapping[str, str]] | None = None
    tenants: Mapping[str, Any] | None = None
    max_parallel_tasks: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    """More tags on every AWS resource (not a config key); the component's own tags
    (`project`, `environment`, `admin-tasks:*`), which the policy pack reads, win."""

    @classmethod
    def from_config(cls, raw: Mapping[str, Any]) -> AdminTasksArgs:
        """The arguments a stack's config holds (keys `namespace:name`, values as the Pulumi
        runtime hands them over or decoded); an unknown `admin-tasks:` key is an error."""
        reject_unknown_keys(ConfigReader(raw))
        values = {name: raw[key] for name, key in config_keys().items() if key in raw}
        return cls(**values)

    def to_config(self) -> dict[str, Any]:
        """The same arguments as stack config, for the one parser both ways share."""
        config: dict[str, Any] = {}
        for name, key in config_keys().items():
            value = getattr(self, name)
            if isinstance(value, Mapping):
                value = {k: list(v) if isinstance(v, (list, tuple)) else v
                         for k, v in value.items()}
            elif isinstance(value, (list, tuple)):
                value = list(value)
            if value is not None:
                config[key] = value
        return config


def config_keys() -> dict[str, str]:
    """Field name → the stack config key it stands for."""
    keys = {f.name: f"{PROJECT}:{_camel(f.name)}" for f in fields(AdminTasksArgs)
            if f.name not in ("tags", "region")}
    return {"region": "aws:region", **keys}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _outputs_in(value: Any) -> bool:
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, Mapping):
        return any(_outputs_in(v) for v in value.values())
    return isinstance(value, (list, tuple)) and any(_outputs_in(v) for v in value)


def validated(args: AdminTasksArgs) -> tuple[StackConfig, dict[str, Any]]:
    """The config and launch settings of `args`, or a RunError naming the key and the fix
    (Pulumi prints the message alone, with no traceback and no resources)."""
    for item in fields(args):
        if _outputs_in(getattr(args, item.name)):
            raise pulumi.RunError(
                f"AdminTasksArgs.{item.name} holds a pulumi Output: the component checks "
                "every argument before it registers anything, so each must be a plain "
                "value known when the program runs (an ARN, id or host as text; for a "
                "resource of this program, its known name or ARN)")
    try:
        config = parse_config(args.to_config(), pulumi.get_stack())
        return config, launch_settings(config)
    except (ConfigError, InvalidInput) as error:
        raise pulumi.RunError(str(error)) from None


def extra_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """`AdminTasksArgs.tags`, checked against AWS's tag limits and the reserved keys."""
    for key, value in tags.items():
        if not isinstance(key, str) or not isinstance(value, str) \
                or not 0 < len(key) <= MAX_TAG_KEY or len(value) > MAX_TAG_VALUE:
            raise pulumi.RunError(f"AdminTasksArgs.tags {key!r}: keys are 1-{MAX_TAG_KEY} "
                                  f"characters, values at most {MAX_TAG_VALUE}, both strings")
        if RESERVED_TAG.match(key):
            raise pulumi.RunError(f"AdminTasksArgs.tags {key!r} is reserved (the component "
                                  "sets project, environment and admin-tasks:* itself, and "
                                  "aws:* is AWS's): choose another key")
    return dict(tags)


class AdminTasks(pulumi.ComponentResource):
    """One environment: the GitHub OIDC role, the secrets, the task definitions, the
    launcher's permissions and the GitHub environment, every one a child of this.

    Its outputs are the stack outputs of this project's stacks (docs/DEPLOYING.md,
    "Stack outputs"). Pass a GitHub provider in `opts.providers` to use your own (its
    owner must be `github_owner`); otherwise the component makes one. One instance per
    Pulumi stack: its children's names are fixed, so this project's stacks keep their URNs.
    """

    role_arn: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    launch_settings: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    task_definition_arns: pulumi.Output[dict[str, str]]
    secret_arns: pulumi.Output[dict[str, str]]
    github_environment: pulumi.Output[str]

    def __init__(self, name: str, args: AdminTasksArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        config, settings = validated(args)  # before anything is registered
        tags = extra_tags(args.tags)
        super().__init__(COMPONENT_TYPE, name, None, opts)
        self.outputs = build_stack(config, settings, parent=self,
                                   github_provider=self.get_provider("github:index:Provider"),
                                   extra_tags=tags)
        for attribute, output in OUTPUT_ATTRIBUTES.items():
            setattr(self, attribute, pulumi.Output.from_input(self.outputs[output]))
        self.register_outputs(self.outputs)
