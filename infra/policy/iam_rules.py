"""Guardrails 1, 3 and 4: IAM trust and permission documents.

Each check takes a resource's type and input properties (engine names, camelCase) and
returns human-readable violations; an empty list means the resource complies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

Props = Mapping[str, Any]
OIDC_HOST = "token.actions.githubusercontent.com"
LEGACY_SUBJECT = re.compile(r"repo:([A-Za-z0-9-]+)/([A-Za-z0-9._-]+):environment:([a-z0-9-]+)")
# The program names the environment's role `admin-tasks-<env>-github` (infra/stack.py).
GITHUB_ROLE_NAME = re.compile(r"admin-tasks-[a-z0-9-]+-github")
IMMUTABLE_SUBJECT = re.compile(
    r"repo:([A-Za-z0-9-]+)@\d+/([A-Za-z0-9._-]+)@\d+:environment:([a-z0-9-]+)")
LAUNCHER_ACTIONS = {"ecs:RunTask", "ecs:TagResource", "iam:PassRole", "ecs:DescribeTasks",
                    "ecs:StopTask", "ecs:ListTasks", "logs:GetLogEvents"}
EXECUTION_ACTIONS = {"secretsmanager:GetSecretValue", "logs:CreateLogStream", "logs:PutLogEvents",
                     "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
                     "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "kms:Decrypt"}
STAR_ALLOWED = {"ecr:GetAuthorizationToken", "ecs:ListTasks"}  # no resource-level permissions
TASK_DEFINITION_ARN = re.compile(
    r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/admin-tasks-[a-z0-9-]+:(\*|\d+)")
SECRET_ARN = re.compile(r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^*?]+")
KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+")
ADMIN_LOG_STREAMS = re.compile(
    r"arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:/admin-tasks/[a-z0-9-]+:log-stream:\*")


def document(raw: object) -> dict[str, Any]:
    """A policy document from a JSON string or an already-decoded object."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    return dict(value) if isinstance(value, Mapping) else {}


def as_list(value: object) -> list[Any]:
    """A JSON-ish value as a list. The policy engine hands over read-only Sequence and
    Mapping proxies, not list and dict: test against the abstract types."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return list(value)
    return [value]


def statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in as_list(policy.get("Statement")) if isinstance(s, Mapping)]


def generic_violations(policy: Mapping[str, Any]) -> list[str]:
    """No wildcard actions, no Not* elements, no ForAllValues in an Allow, anywhere."""
    found = []
    for index, statement in enumerate(statements(policy)):
        where = f"statement {statement.get('Sid', index)}"
        for action in as_list(statement.get("Action")):
            if "*" in str(action) or "?" in str(action):
                found.append(f"{where}: wildcard action {action!r}; name each action")
        for element in ("NotAction", "NotResource", "NotPrincipal"):
            if element in statement:
                found.append(f"{where}: {element} grants everything else; list what is allowed")
        operators = statement.get("Condition", {}) or {}
        if statement.get("Effect") == "Allow" and any(
                str(op).startswith("ForAllValues:") for op in operators):
            found.append(f"{where}: ForAllValues: in an Allow also matches an empty set")
    return found


def _conditions(statement: Mapping[str, Any], operator: str, key: str) -> list[str]:
    return [str(v) for v in as_list((statement.get("Condition") or {}).get(operator, {}).get(key))]


def principal_text(principal: object) -> str:
    """`AWS ['*']`-style text of a Principal (the engine's read-only proxies have no repr)."""
    if isinstance(principal, Mapping):
        return ", ".join(f"{kind} {[str(v) for v in as_list(value)]}"
                         for kind, value in principal.items())
    return repr(str(principal))


def is_web_identity(statement: Mapping[str, Any]) -> bool:
    principal = statement.get("Principal")
    return "sts:AssumeRoleWithWebIdentity" in as_list(statement.get("Action")) or (
        isinstance(principal, Mapping) and "Federated" in principal)


def is_github_role(props: Props) -> bool:
    """The environment's GitHub (launcher) role: named like the program names it, or
    trusting a web identity. Either is enough, so widening the trust cannot hide the role."""
    if GITHUB_ROLE_NAME.fullmatch(str(props.get("name") or "")):
        return True
    return any(map(is_web_identity, statements(document(props.get("assumeRolePolicy") or "{}"))))


def trust_violations(resource_type: str, props: Props) -> list[str]:
    """Guardrail 1: the GitHub role trusts exactly this repository's environment."""
    if resource_type == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        found = []
        if props.get("url") != f"https://{OIDC_HOST}":
            found.append(f"OIDC provider url is {props.get('url')!r}, not GitHub's")
        if as_list(props.get("clientIdLists")) != ["sts.amazonaws.com"]:
            found.append("OIDC provider audiences must be exactly ['sts.amazonaws.com']")
        return found
    if resource_type != "aws:iam/role:Role" or not is_github_role(props):
        return []
    policy = document(props.get("assumeRolePolicy") or "{}")
    found = generic_violations(policy)
    duration = props.get("maxSessionDuration") or 3600
    if duration > 3600:
        found.append(f"maxSessionDuration is {duration}s; at most 3600 for admin launches")
    # Deny statements only narrow; anything that allows must be the one statement below.
    allows = [s for s in statements(policy) if s.get("Effect") != "Deny"]
    if len(allows) != 1:
        found.append(f"the trust policy has {len(allows)} Allow statements; it must have "
                     "exactly one, the GitHub environment's web-identity statement")
    for index, statement in enumerate(allows):
        if is_web_identity(statement):
            found += _web_identity_statement(statement)
        else:
            found.append(f"statement {statement.get('Sid', index)} lets "
                         f"{principal_text(statement.get('Principal'))} assume the GitHub "
                         "role; only the GitHub environment's web identity may")
    return found


def _web_identity_statement(statement: Mapping[str, Any]) -> list[str]:
    found = []
    raw = statement.get("Principal")
    principal = raw if isinstance(raw, Mapping) else {"*": raw}  # "Principal": "*"
    if set(principal) != {"Federated"}:
        found.append(f"principal must be the GitHub OIDC provider alone (got "
                     f"{principal_text(raw)})")
    federated = str(principal.get("Federated", ""))
    if not federated.endswith(f":oidc-provider/{OIDC_HOST}"):
        found.append(f"Federated principal {federated!r} is not the GitHub OIDC provider")
    if as_list(statement.get("Action")) != ["sts:AssumeRoleWithWebIdentity"]:
        found.append("a web-identity statement may allow only sts:AssumeRoleWithWebIdentity")
    operators = set(statement.get("Condition") or {})
    if operators != {"StringEquals"}:
        found.append(f"conditions must be StringEquals only (got {sorted(operators)})")
    if _conditions(statement, "StringEquals", f"{OIDC_HOST}:aud") != ["sts.amazonaws.com"]:
        found.append(f"{OIDC_HOST}:aud must equal sts.amazonaws.com")
    subjects = _conditions(statement, "StringEquals", f"{OIDC_HOST}:sub")
    legacy = [m.groups() for s in subjects if (m := LEGACY_SUBJECT.fullmatch(s))]
    immutable = [m.groups() for s in subjects if (m := IMMUTABLE_SUBJECT.fullmatch(s))]
    if len(subjects) != 2 or len(legacy) != 1 or len(immutable) != 1 or legacy != immutable:
        found.append(f"subjects must be exactly the legacy and the immutable form of one "
                     f"repository's environment (got {subjects})")
    return found
