"""Guardrails 2, 5 and 7: GitHub environment, task definitions, log retention."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from infra.policy.iam_rules import Props, as_list
from infra.policy.layout_rules import is_prepare, layout_problems, order_problems
from tasks.contract import SEALED_SUPERUSER_VARIABLE, secret_inputs

MINIMUM_PRODUCTION_REVIEWERS = 2
# `<secret arn>:<json key>::`, or the bare ARN for the whole secret (ECS: "Pass Secrets
# Manager secrets through Amazon ECS environment variables").
SECRET_VALUE_FROM = re.compile(
    r"(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^:*?]+)(:[A-Za-z0-9_.-]+::)?")


def secret_arn(value_from: str) -> str:
    """The secret a `valueFrom` names (the first seven `:` fields of an ARN)."""
    return ":".join(value_from.split(":")[:7])


# The stack's own secrets reach a container one JSON key per variable (the superuser's
# whole and sealed): a whole document under one of these names would hand it every key.
# DATABASE_USER/PASSWORD are an existing database secret's keys (infra/containers.py).
KEYED_VARIABLES = {item.env_var for item in secret_inputs(("database", "django-superuser"))
                   } | {"DATABASE_USER", "DATABASE_PASSWORD"}
SECRETISH_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE|_KEY$|^DATABASE_URL$")
CREDENTIAL_IN_URL = re.compile(r"://[^/\s:@]+:[^@\s]+@")
ADMIN_LOG_GROUP = re.compile(r"/admin-tasks/([a-z][a-z0-9-]*)")
NUMERIC_UID = re.compile(r"[+-]?[0-9]+")
# Written by the program on every AWS resource it creates (stack config `production`).
PRODUCTION_TAG = "admin-tasks:production"
ENVIRONMENT_TAG = "admin-tasks:environment"


def is_production(environment: str) -> bool:
    """The name rule, a floor: `prod*` is always production; the stack config key
    `production` (carried by PRODUCTION_TAG) can make any other environment production."""
    return environment.startswith("prod")


def is_root_user(user: str) -> bool:
    """Whether a container `user` (`uid[:gid]` or `name[:group]`) runs as root, in any
    spelling: `0`, `000`, `+0`, `0:1000`, ` 0 `, `root`, `root:staff`. Numeric uids compare
    as integers, as the runtime parses them; no user at all means the image's, maybe root."""
    name = user.split(":", 1)[0].strip()
    if NUMERIC_UID.fullmatch(name):
        return int(name) == 0
    return name in ("", "root")


def tagged_production(props: Props) -> bool:
    tags = props.get("tags")
    return isinstance(tags, Mapping) and str(tags.get(PRODUCTION_TAG, "")).lower() == "true"


def reviewer_count(props: Props) -> int:
    """Distinct required reviewers: a user or team listed twice is one reviewer."""
    reviewers = [r for r in as_list(props.get("reviewers")) if isinstance(r, Mapping)]
    return sum(len({str(i) for r in reviewers for i in as_list(r.get(kind))})
               for kind in ("users", "teams"))


def production_environment_violations(props: Props, minimum_reviewers: int) -> list[str]:
    """Guardrail 2's production part for a RepositoryEnvironment: reviewers, no bypass."""
    environment, reviewers = str(props.get("environment", "")), reviewer_count(props)
    found = []
    if reviewers < minimum_reviewers:
        found.append(f"production environment {environment} has {reviewers} required "
                     f"reviewer(s); needs at least {minimum_reviewers}")
    # The provider's default is true, so production must say false explicitly.
    if props.get("canAdminsBypass") is not False:
        found.append(f"can_admins_bypass must be false in production environment {environment}")
    return found


def github_environment_violations(resource_type: str, props: Props,
                                  minimum_production_reviewers: int =
                                  MINIMUM_PRODUCTION_REVIEWERS) -> list[str]:
    """Guardrail 2: reviewers required, no self-review, no admin bypass in prod, main only."""
    if resource_type == "github:index/repositoryEnvironmentDeploymentPolicy:" \
                        "RepositoryEnvironmentDeploymentPolicy":
        if props.get("branchPattern") != "main" or props.get("tagPattern"):
            return [f"deployments must come from main only (got branch "
                    f"{props.get('branchPattern')!r}, tag {props.get('tagPattern')!r})"]
        return []
    if resource_type != "github:index/repositoryEnvironment:RepositoryEnvironment":
        return []
    environment = str(props.get("environment", ""))
    found = []
    # GitHub environments carry no tags: here production is the name rule; environments
    # made production by stack config are checked stack-wide (stack_rules).
    if is_production(environment):
        found += production_environment_violations(props, minimum_production_reviewers)
    elif reviewer_count(props) < 1:
        found.append(f"environment {environment} has no required reviewer; needs at least 1")
    if props.get("preventSelfReview") is not True:
        found.append("prevent_self_review must be true: the person who triggers a run "
                     "cannot approve it")
    policy = props.get("deploymentBranchPolicy") or {}
    if policy.get("customBranchPolicies") is not True or policy.get("protectedBranches"):
        found.append("deployment_branch_policy must use custom branch policies (main only)")
    return found


def task_definition_violations(resource_type: str, props: Props) -> list[str]:
    """Guardrail 5: Fargate, awsvpc, secrets via valueFrom, awslogs, read-only, non-root,
    the argv fixed in the entry point."""
    if resource_type != "aws:ecs/taskDefinition:TaskDefinition":
        return []
    found = []
    if as_list(props.get("requiresCompatibilities")) != ["FARGATE"]:
        found.append("requires_compatibilities must be exactly FARGATE")
    if props.get("networkMode") != "awsvpc":
        found.append("network_mode must be awsvpc")
    raw = props.get("containerDefinitions") or "[]"
    containers = as_list(json.loads(raw) if isinstance(raw, str) else raw)
    production = tagged_production(props) or any(
        is_production(environment) for environment in map(_log_environment, containers))
    found += order_problems(containers)
    for container in containers:
        found += [f"container {container.get('name')}: {problem}"
                  for problem in _container_problems(container)]
        if production and "@sha256:" not in str(container.get("image", "")):
            found.append(f"container {container.get('name')}: production images must be "
                         f"pinned by @sha256: digest (got {container.get('image')!r})")
    return found


def _log_environment(container: Mapping[str, Any]) -> str:
    options = (container.get("logConfiguration") or {}).get("options") or {}
    match = ADMIN_LOG_GROUP.fullmatch(str(options.get("awslogs-group", "")))
    return match.group(1) if match else ""


def _container_problems(container: Mapping[str, Any]) -> list[str]:
    problems = layout_problems(container)
    for variable in as_list(container.get("environment")):
        name, value = str(variable.get("name", "")), str(variable.get("value", ""))
        if SECRETISH_NAME.search(name) or CREDENTIAL_IN_URL.search(value):
            problems.append(f"environment variable {name} looks secret; inject it through "
                            "secrets[].valueFrom")
    for secret in as_list(container.get("secrets")):
        match = SECRET_VALUE_FROM.fullmatch(str(secret.get("valueFrom", "")))
        whole_refused = str(secret.get("name")) in KEYED_VARIABLES
        if match is None or (match[2] is None and whole_refused):
            problems.append(f"secret {secret.get('name')} valueFrom must be "
                            "<secret arn>:<json key>:: (the whole secret only for the sealed "
                            f"{SEALED_SUPERUSER_VARIABLE} or an application secret)")
    options = (container.get("logConfiguration") or {})
    group = str((options.get("options") or {}).get("awslogs-group", ""))
    if options.get("logDriver") != "awslogs" or not ADMIN_LOG_GROUP.fullmatch(group):
        problems.append("logs must go to the admin log group through awslogs")
    if container.get("readonlyRootFilesystem") is not True:
        problems.append("root filesystem must be read-only")
    user = str(container.get("user") or "")
    if (is_root_user(user) and not is_prepare(container)) or container.get("privileged"):
        problems.append(f"must run as a non-root user (user is {user!r})")
    if as_list(container.get("portMappings")):
        problems.append("admin tasks take no connections: remove port mappings")
    return problems


def log_retention_violations(resource_type: str, props: Props) -> list[str]:
    """Guardrail 7: the admin log group is the audit trail: prod >= 365 days, others >= 30."""
    if resource_type != "aws:cloudwatch/logGroup:LogGroup":
        return []
    match = ADMIN_LOG_GROUP.fullmatch(str(props.get("name", "")))
    if match is None:
        return []
    minimum = 365 if tagged_production(props) or is_production(match.group(1)) else 30
    days = props.get("retentionInDays")
    # Unset (or 0) means CloudWatch never expires events, which satisfies any minimum.
    if days and days < minimum:
        return [f"log group {match.group(0)} keeps events {int(days)} days; the audit trail needs "
                f"at least {minimum}"]
    return []
