"""GithubEnvironment: the reviewed environment the workflow's job runs in (guardrail 2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_github as github

from infra.naming import DEPLOYMENT_BRANCH


@dataclass
class GithubEnvironmentArgs:
    """Inputs of GithubEnvironment."""

    repository: pulumi.Input[str]
    """Repository name (the provider carries the owner)."""
    environment: str
    """Environment name; the OIDC subject names it."""
    reviewer_user_ids: Sequence[pulumi.Input[int]]
    """Numeric ids of required reviewer users."""
    reviewer_team_ids: Sequence[pulumi.Input[int]]
    """Numeric ids of required reviewer teams."""
    can_admins_bypass: bool
    """Whether repository admins may skip the review (never in production)."""
    variables: dict[str, pulumi.Input[str]]
    """Environment variables for the workflow (ADMIN_TASKS_SETTINGS, role ARN, region)."""
    variables_after: Sequence[pulumi.Resource] = ()
    """Resources the variables name or rely on (task definitions, launcher policy)."""
    approval_environments: Sequence[str] = ()
    """Further environments, one per further required approval, with the same reviewers
    and rules, no variables, and no AWS role trusting them: each gates one job."""


class GithubEnvironment(pulumi.ComponentResource):
    """A deployment environment: required reviewers, no self-review, `main` only."""

    name: pulumi.Output[str]

    def __init__(self, name: str, args: GithubEnvironmentArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("admin-tasks:infra:GithubEnvironment", name, None, opts)
        environment = self._environment(name, args, args.environment)
        for extra in args.approval_environments:
            self._environment(f"{name}-{extra.removeprefix(args.environment + '-')}", args,
                              extra)
        # A component's depends_on does not reach its children: name the waits here, so the
        # workflow never sees settings for task definitions that do not exist yet.
        after = pulumi.ResourceOptions(parent=self,
                                       depends_on=[environment, *args.variables_after])
        for variable, value in sorted(args.variables.items()):
            github.ActionsEnvironmentVariable(
                f"{name}-{variable.lower().replace('_', '-')}", repository=args.repository,
                environment=environment.environment, variable_name=variable, value=value,
                opts=after)
        self.name = environment.environment
        self.register_outputs({"environment": self.name})

    def _environment(self, name: str, args: GithubEnvironmentArgs,
                     environment_name: str) -> github.RepositoryEnvironment:
        """Required reviewers, no self-review, deployments from `main` only."""
        environment = github.RepositoryEnvironment(
            f"{name}-environment", repository=args.repository, environment=environment_name,
            reviewers=[github.RepositoryEnvironmentReviewerArgs(
                users=list(args.reviewer_user_ids), teams=list(args.reviewer_team_ids))],
            prevent_self_review=True, can_admins_bypass=args.can_admins_bypass,
            deployment_branch_policy=github.RepositoryEnvironmentDeploymentBranchPolicyArgs(
                protected_branches=False, custom_branch_policies=True),
            opts=pulumi.ResourceOptions(parent=self))
        # The branch policy can only be added once the environment has custom policies on.
        github.RepositoryEnvironmentDeploymentPolicy(
            f"{name}-main-only", repository=args.repository,
            environment=environment.environment, branch_pattern=DEPLOYMENT_BRANCH,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[environment]))
        return environment
