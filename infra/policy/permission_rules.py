"""Guardrail 3: the launcher role's permissions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.policy.iam_rules import (
    ADMIN_LOG_STREAMS,
    LAUNCHER_ACTIONS,
    TASK_DEFINITION_ARN,
    Props,
    as_list,
    document,
    generic_violations,
    granted_actions,
    resources_match,
    star_resource,
    statements,
)
from tasks.settings import CLUSTER_ARN

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY_TYPES = {ROLE_POLICY, "aws:iam/policy:Policy"}


def _cluster_condition(statement: Mapping[str, Any]) -> bool:
    value = ((statement.get("Condition") or {}).get("ArnEquals") or {}).get("ecs:cluster")
    return isinstance(value, str) and CLUSTER_ARN.fullmatch(value) is not None


def _launcher_statement(statement: Mapping[str, Any]) -> list[str]:
    actions = set(as_list(statement.get("Action")))
    where = f"statement {statement.get('Sid', sorted(actions))}"
    found = []
    if "ecs:RunTask" in actions and not (
            resources_match(statement, TASK_DEFINITION_ARN) and _cluster_condition(statement)):
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
    if any(a.startswith("logs:") for a in actions) and not resources_match(
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
    if not any(a.startswith("ecs:") or a.startswith("*") for a in granted_actions(policy)):
        return []
    return launcher_document_violations(policy)


def launcher_document_violations(policy: Mapping[str, Any]) -> list[str]:
    """Guardrail 3 on one policy document: only the launcher's actions, each scoped."""
    found = generic_violations(policy)
    extra = granted_actions(policy) - LAUNCHER_ACTIONS
    if extra:
        found.append(f"launcher policy grants {sorted(extra)} beyond launching admin tasks")
    for statement in statements(policy):
        found += star_resource(statement) + _launcher_statement(statement)
    return found
