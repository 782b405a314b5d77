"""Guardrail 4: the execution and task roles' permissions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from infra.policy.iam_rules import (
    EXECUTION_ACTIONS,
    KMS_KEY_ARN,
    SECRET_ARN,
    Props,
    as_list,
    document,
    generic_violations,
    granted_actions,
    granted_among,
    resources_match,
    star_resource,
    statements,
)
from infra.policy.permission_rules import POLICY_TYPES, ROLE_POLICY
from infra.policy.stack_rules import Finding, Resources


def execution_violations(resource_type: str, props: Props) -> list[str]:
    """Guardrail 4: the role that reads secrets reads named secrets, and only decrypts them."""
    if resource_type not in POLICY_TYPES:
        return []
    policy = document(props.get("policy") or "{}")
    actions = granted_actions(policy)
    if not any(a.startswith("secretsmanager:") for a in actions) or any(
            a.startswith("ecs:") for a in actions):
        return []  # not an execution policy (a launcher with secrets fails guardrail 3)
    found = generic_violations(policy)
    extra = actions - EXECUTION_ACTIONS
    if extra:
        found.append(f"execution policy grants {sorted(extra)}; ECS needs only pull, logs, "
                     "the referenced secrets and their key")
    for statement in statements(policy):
        actions = set(as_list(statement.get("Action")))
        found += star_resource(statement)
        if "secretsmanager:GetSecretValue" in actions and not resources_match(
                statement, SECRET_ARN):
            found.append("secretsmanager:GetSecretValue only on named secret ARNs")
        if "kms:Decrypt" in actions and not (
                resources_match(statement, KMS_KEY_ARN)
                and "kms:ViaService" in ((statement.get("Condition") or {}).get(
                    "StringEquals") or {})):
            found.append("kms:Decrypt only on the configured key, via Secrets Manager")
    return found


def managed_policy_violations(resource_type: str, props: Props) -> list[str]:
    """Guardrail 4: no AWS-managed policies (they grant "*" resources) on admin-task roles."""
    arns = []
    if resource_type == "aws:iam/role:Role":
        arns = [str(a) for a in as_list(props.get("managedPolicyArns"))]
    elif resource_type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment" or (
            resource_type == "aws:iam/policyAttachment:PolicyAttachment"
            and as_list(props.get("roles"))):
        arns = [str(props.get("policyArn", ""))]
    return [f"managed policy {arn} attached; use the stack's least-privilege inline policies"
            for arn in arns if arn]


def inline_policy_violations(resource_type: str, props: Props) -> list[str]:
    """Guardrail 4: `inline_policies` of any role read no secret and use no wildcard action
    or resource (the program puts its policies in RolePolicy resources, which the rules
    above check; an inline policy on the role would otherwise go unchecked)."""
    if resource_type != "aws:iam/role:Role":
        return []
    found = []
    for inline in as_list(props.get("inlinePolicies")):
        if isinstance(inline, Mapping) and inline.get("policy"):
            where = f"inline policy {inline.get('name') or '(unnamed)'} of role {props.get('name')}"
            found += [f"{where}: {problem}" for problem in _broad(document(inline["policy"]))]
    return found


def _broad(policy: Mapping[str, Any]) -> list[str]:
    found = []
    if granted_among(policy, {"secretsmanager:GetSecretValue"}):
        found.append("reads secrets; only the execution role does, by RolePolicy, on the "
                     "secrets the task definitions reference")
    for index, statement in enumerate(statements(policy)):
        if statement.get("Effect") == "Deny":
            continue
        where = f"statement {statement.get('Sid', index)}"
        patterns = [str(value) for element in ("Action", "Resource")
                    for value in as_list(statement.get(element))]
        if any("*" in value or "?" in value for value in patterns) or \
                "NotAction" in statement or "NotResource" in statement:
            found.append(f"{where}: a wildcard (or Not*) action or resource; name each one")
    return found


def task_role_violations(resources: Resources) -> list[Finding]:
    """Guardrail 4 (stack-wide): the task role gets no policy; the execution role reads only
    the secrets some task definition references."""
    task_roles, referenced = set(), set()
    for resource_type, props, _ in resources:
        if resource_type == "aws:ecs/taskDefinition:TaskDefinition":
            task_roles.add(str(props.get("taskRoleArn", "")).rsplit("/", 1)[-1])
            referenced |= _value_from_secrets(props.get("containerDefinitions"))
    found = []
    for resource_type, props, urn in resources:
        if resource_type != ROLE_POLICY:
            continue
        if str(props.get("role", "")) in task_roles:
            found.append(Finding(urn, f"the task role {props.get('role')} has a policy; it "
                                 "must have none"))
        policy = document(props.get("policy") or "{}")
        granted = {str(r) for s in statements(policy)
                   if "secretsmanager:GetSecretValue" in as_list(s.get("Action"))
                   for r in as_list(s.get("Resource"))}
        if granted - referenced:
            found.append(Finding(urn, f"execution role may read {sorted(granted - referenced)}, "
                                 "which no task definition references"))
    return found


def _value_from_secrets(raw: object) -> set[str]:
    containers = as_list(json.loads(raw) if isinstance(raw, str) else raw)
    return {str(secret.get("valueFrom", "")).rsplit(":", 3)[0]
            for container in containers for secret in as_list(container.get("secrets"))}
