"""Checks that the providers a program passes put the resources where the arguments say.

A team's program passes its own AWS and GitHub providers to `AdminTasks`. The role's
trust, the IAM policies and the launch settings are built from the arguments (region,
cluster account, GitHub owner); a provider that points elsewhere would create the
reviewed GitHub environment in another owner's repository (leaving the real one's
environment to be auto-created by GitHub with no reviewers) or the resources in another
region. Each check is an Output the resources that depend on it consume: a mismatch
stops `pulumi preview` and `up` with one message before anything is created.
"""

from __future__ import annotations

import pulumi
import pulumi_github as github
from pulumi_aws.get_caller_identity import get_caller_identity_output
from pulumi_aws.get_region import get_region_output

from infra.config import StackConfig


class PlacementError(Exception):
    """A provider that does not match the arguments."""


def checked_region(config: StackConfig, parent: pulumi.Resource) -> pulumi.Output[str]:
    """The region, once the AWS provider of ``parent`` is known to be in it and in the
    cluster's account."""
    network = config.network
    options = pulumi.InvokeOutputOptions(parent=parent)
    region = get_region_output(opts=options).region
    account = get_caller_identity_output(opts=options).account_id

    def check(found: list[str]) -> str:
        if found[0] != network.region or found[1] != network.account:
            raise PlacementError(
                f"the AWS provider creates resources in {found[0]}, account {found[1]}, but "
                f"the arguments say {network.region}, account {network.account} (region, "
                "clusterArn): pass a provider for that region and account")
        return network.region

    return pulumi.Output.all(region, account).apply(check)


def checked_repository(config: StackConfig,
                       provider: pulumi.ProviderResource) -> pulumi.Input[str]:
    """The repository name, once ``provider`` is known to act for ``github_owner``."""
    owner, repository = config.github.owner, config.github.repository
    if not isinstance(provider, github.Provider):
        raise PlacementError(f"the GitHub provider passed is a {type(provider).__name__}, not "
                             "a pulumi_github Provider")

    def check(given: str | None) -> str:
        if given is None or given.lower() != owner.lower():
            raise PlacementError(
                f"the GitHub provider acts for owner {given!r}, but githubOwner is {owner!r}: "
                "pass a provider with owner= set to it (the environment, its reviewers and "
                "variables must be in the repository the AWS role trusts)")
        return repository

    return provider.owner.apply(check)
