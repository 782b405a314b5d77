"""The admin-tasks policy pack: `pulumi preview --policy-pack infra/policy`.

Never import this module from tests: constructing the PolicyPack starts the analyzer
server. The rules live in the pure modules next to it.
"""

from __future__ import annotations

import sys
from pathlib import Path

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

from infra.policy.guardrails import GUARDRAILS, Guardrail
from infra.policy.permission_rules import task_role_violations
from infra.policy.resource_rules import (
    MINIMUM_PRODUCTION_REVIEWERS,
    github_environment_violations,
)

REVIEWERS_SCHEMA = PolicyConfigSchema(properties={"minimumProductionReviewers": {
    "type": "integer", "minimum": 1, "maximum": 6, "default": MINIMUM_PRODUCTION_REVIEWERS}})


def _resource_policy(guardrail: Guardrail) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if guardrail.check is github_environment_violations:
            minimum = int(args.get_config().get("minimumProductionReviewers",
                                                MINIMUM_PRODUCTION_REVIEWERS))
            found = github_environment_violations(args.resource_type, args.props, minimum)
        else:
            found = guardrail.check(args.resource_type, args.props)
        for message in found:
            report(f"guardrail {guardrail.number}: {message}", args.urn)

    return ResourceValidationPolicy(
        name=guardrail.name, description=guardrail.description, validate=validate,
        config_schema=REVIEWERS_SCHEMA if guardrail.number == 2 else None)


def _validate_stack(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = [(resource.resource_type, resource.props) for resource in args.resources]
    for message in task_role_violations(resources):
        report(f"guardrail 4: {message}", None)


PolicyPack(
    name="admin-tasks-guardrails",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        *(_resource_policy(guardrail) for guardrail in GUARDRAILS),
        StackValidationPolicy(
            name="task-role-without-permissions",
            description="The task role has no policy; the execution role reads only secrets "
                        "some task definition references.",
            validate=_validate_stack),
    ],
)
