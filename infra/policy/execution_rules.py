"""Guardrail 4: the execution and task roles' permissions."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from infra.policy.iam_rules import (
    EXECUTION_ACTIONS,
    KMS_KEY_ARN,
    SECRET_ARN,
    SECRET_READ,
    Props,
    actions_of,
    as_list,
    document,
    generic_violations,
    granted_actions,
    granted_among,
    resources_match,
    role_name,
    star_resource,
    statements,
)
from infra.policy.permission_rules import POLICY_TYPES, ROLE_POLICY
from infra.policy.resource_rules import secret_arn
from infra.policy.secret_rules import EXECUTION_ROLE_NAME
from infra.policy.stack_rules import (
    POLICY_ATTACHMENT,
    ROLE,
    ROLE_POLICY_ATTACHMENT,
    Finding,
    Resources,
)

TASK_ROLE_NAME = re.compile(r"admin-tasks-[a-z0-9-]+-task")


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
        actions = actions_of(statement)
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
    if resource_type == ROLE:
        arns = [str(a) for a in as_list(props.get("managedPolicyArns"))]
    elif resource_type == ROLE_POLICY_ATTACHMENT or (
            resource_type == POLICY_ATTACHMENT and as_list(props.get("roles"))):
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
    if granted_among(policy, SECRET_READ):
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
    """Guardrail 4 (stack-wide): the task role gets no permission at all (inline, RolePolicy,
    attachment or managed policy); only the execution role reads secrets, and only those
    some task definition references."""
    task_roles, execution_roles, referenced = _ecs_roles(resources)
    found = []
    for resource_type, props, urn in resources:
        found += [Finding(urn, f"the task role {role} has {what}; it must have none (the admin "
                          "tasks talk only to the database): remove it")
                  for role, what in _grants(resource_type, props) if role in task_roles]
        if resource_type != ROLE_POLICY:
            continue
        policy = document(props.get("policy") or "{}")
        if granted_among(policy, SECRET_READ) and role_name(props.get("role")) not in \
                execution_roles:
            found.append(Finding(urn, f"role {props.get('role')} may read secrets; only the "
                                 f"execution role {sorted(execution_roles)} reads them"))
        granted = {str(r) for s in statements(policy)
                   if "secretsmanager:GetSecretValue" in actions_of(s)
                   for r in as_list(s.get("Resource"))}
        if granted - referenced:
            found.append(Finding(urn, f"execution role may read {sorted(granted - referenced)}, "
                                 "which no task definition references"))
    return found


def _ecs_roles(resources: Resources) -> tuple[set[str], set[str], set[str]]:
    """The task roles and execution roles (as the task definitions name them, and as the
    program names them), and the secrets the task definitions reference."""
    task_roles, execution_roles, referenced = set(), set(), set()
    for resource_type, props, _ in resources:
        if resource_type == "aws:ecs/taskDefinition:TaskDefinition":
            task_roles.add(role_name(props.get("taskRoleArn")))
            execution_roles.add(role_name(props.get("executionRoleArn")))
            referenced |= _value_from_secrets(props.get("containerDefinitions"))
        elif resource_type == ROLE:
            name = str(props.get("name") or "")
            task_roles |= {name} if TASK_ROLE_NAME.fullmatch(name) else set()
            execution_roles |= {name} if EXECUTION_ROLE_NAME.fullmatch(name) else set()
    return task_roles - {""}, execution_roles - {""}, referenced


def _grants(resource_type: str, props: Props) -> list[tuple[str, str]]:
    """(role, what it is given) for every way a resource gives a role a permission."""
    if resource_type == ROLE_POLICY:
        return [(role_name(props.get("role")), f"the policy {props.get('name') or '(unnamed)'}")]
    if resource_type == ROLE_POLICY_ATTACHMENT:
        return [(role_name(props.get("role")), f"the managed policy {props.get('policyArn')}")]
    if resource_type == POLICY_ATTACHMENT:
        return [(role_name(role), f"the managed policy {props.get('policyArn')}")
                for role in as_list(props.get("roles"))]
    if resource_type != ROLE:
        return []
    name = role_name(props.get("name"))
    return [*((name, f"the managed policy {arn}") for arn in as_list(props.get("managedPolicyArns"))),
            *((name, f"the inline policy {inline.get('name') or '(unnamed)'}")
              for inline in as_list(props.get("inlinePolicies"))
              if isinstance(inline, Mapping) and inline.get("policy"))]


def _value_from_secrets(raw: object) -> set[str]:
    containers = as_list(json.loads(raw) if isinstance(raw, str) else raw)
    return {secret_arn(str(secret.get("valueFrom", "")))
            for container in containers for secret in as_list(container.get("secrets"))}
