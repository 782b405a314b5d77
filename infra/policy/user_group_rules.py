"""Guardrails 3 and 4 for IAM users and groups: none launches, passes a role or reads secrets.

The program creates no user or group. A hand-added one must not get, by an inline policy or
an attached one, what only the environment's GitHub role may do (LAUNCHER_LIKE) or what only
the execution role may do (SECRET_READ): that would be a second, unreviewed way in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.policy.iam_rules import (
    LAUNCHER_LIKE,
    SECRET_READ,
    Props,
    as_list,
    document,
    granted_among,
)
from infra.policy.stack_rules import POLICY_ATTACHMENT, Finding, Resources

USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
USER_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
GROUP_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
MANAGED_POLICY = "aws:iam/policy:Policy"


def user_group_policy_violations(resource_type: str, props: Props) -> list[str]:
    """Guardrails 3 and 4, per resource: a user's or group's inline policy."""
    if resource_type == USER_POLICY:
        return _forbidden(f"user {props.get('user')}", props.get("policy"))
    if resource_type == GROUP_POLICY:
        return _forbidden(f"group {props.get('group')}", props.get("policy"))
    return []


def user_group_attachment_violations(resources: Resources) -> list[Finding]:
    """Guardrails 3 and 4 (stack-wide): a policy attached to a user or group is one this
    stack declares (so the pack can read it) and grants none of those actions."""
    declared = [props for resource_type, props, _ in resources if resource_type == MANAGED_POLICY]
    found = []
    for resource_type, props, urn in resources:
        holders = _holders(resource_type, props)
        if not holders:
            continue
        arn = str(props.get("policyArn") or "")
        policy = next((p for p in declared if _is_arn_of(p, arn)), None)
        if policy is None:
            found.append(Finding(urn, f"{holders} get the policy {arn!r}, which this stack "
                                 "does not declare, so the pack cannot tell whether it launches "
                                 "tasks or reads secrets; attach a policy declared here instead"))
        else:
            found += [Finding(urn, message) for message in _forbidden(holders, policy.get("policy"))]
    return found


def _holders(resource_type: str, props: Props) -> str:
    if resource_type == USER_ATTACHMENT:
        return f"user {props.get('user')}"
    if resource_type == GROUP_ATTACHMENT:
        return f"group {props.get('group')}"
    if resource_type != POLICY_ATTACHMENT:
        return ""
    return " and ".join(f"{kind} {[str(name) for name in as_list(props.get(key))]}"
                        for kind, key in (("users", "users"), ("groups", "groups"))
                        if as_list(props.get(key)))


def _is_arn_of(policy: Mapping[str, Any], arn: str) -> bool:
    """Whether `arn` is this Policy's (its `arn` once created; its path and name before)."""
    if policy.get("arn"):
        return str(policy.get("arn")) == arn
    name = str(policy.get("name") or "")
    return bool(name) and arn.endswith(f":policy{policy.get('path') or '/'}{name}")


def _forbidden(holder: str, raw: object) -> list[str]:
    actions = granted_among(document(raw or "{}"), LAUNCHER_LIKE | SECRET_READ)
    if not actions:
        return []
    return [f"{holder} may {actions}: only the environment's GitHub role launches admin tasks "
            "and only the execution role reads their secrets; remove these actions"]
