"""An application task's own settings under Pulumi mocks: plain `environment`,
`workingDirectory` and the stack's `appSecrets`, in its container definition and in the
execution role's policy, with every guardrail of the pack passing; each bad value is a
config error naming its key, before any resource."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from infra.policy.guardrails import stack_violations, violations
from tests.infra.harness import Registered, StackRun, main_container, run_stack, stack_config

STRIPE = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:billing/stripe-AbCdEf"
SENTRY = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:billing/sentry-GhIjKl"
TASK = {"description": "Reconcile Stripe payouts",
        "command": ["python", "manage.py", "reconcile_payouts"],
        "environment": {"DJANGO_SETTINGS_MODULE": "billing.settings.staging", "TZ": "UTC"},
        "workingDirectory": "/srv/billing", "appSecrets": ["STRIPE_API_KEY"]}


def config_with(task: dict[str, Any] | None = None, **app_secrets: Any) -> dict[str, Any]:
    config = stack_config("staging")
    config["admin-tasks:appSecrets"] = app_secrets or {
        "STRIPE_API_KEY": {"arn": STRIPE, "key": "api_key"}, "SENTRY_DSN": {"arn": SENTRY}}
    config["admin-tasks:appTasks"] = {**config["admin-tasks:appTasks"],
                                      "reconcile": task or TASK}
    return config


@pytest.fixture(scope="module")
def run() -> StackRun:
    return run_stack(config_with(), "staging")


def _container(run: StackRun, family: str) -> dict[str, Any]:
    (definition,) = [d for d in run.of_type("aws:ecs/taskDefinition:TaskDefinition")
                     if d.inputs["family"] == family]
    container = main_container(definition.inputs)
    return dict(container)


def _execution_reads(run: StackRun) -> set[str]:
    (policy,) = [p for p in run.of_type("aws:iam/rolePolicy:RolePolicy")
                 if "execution" in p.urn]
    document = json.loads(policy.inputs["policy"])
    return {arn for s in document["Statement"] if s["Action"] == "secretsmanager:GetSecretValue"
            for arn in s["Resource"]}


def test_the_container_gets_its_environment_directory_and_declared_secrets(run: StackRun) -> None:
    container = _container(run, "admin-tasks-staging-reconcile")
    plain = {item["name"]: item["value"] for item in container["environment"]}
    assert plain["DJANGO_SETTINGS_MODULE"] == "billing.settings.staging" and plain["TZ"] == "UTC"
    assert container["workingDirectory"] == "/srv/billing"
    secrets = {item["name"]: item["valueFrom"] for item in container["secrets"]}
    assert secrets["STRIPE_API_KEY"] == f"{STRIPE}:api_key::"
    assert "SENTRY_DSN" not in secrets  # declared by the stack, listed by no task
    other = _container(run, "admin-tasks-staging-clearsessions")
    assert "STRIPE_API_KEY" not in {item["name"] for item in other["secrets"]}
    assert "workingDirectory" not in other


def test_the_execution_role_reads_exactly_the_secrets_some_task_lists(run: StackRun) -> None:
    reads = _execution_reads(run)
    assert STRIPE in reads and SENTRY not in reads


def test_the_policy_pack_passes(run: StackRun) -> None:
    for resource in run.resources:
        assert violations(resource.type, resource.inputs) == [], resource.urn
    assert stack_violations([(r.type, r.inputs, r.urn) for r in run.resources]) == []


def test_a_whole_application_secret_is_one_variable() -> None:
    task = {**TASK, "appSecrets": ["SENTRY_DSN"]}
    container = _container(run_stack(config_with(task), "staging"),
                           "admin-tasks-staging-reconcile")
    assert {"name": "SENTRY_DSN", "valueFrom": SENTRY} in container["secrets"]


BAD: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    "a DATABASE_ name": ({**TASK, "environment": {"DATABASE_HOST": "elsewhere"}}, {},
                         "appTasks.reconcile.environment.DATABASE_HOST names DATABASE_HOST"),
    "an ADMIN_TASK_ name": ({**TASK, "environment": {"ADMIN_TASK_ACTOR": "mallory"}}, {},
                            "environment.ADMIN_TASK_ACTOR names ADMIN_TASK_ACTOR"),
    "a loader variable": ({**TASK, "environment": {"LD_PRELOAD": "/tmp/x.so"}}, {},
                          "names LD_PRELOAD"),
    "BASH_ENV": ({**TASK, "environment": {"BASH_ENV": "/tmp/x"}}, {}, "names BASH_ENV"),
    "a lower-case name": ({**TASK, "environment": {"tz": "UTC"}}, {},
                          "not an upper-case environment variable name"),
    "a secret as plain text": ({**TASK, "environment": {"STRIPE_TOKEN": "sk_live"}}, {},
                               "looks like a secret"),
    "a value that is not text": ({**TASK, "environment": {"WORKERS": 4}}, {},
                                 "must be one printable string"),
    "a relative directory": ({**TASK, "workingDirectory": "srv/billing"}, {},
                             "appTasks.reconcile.workingDirectory must be an absolute path"),
    "a directory with ..": ({**TASK, "workingDirectory": "/srv/../etc"}, {},
                            "must be an absolute path"),
    "an undeclared secret": ({**TASK, "appSecrets": ["GITHUB_KEY"]}, {},
                             "names 'GITHUB_KEY', which the stack's admin-tasks:appSecrets"),
    "a secret listed twice": ({**TASK, "appSecrets": ["STRIPE_API_KEY"] * 2}, {}, "each once"),
    "an app secret in another account": (TASK, {"STRIPE_API_KEY": {
        "arn": STRIPE.replace("111111111111", "999999999999")}},
        "admin-tasks:appSecrets.STRIPE_API_KEY.arn"),
    "an app secret that is not an ARN": (TASK, {"STRIPE_API_KEY": {"arn": "billing/stripe"}},
                                         "is not a Secrets Manager secret ARN"),
    "an app secret with a reserved name": (
        {**TASK, "appSecrets": []}, {"DATABASE_URL": {"arn": STRIPE}},
        "admin-tasks:appSecrets.DATABASE_URL names DATABASE_URL"),
    "a bad JSON key": (TASK, {"STRIPE_API_KEY": {"arn": STRIPE, "key": "a:b"}},
                       "appSecrets.STRIPE_API_KEY.key is not a JSON key"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_setting_is_a_config_error_naming_its_key(case: str) -> None:
    task, secrets, fragment = BAD[case]
    registered: list[Registered] = []
    with pytest.raises(pulumi.RunError) as raised:
        run_stack(config_with(task, **secrets), "staging", registered)
    assert fragment in str(raised.value) and "Fix:" in str(raised.value), str(raised.value)
    assert registered == []
