"""GithubOidc: the account's GitHub OIDC provider and the environment's role (guardrail 1)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws.iam as iam

from infra.iam_documents import github_trust_policy
from infra.naming import OIDC_AUDIENCE, OIDC_URL

ONE_HOUR = 3600


@dataclass
class GithubOidcArgs:
    """Inputs of GithubOidc."""

    role_name: str
    """Physical name of the environment's role (`admin-tasks-<env>-github`)."""
    subjects: pulumi.Input[Sequence[str]]
    """The exact `sub` claims accepted (legacy and immutable forms)."""
    job_workflow_ref: str
    """The exact `job_workflow_ref` claim accepted: the admin workflow on main."""
    repository_id: pulumi.Input[str]
    """The repository's numeric id, as the `repository_id` claim carries it."""
    existing_provider_arn: str | None = None
    """The account's provider when another stack already created it (one per account)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for every AWS resource."""


class GithubOidc(pulumi.ComponentResource):
    """Lets one GitHub environment's jobs assume one IAM role, and nothing else."""

    provider_arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]

    def __init__(self, name: str, args: GithubOidcArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("admin-tasks:infra:GithubOidc", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if args.existing_provider_arn is None:
            # AWS fetches GitHub's certificate chain itself; no thumbprint to pin or rotate.
            provider = iam.OpenIdConnectProvider(
                f"{name}-provider", url=OIDC_URL, client_id_lists=[OIDC_AUDIENCE],
                tags=dict(args.tags), opts=child)
            self.provider_arn = provider.arn
        else:
            self.provider_arn = pulumi.Output.from_input(args.existing_provider_arn)
        trust: pulumi.Output[str] = pulumi.Output.all(
            self.provider_arn, args.subjects, args.repository_id).apply(
            lambda values: json.dumps(github_trust_policy(
                values[0], values[1], job_workflow_ref=args.job_workflow_ref,
                repository_id=values[2])))
        role = iam.Role(
            f"{name}-role", name=args.role_name, assume_role_policy=trust,
            max_session_duration=ONE_HOUR,
            description="Assumed by the reviewed GitHub environment to launch admin tasks",
            tags=dict(args.tags), opts=child)
        self.role_arn = role.arn
        self.role_name = role.name
        self.register_outputs({"providerArn": self.provider_arn, "roleArn": self.role_arn})
