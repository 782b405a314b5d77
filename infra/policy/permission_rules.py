"""Guardrails 3 and 4: the launcher, execution and task roles' permissions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from infra.policy.iam_rules import (
    ADMIN_LOG_STREAMS,
    EXECUTION_ACTIONS,
    KMS_KEY_ARN,
    LAUNCHER_ACTIONS,
    SECRET_ARN,
    STAR_ALLOWED,
    TASK_DEFINITION_ARN,
    Props,
    as_list,
    document,
    generic_violations,
    statements,
)
from tasks.settings import CLUSTER_ARN

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY_TYPES = {ROLE_POLICY, "aws:iam/policy:Policy"}


def _actions(policy: Mapping[str, Any]) -> set[str]:
    return {str(a) for s in statements(policy) for a in as_list(s.get("Action"))}


def _cluster_condition(statement: Mapping[str, Any]) -> bool:
    value = ((statement.get("Condition") or {}).get("ArnEquals") or {}).get("ecs:cluster")
    return isinstance(value, str) and CLUSTER_ARN.fullmatch(value) is not None


def _resources_match(statement: Mapping[str, Any], pattern: Any) -> bool:
    resources = as_list(statement.get("Resource"))
    return bool(resources) and all(pattern.fullmatch(str(r)) for r in resources)


def _launcher_statement(statement: Mapping[str, Any]) -> list[str]:
    actions = set(as_list(statement.get("Action")))
    where = f"statement {statement.get('Sid', sorted(actions))}"
    found = []
    if "ecs:RunTask" in actions and not (
            _resources_match(statement, TASK_DEFINITION_ARN) and _cluster_condition(statement)):
        found.append(f"{where}: ecs:RunTask only on admin-tasks task-definition families, "
                     "with ArnEquals ecs:cluster")
    if "iam:PassRole" in actions:
        passed = ((statement.get("Condition") or {}).get("StringEquals") or {}).get(
            "iam:PassedToService")
        if "*" in map(str, as_list(statement.get("Resource"))) or \
                passed != "ecs-tasks.amazonaws.com":
            found.append(f"{where}: iam:PassRole needs named roles and "
                         "iam:PassedToService = ecs-tasks.amazonaws.com")
    if actions & {"ecs:DescribeTasks", "ecs:StopTask", "ecs:ListTasks"} and \
            not _cluster_condition(statement):
        found.append(f"{where}: describe/list/stop must be scoped with ArnEquals ecs:cluster")
    if "ecs:TagResource" in actions and ((statement.get("Condition") or {}).get(
            "StringEquals") or {}).get("ecs:CreateAction") != "RunTask":
        found.append(f"{where}: ecs:TagResource only while RunTask creates the task")
    if any(a.startswith("logs:") for a in actions) and not _resources_match(
            statement, ADMIN_LOG_STREAMS):
        found.append(f"{where}: log reads only on the admin log group's streams")
    return found


def launcher_violations(resource_type: str, props: Props) -> list[str]:
    """Guardrail 3, per resource: a policy that can touch ECS tasks can do nothing beyond
    launching admin tasks (a wildcard action counts as touching them), whichever role it is
    on. Everything attached to the launcher role is checked stack-wide
    (`stack_rules.launcher_role_violations`)."""
    if resource_type not in POLICY_TYPES:
        return []
    policy = document(props.get("policy") or "{}")
    if not any(a.startswith("ecs:") or a.startswith("*") for a in _actions(policy)):
        return []
    return launcher_document_violations(policy)


def launcher_document_violations(policy: Mapping[str, Any]) -> list[str]:
    """Guardrail 3 on one policy document: only the launcher's actions, each scoped."""
    found = generic_violations(policy)
    extra = _actions(policy) - LAUNCHER_ACTIONS
    if extra:
        found.append(f"launcher policy grants {sorted(extra)} beyond launching admin tasks")
    for statement in statements(policy):
        found += _star_resource(statement) + _launcher_statement(statement)
    return found


def _star_resource(statement: Mapping[str, Any]) -> list[str]:
    actions = set(map(str, as_list(statement.get("Action"))))
    if "*" in map(str, as_list(statement.get("Resource"))) and actions - STAR_ALLOWED:
        return [f"statement {statement.get('Sid', sorted(actions))}: Resource '*' for "
                f"{sorted(actions - STAR_ALLOWED)}; name the resources"]
    return []


def execution_violations(resource_type: str, props: Props) -> list[str]:
    """Guardrail 4: the role that reads secrets reads named secrets, and only decrypts them."""
    if resource_type not in POLICY_TYPES:
        return []
    policy = document(props.get("policy") or "{}")
    actions = _actions(policy)
    if not any(a.startswith("secretsmanager:") for a in actions) or any(
            a.startswith("ecs:") for a in actions):
        return []  # not an execution policy (a launcher with secrets fails guardrail 3)
    found = generic_violations(policy)
    extra = _actions(policy) - EXECUTION_ACTIONS
    if extra:
        found.append(f"execution policy grants {sorted(extra)}; ECS needs only pull, logs, "
                     "the referenced secrets and their key")
    for statement in statements(policy):
        actions = set(as_list(statement.get("Action")))
        found += _star_resource(statement)
        if "secretsmanager:GetSecretValue" in actions and not _resources_match(
                statement, SECRET_ARN):
            found.append("secretsmanager:GetSecretValue only on named secret ARNs")
        if "kms:Decrypt" in actions and not (
                _resources_match(statement, KMS_KEY_ARN)
                and "kms:ViaService" in ((statement.get("Condition") or {}).get(
                    "StringEquals") or {})):
            found.append("kms:Decrypt only on the configured key, via Secrets Manager")
    return found


def managed_policy_violations(resource_type: str, props: Props) -> list[str]:
    """Guardrail 4: no AWS-managed policies (they grant "*" resources) on admin-task roles."""
    arns = []
    if resource_type == "aws:iam/role:Role":
        arns = [str(a) for a in as_list(props.get("managedPolicyArns"))]
    elif resource_type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
        arns = [str(props.get("policyArn", ""))]
    return [f"managed policy {arn} attached; use the stack's least-privilege inline policies"
            for arn in arns if arn]


def task_role_violations(resources: Sequence[tuple[str, Props]]) -> list[str]:
    """Guardrail 4 (stack-wide): the task role gets no policy; the execution role reads only
    the secrets some task definition references."""
    task_roles, referenced = set(), set()
    for resource_type, props in resources:
        if resource_type == "aws:ecs/taskDefinition:TaskDefinition":
            task_roles.add(str(props.get("taskRoleArn", "")).rsplit("/", 1)[-1])
            referenced |= _value_from_secrets(props.get("containerDefinitions"))
    found = []
    for resource_type, props in resources:
        if resource_type != ROLE_POLICY:
            continue
        if str(props.get("role", "")) in task_roles:
            found.append(f"the task role {props.get('role')} has a policy; it must have none")
        policy = document(props.get("policy") or "{}")
        granted = {str(r) for s in statements(policy)
                   if "secretsmanager:GetSecretValue" in as_list(s.get("Action"))
                   for r in as_list(s.get("Resource"))}
        if granted - referenced:
            found.append(f"execution role may read {sorted(granted - referenced)}, which no "
                         "task definition references")
    return found


def _value_from_secrets(raw: object) -> set[str]:
    containers = as_list(json.loads(raw) if isinstance(raw, str) else raw)
    return {str(secret.get("valueFrom", "")).rsplit(":", 3)[0]
            for container in containers for secret in as_list(container.get("secrets"))}
