"""What the IAM guardrails (1, 3 and 4) share: reading policy documents, common patterns.

The checks in the `*_rules` modules take a resource's type and input properties (engine
names, camelCase) and return human-readable violations; an empty list means it complies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

Props = Mapping[str, Any]
OIDC_HOST = "token.actions.githubusercontent.com"
# The program names the environment's role `admin-tasks-<env>-github` (infra/stack.py).
GITHUB_ROLE_NAME = re.compile(r"admin-tasks-[a-z0-9-]+-github")
LAUNCHER_ACTIONS = {"ecs:RunTask", "ecs:TagResource", "iam:PassRole", "ecs:DescribeTasks",
                    "ecs:StopTask", "ecs:ListTasks", "logs:GetLogEvents",
                    "ecs:DescribeTaskDefinition"}
EXECUTION_ACTIONS = {"secretsmanager:GetSecretValue", "logs:CreateLogStream", "logs:PutLogEvents",
                     "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
                     "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "kms:Decrypt"}
# What only the environment's GitHub role may hold: the launcher's actions and the others
# that start, reach into or reshape tasks (a new task definition may name any role and
# command), or take on another role. The launcher itself holds only LAUNCHER_ACTIONS.
LAUNCHER_LIKE = LAUNCHER_ACTIONS | {"ecs:StartTask", "ecs:ExecuteCommand", "ecs:CreateService",
                                    "ecs:UpdateService", "ecs:CreateTaskSet",
                                    "ecs:RegisterTaskDefinition", "sts:AssumeRole"}
# What only the execution role may hold: reading a secret's value (BatchGetSecretValue also
# needs it, secret by secret). ECS needs nothing else to inject a secret.
SECRET_READ = {"secretsmanager:GetSecretValue"}
# No resource-level permissions: "*" is their only form.
STAR_ALLOWED = {"ecr:GetAuthorizationToken", "ecs:ListTasks", "ecs:DescribeTaskDefinition"}
# One family (`admin-tasks-<env>-<task>`) or every family of one environment
# (`admin-tasks-<env>-*`, which permission_rules accepts only with the environment's tag
# condition), at one revision or all. No other wildcard: not `admin-tasks-*`, not
# `admin-tasks-staging*`, not `task-definition/*`.
TASK_DEFINITION_ARN = re.compile(r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/"
                                 r"admin-tasks-[a-z0-9-]+(-\*)?:(\*|\d+)")
SECRET_ARN = re.compile(r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[^*?]+")
KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+")
ADMIN_LOG_STREAMS = re.compile(
    r"arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:/admin-tasks/[a-z0-9-]+:log-stream:\*")


# IAM compares action names, service prefix included, case-insensitively
# ("SecretsManager:getsecretvalue" is secretsmanager:GetSecretValue): every rule reads
# actions through `actions_of`, which spells each one as these sets do.
_CANONICAL = {action.casefold(): action for action in (
    LAUNCHER_LIKE | EXECUTION_ACTIONS | STAR_ALLOWED | {"sts:AssumeRoleWithWebIdentity"})}


def canonical_action(action: object) -> str:
    """An Action entry as this module spells it; one it does not know with its service
    prefix in lower case (so prefix tests such as `ecs:` hold, and messages keep its name)."""
    text = str(action)
    service, colon, name = text.partition(":")
    return _CANONICAL.get(text.casefold(), f"{service.casefold()}{colon}{name}")


def actions_of(statement: Mapping[str, Any], element: str = "Action") -> set[str]:
    """A statement's `Action` (or `NotAction`) entries, folded by `canonical_action`."""
    return {canonical_action(action) for action in as_list(statement.get(element))}


def role_name(reference: object) -> str:
    """A role as a policy or attachment names it: its name, or its ARN (`...:role/path/name`)."""
    return str(reference or "").rsplit("/", 1)[-1]


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
        for action in sorted(actions_of(statement)):
            if "*" in action or "?" in action:
                found.append(f"{where}: wildcard action {action!r}; name each action")
        for element in ("NotAction", "NotResource", "NotPrincipal"):
            if element in statement:
                found.append(f"{where}: {element} grants everything else; list what is allowed")
        operators = statement.get("Condition", {}) or {}
        if statement.get("Effect") == "Allow" and any(
                str(op).startswith("ForAllValues:") for op in operators):
            found.append(f"{where}: ForAllValues: in an Allow also matches an empty set")
    return found


def conditions(statement: Mapping[str, Any], operator: str, key: str) -> list[str]:
    return [str(v) for v in as_list((statement.get("Condition") or {}).get(operator, {}).get(key))]


def principal_text(principal: object) -> str:
    """`AWS ['*']`-style text of a Principal (the engine's read-only proxies have no repr)."""
    if isinstance(principal, Mapping):
        return ", ".join(f"{kind} {[str(v) for v in as_list(value)]}"
                         for kind, value in principal.items())
    return repr(str(principal))


def is_web_identity(statement: Mapping[str, Any]) -> bool:
    principal = statement.get("Principal")
    return "sts:AssumeRoleWithWebIdentity" in actions_of(statement) or (
        isinstance(principal, Mapping) and "Federated" in principal)


def is_github_role(props: Props) -> bool:
    """The environment's GitHub (launcher) role: named like the program names it, or
    trusting a web identity. Either is enough, so widening the trust cannot hide the role."""
    if GITHUB_ROLE_NAME.fullmatch(str(props.get("name") or "")):
        return True
    return any(map(is_web_identity, statements(document(props.get("assumeRolePolicy") or "{}"))))


def granted_actions(policy: Mapping[str, Any]) -> set[str]:
    return {action for s in statements(policy) for action in actions_of(s)}


def resources_match(statement: Mapping[str, Any], pattern: Any) -> bool:
    resources = as_list(statement.get("Resource"))
    return bool(resources) and all(pattern.fullmatch(str(r)) for r in resources)


def star_resource(statement: Mapping[str, Any]) -> list[str]:
    actions = actions_of(statement)
    if "*" in map(str, as_list(statement.get("Resource"))) and actions - STAR_ALLOWED:
        return [f"statement {statement.get('Sid', sorted(actions))}: Resource '*' for "
                f"{sorted(actions - STAR_ALLOWED)}; name the resources"]
    return []


def covers(pattern: str, action: str) -> bool:
    """Whether an Action entry grants `action`: IAM matches actions case-insensitively,
    with `*` and `?` wildcards."""
    regex = re.escape(pattern.casefold()).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, action.casefold()) is not None


def granted_among(policy: Mapping[str, Any], candidates: set[str]) -> list[str]:
    """The candidate actions some Allow statement grants (a NotAction grants all it does
    not name)."""
    granted = set()
    for statement in statements(policy):
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            excluded = [str(a) for a in as_list(statement["NotAction"])]
            granted |= {c for c in candidates if not any(covers(a, c) for a in excluded)}
        granted |= {c for c in candidates
                    if any(covers(str(a), c) for a in as_list(statement.get("Action")))}
    return sorted(granted)
