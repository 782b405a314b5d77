"""The registry: each docs/DESIGN.md guardrail the pack enforces, with its pure check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from infra.policy.execution_rules import (
    execution_violations,
    inline_policy_violations,
    managed_policy_violations,
)
from infra.policy.iam_rules import Props
from infra.policy.permission_rules import launcher_violations
from infra.policy.resource_rules import (
    github_environment_violations,
    log_retention_violations,
    task_definition_violations,
)
from infra.policy.secret_rules import secret_violations
from infra.policy.trust_rules import trust_violations

Check = Callable[[str, Props], list[str]]


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
              "environment's admin tasks in its cluster and reads their logs; nothing else.",
              launcher_violations),
    Guardrail("execution-role-least-privilege", 4, "The execution role reads only named "
              "secrets (and their key through Secrets Manager); no managed policy on any "
              "role; no role's inline_policies read secrets or use wildcards.",
              lambda t, p: execution_violations(t, p) + managed_policy_violations(t, p)
              + inline_policy_violations(t, p)),
    Guardrail("admin-task-definition", 5, "Fargate, awsvpc, secrets only via valueFrom, awslogs "
              "to the admin log group, read-only root, non-root, no ports.",
              task_definition_violations),
    Guardrail("admin-secrets", 6, "Secrets under admin-tasks/<env>/ with a recovery window; no "
              "secret value in the program or in plain variables.",
              secret_violations),
    Guardrail("audit-log-retention", 7, "The admin log group keeps events 365 days in "
              "production, 30 elsewhere.", log_retention_violations),
)


def violations(resource_type: str, props: Props) -> list[tuple[Guardrail, str]]:
    """Every violation of every guardrail by one resource."""
    return [(guardrail, message) for guardrail in GUARDRAILS
            for message in guardrail.check(resource_type, props)]
