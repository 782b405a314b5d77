"""Every guardrail holds for both stacks, and a deliberately broken resource is reported.

The checks are the policy pack's own functions (infra/policy), run on the resources the
program registered under mocks; failures name the resource's URN. The gate's own cases
(guardrails 1 and 3) are in test_gate_guardrails.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from infra.policy.execution_rules import task_role_violations
from infra.policy.guardrails import GUARDRAILS, Guardrail
from tests.infra.breaking import (
    BY_NUMBER,
    ENVIRONMENT,
    MAIN_ENVIRONMENT,
    ROLE,
    ROLE_POLICY,
    TASK_DEFINITION,
    Cases,
    assert_reported,
    edit_containers,
    edit_policy,
    policy_with,
    prod_tagged,
    set_path,
)
from tests.infra.harness import Registered, StackRun
from tests.infra.test_gate_guardrails import BROKEN as GATE


def _violations(guardrail: Guardrail, resource: Registered) -> list[str]:
    return guardrail.check(resource.type, resource.inputs)


@pytest.mark.parametrize("guardrail", GUARDRAILS, ids=lambda g: f"{g.number}-{g.name}")
def test_every_registered_resource_passes(stack_run: StackRun, guardrail: Guardrail) -> None:
    for resource in stack_run.resources:
        assert _violations(guardrail, resource) == [], resource.urn


@pytest.mark.parametrize("type_", [ROLE, ROLE_POLICY, TASK_DEFINITION, ENVIRONMENT,
                                   "aws:cloudwatch/logGroup:LogGroup",
                                   "aws:secretsmanager/secret:Secret"])
def test_each_guarded_type_is_declared(stack_run: StackRun, type_: str) -> None:
    """The passing test above is only meaningful if the guarded resources exist."""
    assert stack_run.of_type(type_), f"no {type_} registered"


def _stack(run: StackRun) -> list[tuple[str, dict[str, Any], str]]:
    return [(r.type, r.inputs, r.urn) for r in run.resources]


def test_task_role_has_no_policy_and_secrets_match_definitions(stack_run: StackRun) -> None:
    assert task_role_violations(_stack(stack_run)) == []


BROKEN: Cases = {
    "environment: admin bypass in prod": (2, "can_admins_bypass", lambda run: Registered(
        ENVIRONMENT, "e", "urn:e", {**run.named(MAIN_ENVIRONMENT).inputs, "environment": "prod",
                                    "canAdminsBypass": True})),
    "environment: one reviewer listed twice in prod": (2, "has 1 required reviewer(s)",
                                                       lambda run: Registered(
        ENVIRONMENT, "e", "urn:e", {**run.named(MAIN_ENVIRONMENT).inputs, "environment": "prod",
                                    "reviewers": [{"users": [42, 42], "teams": []}]})),
    "environment: one reviewer in two entries in prod": (2, "has 1 required reviewer(s)",
                                                         lambda run: Registered(
        ENVIRONMENT, "e", "urn:e", {**run.named(MAIN_ENVIRONMENT).inputs, "environment": "prod",
                                    "reviewers": [{"users": [42]}, {"users": ["42"]}]})),
    "environment: self review": (2, "prevent_self_review", lambda run: Registered(
        ENVIRONMENT, "e", "urn:e", {**run.named(MAIN_ENVIRONMENT).inputs,
                                    "preventSelfReview": False})),
    "environment: no reviewers": (2, "required reviewer", lambda run: Registered(
        ENVIRONMENT, "e", "urn:e", {**run.named(MAIN_ENVIRONMENT).inputs, "reviewers": []})),
    "environment: any branch": (2, "custom branch policies", lambda run: Registered(
        ENVIRONMENT, "e", "urn:e", {**run.named(MAIN_ENVIRONMENT).inputs, "deploymentBranchPolicy": {
            "protectedBranches": True, "customBranchPolicies": False}})),
    "execution: every secret": (4, "named secret ARNs", lambda run: edit_policy(
        policy_with(run, "secretsmanager:GetSecretValue"), "policy",
        lambda d: d["Statement"][0].__setitem__("Resource", "*"))),
    "execution: managed policy": (4, "managed policy", lambda run: Registered(
        ROLE, "x", "urn:x", {**run.of_type(ROLE)[0].inputs, "managedPolicyArns": [
            "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]})),
    "task definition: password in environment": (5, "looks secret", lambda run: edit_containers(
        run.of_type(TASK_DEFINITION)[0], lambda c: c["environment"].append(
            {"name": "DATABASE_PASSWORD", "value": "hunter2"}))),
    "task definition: writable root": (5, "read-only", lambda run: edit_containers(
        run.of_type(TASK_DEFINITION)[0], set_path(("readonlyRootFilesystem",), False))),
    "task definition: root user": (5, "non-root", lambda run: edit_containers(
        run.of_type(TASK_DEFINITION)[0], set_path(("user",), "0"))),
    "task definition: json logs": (5, "awslogs", lambda run: edit_containers(
        run.of_type(TASK_DEFINITION)[0], set_path(("logConfiguration", "logDriver"), "json-file"))),
    "task definition: whole secret": (5, "valueFrom must be", lambda run: edit_containers(
        run.of_type(TASK_DEFINITION)[0], lambda c: c["secrets"][0].__setitem__(
            "valueFrom", c["secrets"][0]["valueFrom"].rsplit(":", 3)[0]))),
    "task definition: prod image by tag": (5, "@sha256:", lambda run: edit_containers(
        prod_tagged(run.of_type(TASK_DEFINITION)[0]), set_path(("image",), "registry.example/app:1"))),
    "task definition: port": (5, "port mappings", lambda run: edit_containers(
        run.of_type(TASK_DEFINITION)[0], set_path(("portMappings",), [{"containerPort": 80}]))),
    "secret: outside admin-tasks/": (6, "admin-tasks/<env>/", lambda run: Registered(
        "aws:secretsmanager/secret:Secret", "s", "urn:s", {
            **run.of_type("aws:secretsmanager/secret:Secret")[0].inputs, "name": "db-password"})),
    "secret: no recovery window": (6, "recovery window", lambda run: Registered(
        "aws:secretsmanager/secret:Secret", "s", "urn:s", {
            **run.of_type("aws:secretsmanager/secret:Secret")[0].inputs,
            "recoveryWindowInDays": None})),
    "secret: value in program": (6, "enters Pulumi state", lambda run: Registered(
        "aws:secretsmanager/secretVersion:SecretVersion", "v", "urn:v",
        {"secretId": "x", "secretStringWo": '{"url": "postgresql://u:p@h/db"}'})),
    "log group: a week in prod": (7, "at least 365", lambda run: Registered(
        "aws:cloudwatch/logGroup:LogGroup", "l", "urn:l",
        {"name": "/admin-tasks/prod", "retentionInDays": 7})),
    "log group: a month in a production environment not named prod": (
        7, "at least 365", lambda run: Registered(
            "aws:cloudwatch/logGroup:LogGroup", "l", "urn:l",
            {"name": "/admin-tasks/live", "retentionInDays": 30,
             "tags": {"admin-tasks:environment": "live", "admin-tasks:production": "true"}})),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_resource_is_reported(stack_run: StackRun, case: str) -> None:
    assert_reported(BROKEN, stack_run, case)


def test_every_guardrail_has_a_broken_case() -> None:
    assert {number for number, _, _ in (BROKEN | GATE).values()} == set(BY_NUMBER)


def test_a_policy_on_the_task_role_is_reported(stack_run: StackRun) -> None:
    task_role = next(r for r in stack_run.of_type(ROLE) if r.inputs["name"].endswith("-task"))
    extra = (ROLE_POLICY, {"role": task_role.inputs["name"], "policy": "{}"}, "urn:extra")
    found = task_role_violations([*_stack(stack_run), extra])
    assert any(f.urn == "urn:extra" and "task role" in f.message for f in found), found


def test_reading_an_unreferenced_secret_is_reported(stack_run: StackRun) -> None:
    broken = edit_policy(
        policy_with(stack_run, "secretsmanager:GetSecretValue"), "policy",
        lambda d: d["Statement"][0]["Resource"].append(
            "arn:aws:secretsmanager:eu-west-1:111111111111:secret:other-app/db-Zz99Yy"))
    resources = [resource for resource in _stack(stack_run) if resource[2] != broken.urn]
    found = task_role_violations([*resources, (broken.type, broken.inputs, broken.urn)])
    assert any(f.urn == broken.urn and "other-app/db" in f.message for f in found), found
