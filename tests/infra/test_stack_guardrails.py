"""Stack-wide guardrails: everything on the launcher role, and production decided by the
stack config key `production` (carried to the policy pack by tags), not by the name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from infra.policy.guardrails import GUARDRAILS
from infra.policy.stack_rules import (
    Finding,
    StackResource,
    launcher_role_violations,
    other_launcher_violations,
    production_github_violations,
)
from tests.infra.breaking import MAIN_ENVIRONMENT
from tests.infra.harness import Registered, StackRun, run_stack, stack_config

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
Resources = list[StackResource]


def _launcher_role(run: StackRun) -> str:
    role = next(r for r in run.of_type(ROLE) if "AssumeRoleWithWebIdentity"
                in r.inputs["assumeRolePolicy"])
    name: str = role.inputs["name"]
    return name


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _resources(run: StackRun) -> Resources:
    return [(r.type, dict(r.inputs), r.urn) for r in run.resources]


def _extra(type_: str, props: dict[str, Any]) -> StackResource:
    """A resource added to the stack by hand, with the URN the engine would give it."""
    return type_, props, f"urn:pulumi:staging::admin-tasks::{type_}::extra"


def _with_launcher_role_changed(run: StackRun, change: dict[str, Any]) -> Resources:
    name = _launcher_role(run)
    return [(type_, {**props, **change} if type_ == ROLE and props.get("name") == name
             else props, urn) for type_, props, urn in _resources(run)]


def _changed(run: StackRun, resources: Resources) -> set[str]:
    """URNs of the resources added to or changed from what the program registered."""
    registered = {r.urn: r.inputs for r in run.resources}
    return {urn for _, props, urn in resources if registered.get(urn) != props}


def _messages(found: list[Finding], urn: str) -> list[str]:
    """The messages reported against one resource."""
    return [finding.message for finding in found if finding.urn == urn]


PASS_ANY_ROLE = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
S3_EVERYTHING = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"

# case -> (a fragment of the expected message, the stack with one thing added to the role)
BROKEN: dict[str, tuple[str, Callable[[StackRun], Resources]]] = {
    "second inline policy with s3:*": ("wildcard action 's3:*'", lambda run: [
        *_resources(run), _extra(ROLE_POLICY, {"role": _launcher_role(run), "name": "extra",
                                               "policy": _policy(S3_EVERYTHING)})]),
    "second inline policy passing any role": ("iam:PassRole needs named roles", lambda run: [
        *_resources(run), _extra(ROLE_POLICY, {"role": _launcher_role(run), "name": "extra",
                                               "policy": _policy(PASS_ANY_ROLE)})]),
    "inline policy referring to the role by ARN": ("beyond launching", lambda run: [
        *_resources(run), _extra(ROLE_POLICY, {
            "role": f"arn:aws:iam::111111111111:role/{_launcher_role(run)}",
            "policy": _policy({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                               "Resource": "arn:aws:secretsmanager:eu-west-1:111111111111:"
                                           "secret:admin-tasks/x/database-Ab12Cd"})})]),
    "AdministratorAccess attached": (f"managed policy {ADMIN}", lambda run: [
        *_resources(run), _extra("aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                                 {"role": _launcher_role(run), "policyArn": ADMIN})]),
    "AdministratorAccess through a PolicyAttachment": (f"managed policy {ADMIN}", lambda run: [
        *_resources(run), _extra("aws:iam/policyAttachment:PolicyAttachment",
                                 {"roles": ["someone-else", _launcher_role(run)],
                                  "policyArn": ADMIN})]),
    "Role.managed_policy_arns": (f"managed policy {ADMIN}", lambda run:
                                 _with_launcher_role_changed(run, {"managedPolicyArns": [ADMIN]})),
    "Role.inline_policies passing any role": ("iam:PassRole needs named roles", lambda run:
                                              _with_launcher_role_changed(run, {"inlinePolicies": [
                                                  {"name": "extra",
                                                   "policy": _policy(PASS_ANY_ROLE)}]})),
}


def test_the_launcher_role_has_only_the_launcher_policy(stack_run: StackRun) -> None:
    assert launcher_role_violations(_resources(stack_run)) == []
    assert other_launcher_violations(_resources(stack_run)) == []


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_anything_else_on_the_launcher_role_is_reported(stack_run: StackRun, case: str) -> None:
    expected, make = BROKEN[case]
    resources = make(stack_run)
    (urn,) = _changed(stack_run, resources)  # reported against the added or changed resource
    found = _messages(launcher_role_violations(resources), urn)
    assert any(expected in message for message in found), f"{case}: {urn} gave {found}"


def test_the_per_resource_rules_alone_miss_a_second_launcher_policy(stack_run: StackRun) -> None:
    """Why the stack-wide check exists: no resource rule can tell whose policy this is."""
    extra = Registered(ROLE_POLICY, "extra", "urn:extra", {
        "role": _launcher_role(stack_run), "policy": _policy(S3_EVERYTHING)})
    launcher = next(g for g in GUARDRAILS if g.number == 3)
    assert launcher.check(extra.type, extra.inputs) == []
    found = launcher_role_violations([*_resources(stack_run),
                                      (extra.type, extra.inputs, extra.urn)])
    assert _messages(found, extra.urn), found


def _live(**changes: Any) -> dict[str, Any]:
    """The prod stack's config under another environment name, declared production."""
    config = stack_config("prod")
    config |= {"admin-tasks:environment": "live", "admin-tasks:production": True}
    config |= {f"admin-tasks:{key}": value for key, value in changes.items()}
    return config


@pytest.fixture(scope="module")
def live_run() -> StackRun:
    return run_stack(_live(), "live")


@pytest.mark.parametrize(("changes", "fragments"), [
    ({"reviewers": {"users": ["alice-ops"]}}, ("admin-tasks:reviewers", "fewer than the 2")),
    ({"logRetentionDays": 30}, ("admin-tasks:logRetentionDays", "at least 365")),
    ({"canAdminsBypass": True}, ("admin-tasks:canAdminsBypass", "production")),
    ({"tasksImage": "222222222222.dkr.ecr.eu-west-1.amazonaws.com/admin-tasks:1"},
     ("admin-tasks:tasksImage", "@sha256:")),
], ids=["one reviewer", "30 days", "admin bypass", "image by tag"])
def test_production_config_gets_the_production_rules_whatever_the_name(
        changes: dict[str, Any], fragments: tuple[str, ...]) -> None:
    registered: list[Registered] = []
    with pytest.raises(pulumi.RunError) as raised:
        run_stack(_live(**changes), "live", registered)
    assert all(fragment in str(raised.value) for fragment in fragments), str(raised.value)
    assert registered == []


def test_a_prod_named_environment_cannot_opt_out_of_production() -> None:
    config = stack_config("prod") | {"admin-tasks:production": False}
    with pytest.raises(pulumi.RunError, match=r"admin-tasks:production is false.*Fix:"):
        run_stack(config, "prod")


def test_production_defaults_to_the_name_rule() -> None:
    staging = run_stack(stack_config("staging") | {"admin-tasks:environment": "prd"}, "prd")
    assert staging.one(LOG_GROUP).inputs["tags"]["admin-tasks:production"] == "false"


def test_every_aws_resource_carries_the_production_tag(live_run: StackRun) -> None:
    tagged = [r for r in live_run.resources if r.type.startswith("aws:") and r.type != ROLE_POLICY]
    assert {r.type for r in tagged} >= {ROLE, LOG_GROUP, "aws:ecs/taskDefinition:TaskDefinition"}
    for resource in tagged:  # RolePolicy cannot be tagged; the role it is on is
        assert resource.inputs["tags"]["admin-tasks:production"] == "true", resource.urn
        assert resource.inputs["tags"]["admin-tasks:environment"] == "live", resource.urn


def test_a_production_environment_not_named_prod_passes_every_guardrail(
        live_run: StackRun) -> None:
    for guardrail in GUARDRAILS:
        for resource in live_run.resources:
            assert guardrail.check(resource.type, resource.inputs) == [], resource.urn
    assert production_github_violations(_resources(live_run), 2) == []
    assert launcher_role_violations(_resources(live_run)) == []
    assert other_launcher_violations(_resources(live_run)) == []


def test_its_github_environment_is_checked_as_production(live_run: StackRun) -> None:
    resources = [(type_, {**props, "reviewers": [{"users": [41001], "teams": []}],
                          "canAdminsBypass": True} if type_ == ENVIRONMENT else props, urn)
                 for type_, props, urn in _resources(live_run)]
    environment = live_run.named(MAIN_ENVIRONMENT).urn
    found = _messages(production_github_violations(resources, 2), environment)
    assert any("needs at least 2" in message for message in found), (environment, found)
    assert any("can_admins_bypass" in message for message in found), (environment, found)
    twice = [(type_, {**props, "reviewers": [{"users": [41001, 41001], "teams": []}]}
              if type_ == ENVIRONMENT else props, urn) for type_, props, urn in resources]
    found = _messages(production_github_violations(twice, 2), environment)
    assert any("has 1 required reviewer(s)" in message for message in found), found
    untagged = [(type_, {k: v for k, v in props.items() if k != "tags"}, urn)
                for type_, props, urn in resources]
    assert production_github_violations(untagged, 2) == []  # no tag: the name rule
