"""The admin-tasks policy pack: `pulumi preview --policy-pack infra/policy`.

Never import this module from tests: constructing the PolicyPack starts the analyzer
server. The rules live in the pure modules next to it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

# Pulumi runs this file with infra/policy as the working directory: make the repository
# root importable so the pack and the tests share one copy of the rules.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from infra.policy.guardrails import GUARDRAILS, STACK_GUARDRAILS, Guardrail, StackCheck
from infra.policy.resource_rules import (
    MINIMUM_PRODUCTION_REVIEWERS,
    github_environment_violations,
)
from infra.policy.stack_rules import Finding, StackResource, production_github_violations

REVIEWERS_SCHEMA = PolicyConfigSchema(properties={"minimumProductionReviewers": {
    "type": "integer", "minimum": 1, "maximum": 6, "default": MINIMUM_PRODUCTION_REVIEWERS}})


def _resource_policy(guardrail: Guardrail) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if guardrail.check is github_environment_violations:
            minimum = _minimum_reviewers(args.get_config())
            found = github_environment_violations(args.resource_type, args.props, minimum)
        else:
            found = guardrail.check(args.resource_type, args.props)
        for message in found:
            report(f"guardrail {guardrail.number}: {message}", args.urn)

    return ResourceValidationPolicy(
        name=guardrail.name, description=guardrail.description, validate=validate,
        config_schema=REVIEWERS_SCHEMA if guardrail.number == 2 else None)


def _minimum_reviewers(config: Mapping[str, Any]) -> int:
    return int(str(config.get("minimumProductionReviewers", MINIMUM_PRODUCTION_REVIEWERS)))


def _stack_policy(name: str, number: int, description: str,
                  check: Callable[[StackValidationArgs], list[Finding]],
                  config_schema: PolicyConfigSchema | None = None) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        for finding in check(args):
            report(f"guardrail {number}: {finding.message}", finding.urn)

    return StackValidationPolicy(name=name, description=description, validate=validate,
                                 config_schema=config_schema)


def _resources(args: StackValidationArgs) -> list[StackResource]:
    return [(resource.resource_type, resource.props, resource.urn)
            for resource in args.resources]


def _on_resources(check: StackCheck) -> Callable[[StackValidationArgs], list[Finding]]:
    return lambda args: check(_resources(args))


PolicyPack(
    name="admin-tasks-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        *(_resource_policy(guardrail) for guardrail in GUARDRAILS),
        *(_stack_policy(guardrail.name, guardrail.number, guardrail.description,
                        _on_resources(guardrail.check)) for guardrail in STACK_GUARDRAILS),
        _stack_policy("production-github-environment", 2,
                      "A GitHub environment whose AWS resources are tagged "
                      "admin-tasks:production=true has the production reviewers and no "
                      "admin bypass, whatever its name.",
                      lambda args: production_github_violations(
                          _resources(args), _minimum_reviewers(args.get_config())),
                      REVIEWERS_SCHEMA),
    ],
)
