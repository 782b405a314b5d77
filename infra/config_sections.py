"""The grouped parts of the stack config: GitHub, network, database, task selection."""

from __future__ import annotations

import re
from dataclasses import dataclass

from infra import config_rules as rules
from infra.config_values import ConfigReader, config_error
from tasks.contract import (
    CLUSTER_ARN,
    MAX_REQUIRED_APPROVALS,
    REGION,
    SECURITY_GROUP,
    SUBNET,
)

MAX_REVIEWERS = 6  # GitHub's limit per environment


@dataclass(frozen=True)
class GithubConfig:
    """The repository whose workflow may assume the role, and who must approve runs."""

    owner: str
    """Owner login (user or organisation) of the repository."""
    repository: str
    """Repository name, without the owner."""
    owner_id: int | None
    """Numeric owner id for the immutable subject; None: looked up with the GitHub provider."""
    repository_id: int | None
    """Numeric repository id for the immutable subject; None: looked up."""
    oidc_provider_arn: str | None
    """Existing GitHub OIDC provider of the account; None: the stack creates it."""
    reviewer_users: tuple[str, ...]
    """Logins of required reviewers."""
    reviewer_teams: tuple[str, ...]
    """Slugs of required reviewer teams (of the owning organisation)."""
    can_admins_bypass: bool
    """Whether repository admins may skip review (never in production)."""
    required_approvals: int = 1
    """Distinct people, none of them a requester, who must approve each run (one GitHub
    environment per approval: tasks.contract.settings.approval_environments)."""


@dataclass(frozen=True)
class NetworkConfig:
    """Where the admin tasks run."""

    cluster_arn: str
    """ARN of the existing ECS cluster."""
    cluster_name: str
    """The cluster's name (last part of its ARN)."""
    partition: str
    """AWS partition of the cluster (`aws`, `aws-us-gov`, ...)."""
    region: str
    """Region of the cluster and of every resource the stack creates."""
    account: str
    """AWS account id of the cluster."""
    subnets: tuple[str, ...]
    """Subnets the tasks get their network interface in."""
    security_groups: tuple[str, ...]
    """Security groups of the tasks (must reach the database)."""
    assign_public_ip: bool
    """Whether tasks get a public IP (only for public subnets without NAT)."""


@dataclass(frozen=True)
class DatabaseConfig:
    """The database secret: created by the stack (`url` key) or an existing one."""

    existing_secret_arn: str | None
    """ARN of an existing secret with `username`/`password` keys (e.g. RDS-managed)."""
    host: str | None
    """Database host: bound in the built-in tasks' entry point; plain DATABASE_HOST for
    application tasks with an existing secret."""
    port: int
    """Database port (as the host)."""
    name: str | None
    """Database name (as the host)."""
    auth: str = "scram-sha-256"
    """How the server may authenticate the built-in tasks (bound in their entry point)."""


def parse_github(reader: ConfigReader, production: bool) -> GithubConfig:
    for key in ("githubOwner", "githubRepository"):
        if reader.has(key):
            rules.reject_wildcards(key, str(reader.string(key, rules.ANY_TEXT, "")))
    owner = reader.string("githubOwner", rules.GITHUB_LOGIN,
                          "set the repository owner's login: `pulumi config set githubOwner ORG`")
    repository = reader.string(
        "githubRepository", rules.GITHUB_REPOSITORY,
        "set the repository name without the owner: `pulumi config set githubRepository REPO`")
    ids_fix = "use the numeric id (gh api repos/OWNER/REPO --jq .owner.id,.id) or leave it unset"
    provider = reader.optional_string(
        "oidcProviderArn", rules.OIDC_PROVIDER_ARN,
        "use arn:aws:iam::ACCOUNT:oidc-provider/token.actions.githubusercontent.com or unset it")
    reviewers = reader.mapping("reviewers", 'set {"users": [LOGIN, ...], "teams": [SLUG, ...]}')
    users, teams = _reviewers(reviewers)
    bypass = reader.boolean("canAdminsBypass", default=False)
    if production and bypass:
        raise config_error("canAdminsBypass", "is true in a production environment",
                           "remove it: admins must not skip the required review in production")
    minimum = reader.integer("minimumReviewers", 1, MAX_REVIEWERS, "use 1 to 6",
                             default=2 if production else 1)
    if len(users) + len(teams) < minimum:
        raise config_error("reviewers", f"names {len(users) + len(teams)} reviewer(s), fewer "
                           f"than the {minimum} this environment requires",
                           "add user logins or team slugs under reviewers.users / reviewers.teams")
    return GithubConfig(
        owner=owner, repository=repository,
        required_approvals=_required_approvals(reader, production, users, teams),
        owner_id=reader.optional_integer("githubOwnerId", 1, 2**53, ids_fix),
        repository_id=reader.optional_integer("githubRepositoryId", 1, 2**53, ids_fix),
        oidc_provider_arn=provider, reviewer_users=users, reviewer_teams=teams,
        can_admins_bypass=bypass)


def _required_approvals(reader: ConfigReader, production: bool, users: tuple[str, ...],
                        teams: tuple[str, ...]) -> int:
    fix = "use 1 to 6 (2 or more in production)"
    required = reader.integer("requiredApprovals", 1, MAX_REQUIRED_APPROVALS, fix, default=1)
    if production and required < 2:
        raise config_error("requiredApprovals", f"is {required} in a production environment",
                           "set it to 2 or more: a production run needs two distinct people "
                           "besides the one who asked")
    if not teams and len(users) < required:
        raise config_error("requiredApprovals", f"is {required}, but reviewers.users names "
                           f"only {len(users)} people", "add reviewers (or a team), or lower it")
    return required


def _reviewers(raw: dict[str, object]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    fix = 'list user logins and team slugs: {"users": ["alice"], "teams": ["platform"]}'
    unknown = set(raw) - {"users", "teams"}
    if unknown:
        raise config_error("reviewers", f"has unknown keys {sorted(unknown)}", fix)
    found: list[tuple[str, ...]] = []
    for part, pattern in (("users", rules.GITHUB_LOGIN), ("teams", rules.GITHUB_TEAM)):
        values = raw.get(part, [])
        if not isinstance(values, list) or not all(
                isinstance(v, str) and pattern.fullmatch(v) for v in values):
            raise config_error(f"reviewers.{part}", f"is malformed (got {values!r})", fix)
        # GitHub names are case-insensitive; a name listed twice is one reviewer, not two.
        folded = [value.casefold() for value in values]
        twice = sorted({value for value in values if folded.count(value.casefold()) > 1})
        if twice:
            raise config_error(f"reviewers.{part}", f"lists {twice} more than once, which "
                               "counts as one reviewer", "list each reviewer once")
        found.append(tuple(values))
    users, teams = found
    if not 1 <= len(users) + len(teams) <= MAX_REVIEWERS:
        raise config_error("reviewers", f"must name 1 to {MAX_REVIEWERS} reviewers in total "
                           f"(got {len(users) + len(teams)})", fix)
    return users, teams


def parse_network(reader: ConfigReader) -> NetworkConfig:
    cluster_arn = reader.string("clusterArn", CLUSTER_ARN,
                                "use arn:aws:ecs:REGION:ACCOUNT:cluster/NAME")
    match = CLUSTER_ARN.fullmatch(cluster_arn)
    assert match is not None
    region = reader.string("aws:region", REGION,
                           "`pulumi config set aws:region eu-west-1` (the cluster's region)")
    rules.check_same_place("clusterArn", match, region, match.group("account"))
    return NetworkConfig(
        cluster_arn=cluster_arn, cluster_name=match.group("name"),
        partition=match.group("partition"), region=region, account=match.group("account"),
        subnets=reader.strings("subnets", SUBNET, "list subnet ids like subnet-0abc1234"),
        security_groups=reader.strings("securityGroups", SECURITY_GROUP,
                                       "list security group ids like sg-0abc1234"),
        assign_public_ip=reader.boolean("assignPublicIp", default=False))


def parse_database(reader: ConfigReader, network: NetworkConfig) -> DatabaseConfig:
    """Every task definition binds host, port and name (tasks.contract.binding): a built-in
    task's container, or an application task's recorder, whichever secret holds the
    credentials."""
    auth = reader.string("databaseAuth", re.compile(r"scram-sha-256|md5"),
                         "use scram-sha-256, or md5 only for a server whose passwords are "
                         "still md5 (never cleartext)", default="scram-sha-256")
    arn = reader.optional_string(
        "databaseSecretArn", rules.SECRET_ARN,
        "use arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME, or unset it to create one")
    if arn is not None:
        match = rules.SECRET_ARN.fullmatch(arn)
        assert match is not None
        rules.check_same_place("databaseSecretArn", match, network.region, network.account)
    why = "" if arn is not None else " (every task definition is bound to it; the created " \
        "secret's DATABASE_URL must name the same)"
    return DatabaseConfig(
        existing_secret_arn=arn,
        host=reader.string("databaseHost", rules.HOSTNAME,
                           f"set the database endpoint host name{why}"),
        port=reader.integer("databasePort", 1, 65535, "use the database port", default=5432),
        name=reader.string("databaseName", rules.DATABASE_NAME,
                           f"set the database name{why}"),
        auth=auth)
