"""Guardrail 1: who may assume the environment's GitHub role, and GitHub's OIDC provider."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from infra.policy.iam_rules import (
    OIDC_HOST,
    Props,
    as_list,
    conditions,
    document,
    generic_violations,
    is_github_role,
    is_web_identity,
    principal_text,
    statements,
)

LEGACY_SUBJECT = re.compile(r"repo:([A-Za-z0-9-]+)/([A-Za-z0-9._-]+):environment:([a-z0-9-]+)")
IMMUTABLE_SUBJECT = re.compile(
    r"repo:([A-Za-z0-9-]+)@\d+/([A-Za-z0-9._-]+)@\d+:environment:([a-z0-9-]+)")


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
    if conditions(statement, "StringEquals", f"{OIDC_HOST}:aud") != ["sts.amazonaws.com"]:
        found.append(f"{OIDC_HOST}:aud must equal sts.amazonaws.com")
    subjects = conditions(statement, "StringEquals", f"{OIDC_HOST}:sub")
    legacy = [m.groups() for s in subjects if (m := LEGACY_SUBJECT.fullmatch(s))]
    immutable = [m.groups() for s in subjects if (m := IMMUTABLE_SUBJECT.fullmatch(s))]
    if len(subjects) != 2 or len(legacy) != 1 or len(immutable) != 1 or legacy != immutable:
        found.append(f"subjects must be exactly the legacy and the immutable form of one "
                     f"repository's environment (got {subjects})")
    return found
