"""The registry: each docs/DESIGN.md guardrail the pack enforces, with its pure check:
per resource (GUARDRAILS) and stack-wide (STACK_GUARDRAILS)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from infra.policy.execution_rules import (
    execution_violations,
    inline_policy_violations,
    managed_policy_violations,
    task_role_violations,
)
from infra.policy.iam_rules import Props
from infra.policy.permission_rules import launcher_violations
from infra.policy.resource_rules import (
    github_environment_violations,
    log_retention_violations,
    task_definition_violations,
)
from infra.policy.secret_rules import secret_reader_violations, secret_violations
from infra.policy.stack_rules import (
    Finding,
    Resources,
    launcher_role_violations,
    other_launcher_violations,
)
from infra.policy.trust_rules import trust_violations
from infra.policy.user_group_rules import (
    user_group_attachment_violations,
    user_group_policy_violations,
)

Check = Callable[[str, Props], list[str]]
StackCheck = Callable[[Resources], list[Finding]]


@dataclass(frozen=True)
class Guardrail:
    """One guardrail as a CrossGuard resource policy."""

    name: str
    """Policy name shown by `pulumi preview --policy-pack`."""
    number: int
    """Guardrail number in docs/DESIGN.md."""
    description: str
    """What the policy demands."""
    check: Check
    """Pure function: (resource type, input properties) -> violations."""


GUARDRAILS = (
    Guardrail("github-oidc-trust", 1, "The GitHub role trusts exactly the two subjects of one "
              "repository environment, the admin workflow on main of that repository (by "
              "id), audience sts.amazonaws.com, for at most an hour.",
              trust_violations),
    Guardrail("reviewed-github-environment", 2, "Required reviewers, no self-review, no admin "
              "bypass in production, deployments from main only.",
              github_environment_violations),
    Guardrail("launcher-least-privilege", 3, "The launcher runs, watches and stops this "
              "environment's admin tasks in its cluster and reads their logs; nothing else. "
              "No user's or group's inline policy launches, passes a role or reads secrets.",
              lambda t, p: launcher_violations(t, p) + user_group_policy_violations(t, p)),
    Guardrail("execution-role-least-privilege", 4, "The execution role reads only named "
              "secrets (and their key through Secrets Manager); no managed policy on any "
              "role; no role's inline_policies read secrets or use wildcards.",
              lambda t, p: execution_violations(t, p) + managed_policy_violations(t, p)
              + inline_policy_violations(t, p)),
    Guardrail("admin-task-definition", 5, "Fargate, awsvpc, secrets only via valueFrom, awslogs "
              "to the admin log group, read-only root, non-root, no ports; the whole argv in "
              "the entry point (python -I or /bin/sh -c <script>), no PYTHON*/LD_* variables.",
              task_definition_violations),
    Guardrail("admin-secrets", 6, "Secrets under admin-tasks/<env>/ with a recovery window; no "
              "secret value in the program or in plain variables.",
              secret_violations),
    Guardrail("audit-log-retention", 7, "The admin log group keeps events 365 days in "
              "production, 30 elsewhere.", log_retention_violations),
)


@dataclass(frozen=True)
class StackGuardrail:
    """One guardrail as a CrossGuard stack policy (it needs several resources at once)."""

    name: str
    number: int
    description: str
    check: StackCheck
    """Pure function: every (type, properties, URN) of the stack -> findings."""


# The production-github-environment stack policy takes the pack's config: see __main__.
STACK_GUARDRAILS = (
    StackGuardrail("task-role-without-permissions", 4, "The task role has no permission at "
                   "all; only the execution role reads secrets, and only those some task "
                   "definition references.", task_role_violations),
    StackGuardrail("launcher-role-only-launches", 3, "Every policy on the environment's GitHub "
                   "role (inline, RolePolicy, attachment) grants only the launcher's scoped "
                   "actions; no managed policies.", launcher_role_violations),
    StackGuardrail("no-other-launcher", 3, "No role but the environment's GitHub role may run, "
                   "stop or reach into tasks or pass a role (RolePolicy or inline policy).",
                   other_launcher_violations),
    StackGuardrail("no-user-or-group-launcher", 3, "No policy attached to a user or group "
                   "launches, passes a role or reads secrets; only policies the stack declares "
                   "may be attached to them.", user_group_attachment_violations),
    StackGuardrail("secret-readers", 6, "A secret's resource policy lets in only this stack's "
                   "execution role, by name and account.", secret_reader_violations),
)


def violations(resource_type: str, props: Props) -> list[tuple[Guardrail, str]]:
    """Every violation of every guardrail by one resource."""
    return [(guardrail, message) for guardrail in GUARDRAILS
            for message in guardrail.check(resource_type, props)]


def stack_violations(resources: Resources) -> list[tuple[StackGuardrail, Finding]]:
    """Every finding of every stack-wide guardrail but production-github-environment."""
    return [(guardrail, finding) for guardrail in STACK_GUARDRAILS
            for finding in guardrail.check(resources)]
