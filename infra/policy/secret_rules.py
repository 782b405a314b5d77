"""Guardrail 6: the admin secrets, who may read them, and no secret value in the program
or in GitHub."""

from __future__ import annotations

import re
from collections.abc import Mapping

from infra.policy.iam_rules import (
    SECRET_READ,
    Props,
    as_list,
    canonical_action,
    document,
    generic_violations,
    principal_text,
    statements,
)
from infra.policy.permission_rules import ROLE_POLICY, cluster_accounts
from infra.policy.resource_rules import (
    CREDENTIAL_IN_URL,
    PRODUCTION_TAG,
    SECRETISH_NAME,
    is_production,
)
from infra.policy.stack_rules import ROLE, Finding, Resources
from infra.policy.trust_rules import source_account

# The resources that carry a secret's resource policy: the secret, and a SecretPolicy.
WITH_RESOURCE_POLICY = ("aws:secretsmanager/secret:Secret",
                        "aws:secretsmanager/secretPolicy:SecretPolicy")
SECRET_NAME = re.compile(r"admin-tasks/[a-z][a-z0-9-]*/[a-z0-9-]+")
SECRET_ENVIRONMENT = re.compile(r"(?:^|:secret:)admin-tasks/([a-z][a-z0-9-]*)/")
EXECUTION_ROLE_NAME = re.compile(r"admin-tasks-([a-z0-9-]+)-execution")
EXECUTION_ROLE = re.compile(rf"arn:aws[a-z-]*:iam::\d{{12}}:role/{EXECUTION_ROLE_NAME.pattern}")
# The design keeps no secret in GitHub: AWS access is OIDC, credentials stay in AWS. Every
# provider resource that stores a secret value, not only the Actions ones.
GITHUB_SECRETS = {
    "github:index/actionsSecret:ActionsSecret",
    "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
    "github:index/actionsOrganizationSecret:ActionsOrganizationSecret",
    "github:index/dependabotSecret:DependabotSecret",
    "github:index/dependabotOrganizationSecret:DependabotOrganizationSecret",
    "github:index/codespacesSecret:CodespacesSecret",
    "github:index/codespacesOrganizationSecret:CodespacesOrganizationSecret",
    "github:index/codespacesUserSecret:CodespacesUserSecret",
}


def secret_violations(resource_type: str, props: Props) -> list[str]:
    """Guardrail 6: secrets under admin-tasks/<env>/, recoverable, values outside Pulumi and
    GitHub, readable by the execution role alone."""
    if resource_type == WITH_RESOURCE_POLICY[0]:
        found = []
        if not SECRET_NAME.fullmatch(str(props.get("name", ""))):
            found.append(f"secret name {props.get('name')!r} must be admin-tasks/<env>/<name>")
        window = props.get("recoveryWindowInDays")
        at_once = window == 0 and _outside_production(props)
        if not at_once and (not isinstance(window, (int, float)) or not 7 <= window <= 30):
            found.append(f"recovery window must be set to 7-30 days (0 outside production; "
                         f"got {window!r})")
        return found + (_readers(props, "name") if props.get("policy") else [])
    if resource_type == WITH_RESOURCE_POLICY[1]:
        return _readers(props, "secretArn")
    if resource_type == "aws:secretsmanager/secretVersion:SecretVersion" and any(
            props.get(key) for key in ("secretString", "secretBinary", "secretStringWo")):
        return ["a secret value is declared in the program, so it enters Pulumi state; put it "
                "with `aws secretsmanager put-secret-value` instead"]
    if resource_type in GITHUB_SECRETS:
        return [f"GitHub secret {props.get('secretName')}: the design keeps no secret in GitHub "
                "(AWS access is by OIDC, database credentials stay in Secrets Manager)"]
    variable = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
    if resource_type == variable and (
            SECRETISH_NAME.search(str(props.get("variableName", "")))
            or CREDENTIAL_IN_URL.search(str(props.get("value", "")))):
        return [f"variable {props.get('variableName')} looks like a secret: variables are "
                "plain text"]
    return []


def _outside_production(props: Props) -> bool:
    """Whether a secret may be deleted at once (window 0): tagged as outside production (an
    untagged one may be production's) and not of a `prod*` environment, the name floor."""
    tags, match = props.get("tags"), SECRET_ENVIRONMENT.search(str(props.get("name") or ""))
    return isinstance(tags, Mapping) and str(tags.get(PRODUCTION_TAG, "")).lower() == "false" \
        and not (match and is_production(match.group(1)))


def _readers(props: Props, secret_key: str) -> list[str]:
    """A secret's resource policy may let in only its environment's execution role, to read
    the value and nothing else (the stack writes none: ECS reads the secrets with the
    execution role's own policy). Which account's role: `secret_reader_violations`."""
    policy = document(props.get("policy") or "{}")
    match = SECRET_ENVIRONMENT.search(str(props.get(secret_key) or ""))
    environment = match.group(1) if match else None
    found = generic_violations(policy)
    for index, statement in enumerate(statements(policy)):
        if statement.get("Effect") == "Deny":
            continue
        principal = statement.get("Principal")
        roles = [EXECUTION_ROLE.fullmatch(str(arn)) for arn in as_list(
            principal.get("AWS") if isinstance(principal, Mapping) else None)]
        where = f"statement {statement.get('Sid', index)} of the secret's resource policy"
        if not (isinstance(principal, Mapping) and list(principal) == ["AWS"]
                and all(role and environment in (None, role.group(1)) for role in roles)):
            found.append(f"{where} lets {principal_text(principal)} in; only the role "
                         f"admin-tasks-{environment or '<env>'}-execution may read it")
        actions = [canonical_action(a) for a in as_list(statement.get("Action"))]
        if not actions or not set(actions) <= SECRET_READ:
            found.append(f"{where} grants {actions}; it may grant only {sorted(SECRET_READ)}, "
                         "all ECS needs to inject the secret")
    return found


def secret_reader_violations(resources: Resources) -> list[Finding]:
    """Guardrail 6 (stack-wide): a secret's resource policy lets in this stack's own
    execution role alone, by name and account: not the same name in another account, not
    another environment's role, whatever the secret is called (an RDS-managed `rds!db-...`
    secret names no environment). Unless the pack can tell that role, it lets in no one."""
    reader = _execution_role(resources)
    expected = (f"arn:aws:iam::{reader[0]}:role/{reader[1]}" if reader else
                "the pack cannot tell which: the stack needs exactly one role "
                "admin-tasks-<env>-execution, whose trust policy's aws:SourceAccount is the "
                "account of the launcher's cluster")
    found = []
    for resource_type, props, urn in resources:
        if resource_type not in WITH_RESOURCE_POLICY or not props.get("policy"):
            continue
        for statement in statements(document(props.get("policy"))):
            principal = statement.get("Principal")
            if statement.get("Effect") == "Deny" or not isinstance(principal, Mapping):
                continue  # Principal "*" and NotPrincipal are refused per resource
            others = [str(arn) for arn in as_list(principal.get("AWS"))
                      if not _is_role(str(arn), reader)]
            if others:
                found.append(Finding(urn, f"the secret's resource policy lets {others} in; only "
                                     f"this stack's execution role may read it ({expected})"))
    return found


def _execution_role(resources: Resources) -> tuple[str, str] | None:
    """(account, name) of the stack's execution role: the one role named like it, in the
    account its ECS trust is confined to (guardrail 1 demands aws:SourceAccount), which is
    the account of the launcher's cluster."""
    roles = [(source_account(props), str(props.get("name"))) for resource_type, props, _
             in resources if resource_type == ROLE
             and EXECUTION_ROLE_NAME.fullmatch(str(props.get("name") or ""))]
    account, name = roles[0] if len(roles) == 1 else (None, "")
    # ...and that account must be the stack's: the one of the cluster the launcher runs in.
    clusters = set().union(*(cluster_accounts(document(props.get("policy") or "{}"))
                             for resource_type, props, _ in resources
                             if resource_type == ROLE_POLICY))
    return (account, name) if account and clusters == {account} else None


def _is_role(arn: str, role: tuple[str, str] | None) -> bool:
    return role is not None and re.fullmatch(
        rf"arn:aws[a-z-]*:iam::{role[0]}:role/{re.escape(role[1])}", arn) is not None
