"""Guardrail 3: the launcher role's permissions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from infra.policy.iam_rules import (
    ADMIN_LOG_STREAMS,
    LAUNCHER_ACTIONS,
    LAUNCHER_LIKE,
    TASK_DEFINITION_ARN,
    Props,
    actions_of,
    as_list,
    conditions,
    document,
    generic_violations,
    granted_actions,
    granted_among,
    resources_match,
    star_resource,
    statements,
)
from infra.policy.resource_rules import ENVIRONMENT_TAG
from tasks.contract import CLUSTER_ARN

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY_TYPES = {ROLE_POLICY, "aws:iam/policy:Policy"}
EXECUTE_COMMAND = "ecs:enable-execute-command"
REQUEST_TAG = f"aws:RequestTag/{ENVIRONMENT_TAG}"
RESOURCE_TAG = f"aws:ResourceTag/{ENVIRONMENT_TAG}"


def _cluster(statement: Mapping[str, Any]) -> re.Match[str] | None:
    value = ((statement.get("Condition") or {}).get("ArnEquals") or {}).get("ecs:cluster")
    return CLUSTER_ARN.fullmatch(value) if isinstance(value, str) else None


def cluster_accounts(policy: Mapping[str, Any]) -> set[str]:
    """The accounts of the clusters a policy's ecs:cluster conditions name."""
    return {m["account"] for s in statements(policy) if (m := _cluster(s))}


def _cluster_condition(statement: Mapping[str, Any]) -> bool:
    return _cluster(statement) is not None


def _passable_roles(policy: Mapping[str, Any], environments: set[str | None]) -> list[str]:
    """What the launcher may hand ECS: the execution and task roles of the one environment
    its tag conditions name, in the account of its one cluster (none if either is unclear)."""
    clusters = {(m["partition"], m["account"]) for s in statements(policy) if (m := _cluster(s))}
    if len(clusters) != 1 or len(environments) != 1:
        return []
    (partition, account), (environment,) = clusters.pop(), environments
    return [f"arn:{partition}:iam::{account}:role/admin-tasks-{environment}-{kind}"
            for kind in ("execution", "task")]


def _pass_role(statement: Mapping[str, Any], where: str, passable: list[str]) -> list[str]:
    passed = ((statement.get("Condition") or {}).get("StringEquals") or {}).get(
        "iam:PassedToService")
    roles = {str(role) for role in as_list(statement.get("Resource"))}
    # Any other role (a * or ?, another environment's, another account's) would let the
    # launcher start a task with permissions the stack never gave its admin tasks.
    if not roles or not roles <= set(passable) or passed != "ecs-tasks.amazonaws.com":
        return [f"{where}: iam:PassRole needs named roles (no * or ? in the role ARN): only "
                f"this environment's execution and task roles in its cluster's account "
                f"({passable or 'none: name one environment and one cluster'}), with "
                "StringEquals iam:PassedToService = ecs-tasks.amazonaws.com"]
    return []


def _launcher_statement(statement: Mapping[str, Any], passable: list[str]) -> list[str]:
    actions = actions_of(statement)
    where = f"statement {statement.get('Sid', sorted(actions))}"
    found = _run_task(statement, where) if "ecs:RunTask" in actions else []
    if "iam:PassRole" in actions:
        found += _pass_role(statement, where, passable)
    if actions & {"ecs:DescribeTasks", "ecs:StopTask", "ecs:ListTasks"} and \
            not _cluster_condition(statement):
        found.append(f"{where}: describe/list/stop must be scoped with ArnEquals ecs:cluster")
    if "ecs:StopTask" in actions and _environment(statement, RESOURCE_TAG) is None:
        found.append(f"{where}: ecs:StopTask needs StringEquals {RESOURCE_TAG} = the "
                     "environment, so the role stops only its own admin tasks")
    if "ecs:TagResource" in actions and ((statement.get("Condition") or {}).get(
            "StringEquals") or {}).get("ecs:CreateAction") != "RunTask":
        found.append(f"{where}: ecs:TagResource only while RunTask creates the task")
    if any(a.startswith("logs:") for a in actions) and not resources_match(
            statement, ADMIN_LOG_STREAMS):
        found.append(f"{where}: log reads only on the admin log group's streams")
    return found


def _environment(statement: Mapping[str, Any], key: str) -> str | None:
    """The one environment a StringEquals tag condition names, if it names exactly one (its
    value is then checked against the families RunTask runs and the other tag conditions)."""
    values = conditions(statement, "StringEquals", key)
    return values[0] if len(values) == 1 else None


def _run_task(statement: Mapping[str, Any], where: str) -> list[str]:
    found = []
    if not (resources_match(statement, TASK_DEFINITION_ARN) and _cluster_condition(statement)):
        found.append(f"{where}: ecs:RunTask only on admin-tasks task-definition families, "
                     "with ArnEquals ecs:cluster")
    if conditions(statement, "StringEquals", EXECUTE_COMMAND) != ["false"]:
        found.append(f'{where}: ecs:RunTask needs StringEquals {EXECUTE_COMMAND} = "false": '
                     "no shell into a container that holds the database credentials")
    environment = _environment(statement, REQUEST_TAG)
    families = [str(r).rsplit("/", 1)[-1] for r in as_list(statement.get("Resource"))]
    if environment is None:
        found.append(f"{where}: ecs:RunTask needs StringEquals {REQUEST_TAG} = the "
                     "environment, so every task it starts carries the tag StopTask is "
                     "scoped by")
    elif not all(_of_environment(family, environment) for family in families):
        found.append(f"{where}: ecs:RunTask tags tasks with environment {environment} but "
                     f"runs {families}")
    if environment is None or _environment(statement, RESOURCE_TAG) != environment:
        found.append(f"{where}: ecs:RunTask needs StringEquals {RESOURCE_TAG} = the "
                     f"environment of its {REQUEST_TAG}: the task definition's own tag, "
                     "since a family prefix also matches environments whose name extends "
                     "this one's (admin-tasks-staging-* matches admin-tasks-staging-eu-*)")
    return found


def _of_environment(family: str, environment: str) -> bool:
    """Whether `family:revision` names this environment's families: one of them, or all
    (the environment's prefix, `admin-tasks-<env>-*`, and no other wildcard)."""
    name = family.rsplit(":", 1)[0]
    wildcard = "*" in name or "?" in name
    return name == f"admin-tasks-{environment}-*" if wildcard else \
        name.startswith(f"admin-tasks-{environment}-")


def launcher_violations(resource_type: str, props: Props) -> list[str]:
    """Guardrail 3, per resource: a policy that can touch ECS tasks or pass a role (a
    wildcard action counts) can do nothing beyond launching admin tasks, whichever role it
    is on. Stack-wide: everything attached to the launcher role
    (`stack_rules.launcher_role_violations`), and no other role launches
    (`stack_rules.other_launcher_violations`)."""
    if resource_type not in POLICY_TYPES:
        return []
    policy = document(props.get("policy") or "{}")
    if not granted_among(policy, LAUNCHER_LIKE) and not any(
            a.casefold().startswith("ecs:") for a in granted_actions(policy)):
        return []
    return launcher_document_violations(policy)


def launcher_document_violations(policy: Mapping[str, Any]) -> list[str]:
    """Guardrail 3 on one policy document: only the launcher's actions, each scoped."""
    found = generic_violations(policy)
    extra = granted_actions(policy) - LAUNCHER_ACTIONS
    if extra:
        found.append(f"launcher policy grants {sorted(extra)} beyond launching admin tasks")
    tagged = {_environment(statement, key) for statement in statements(policy)
              for key in (REQUEST_TAG, RESOURCE_TAG)} - {None}
    passable = _passable_roles(policy, tagged)
    for statement in statements(policy):
        found += star_resource(statement) + _launcher_statement(statement, passable)
    if len(tagged) > 1:
        found.append(f"the launcher's tag conditions name several environments "
                     f"{sorted(map(str, tagged))}; it launches and stops one environment's")
    return found
