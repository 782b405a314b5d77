"""Guardrail 6: the admin secrets, who may read them, and no secret value in the program
or in GitHub."""

from __future__ import annotations

import re
from collections.abc import Mapping

from infra.policy.iam_rules import (
    Props,
    as_list,
    document,
    generic_violations,
    principal_text,
    statements,
)
from infra.policy.resource_rules import CREDENTIAL_IN_URL, SECRETISH_NAME

SECRET_NAME = re.compile(r"admin-tasks/[a-z][a-z0-9-]*/[a-z0-9-]+")
SECRET_ENVIRONMENT = re.compile(r"(?:^|:secret:)admin-tasks/([a-z][a-z0-9-]*)/")
EXECUTION_ROLE = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/admin-tasks-([a-z0-9-]+)-execution")
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
    if resource_type == "aws:secretsmanager/secret:Secret":
        found = []
        if not SECRET_NAME.fullmatch(str(props.get("name", ""))):
            found.append(f"secret name {props.get('name')!r} must be admin-tasks/<env>/<name>")
        window = props.get("recoveryWindowInDays")
        if not isinstance(window, (int, float)) or not 7 <= window <= 30:
            found.append(f"recovery window must be set to 7-30 days (got {window!r})")
        return found + (_readers(props, "name") if props.get("policy") else [])
    if resource_type == "aws:secretsmanager/secretPolicy:SecretPolicy":
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


def _readers(props: Props, secret_key: str) -> list[str]:
    """A secret's resource policy may let in only its environment's execution role (the
    stack writes none: ECS reads the secrets with the execution role's own policy)."""
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
        if not (isinstance(principal, Mapping) and list(principal) == ["AWS"]
                and all(role and environment in (None, role.group(1)) for role in roles)):
            found.append(f"statement {statement.get('Sid', index)} of the secret's resource "
                         f"policy lets {principal_text(principal)} in; only the role "
                         f"admin-tasks-{environment or '<env>'}-execution may read it")
    return found
