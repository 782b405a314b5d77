"""AdminSecrets: the Secrets Manager entries the admin tasks read (guardrail 6).

Secrets are created empty: their values are put by an operator with
`aws secretsmanager put-secret-value`, so they never enter Pulumi state or config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws.secretsmanager as secretsmanager

from infra.naming import secret_name

DESCRIPTIONS = {
    "database": 'JSON {"url": <postgresql:// URL with user and password>} for admin tasks',
    "django-superuser": 'JSON {"username": ..., "email": ..., "password": ...}',
}


@dataclass
class AdminSecretsArgs:
    """Inputs of AdminSecrets."""

    environment: str
    """Environment name; secrets are named `admin-tasks/<env>/<logical name>`."""
    create: tuple[str, ...]
    """Logical names of the secrets to create (`database`, `django-superuser`)."""
    existing: Mapping[str, str] = field(default_factory=dict)
    """Logical name to ARN of secrets managed elsewhere (e.g. RDS-managed `database`)."""
    recovery_window_days: int = 30
    """Days a deleted secret stays restorable."""
    kms_key_arn: str | None = None
    """Customer-managed key for the created secrets; None: `aws/secretsmanager`."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every AWS resource."""


class AdminSecrets(pulumi.ComponentResource):
    """Empty secret containers plus references to existing secrets, by logical name."""

    arns: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AdminSecretsArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("admin-tasks:infra:AdminSecrets", name, None, opts)
        self.arns = {logical: pulumi.Output.from_input(arn)
                     for logical, arn in args.existing.items()}
        for logical in args.create:
            secret = secretsmanager.Secret(
                f"{name}-{logical}", name=secret_name(args.environment, logical),
                description=DESCRIPTIONS[logical],
                recovery_window_in_days=args.recovery_window_days,
                kms_key_id=args.kms_key_arn, tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self))
            self.arns[logical] = secret.arn
        self.register_outputs({f"{logical}Arn": arn for logical, arn in self.arns.items()})
