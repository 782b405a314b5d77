"""Both stacks build under mocks and agree with the contracts the launcher relies on."""

from __future__ import annotations

import json
import re
from typing import Any

import parliament
import pytest

from infra.config import parse_config
from infra.naming import ADMIN_WORKFLOW_PATH, ADMIN_WORKFLOW_REF
from infra.policy.resource_rules import CREDENTIAL_IN_URL
from tasks.contract import SEALED_SUPERUSER_VARIABLE, approval_environments
from tasks.contract.app_tasks import parse_app_tasks
from tasks.contract.binding import DEFAULT_ITERATIONS, split_binding
from tasks.contract.catalog import CONTAINER_ENTRY_POINT, get_task, secret_inputs, task_names
from tasks.contract.entry_script import SCRUB
from tasks.contract.settings import parse_settings
from tests.infra.harness import ROOT, StackRun, main_container, run_stack, stack_config

VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
MEDIUM_OR_WORSE = {"MEDIUM", "HIGH", "CRITICAL"}


def _containers(run: StackRun) -> dict[str, dict[str, Any]]:
    found = {}
    for definition in run.of_type(TASK_DEFINITION):
        container = main_container(definition.inputs)
        found[definition.inputs["family"]] = container
    return found


def _variables(run: StackRun) -> dict[str, str]:
    return {v.inputs["variableName"]: v.inputs["value"] for v in run.of_type(VARIABLE)}


def test_launch_settings_are_accepted_by_the_launcher(stack_run: StackRun) -> None:
    settings = parse_settings(json.loads(stack_run.outputs["launchSettings"]))
    assert _variables(stack_run)["ADMIN_TASKS_SETTINGS"] == stack_run.outputs["launchSettings"]
    containers = _containers(stack_run)
    for name, task in settings.tasks.items():
        container = containers[task.task_definition]
        options = container["logConfiguration"]["options"]
        # The launcher reads <prefix>/<container>/<task id> from the settings' log group.
        assert (container["name"], options["awslogs-stream-prefix"], options["awslogs-group"]) \
            == (task.container, task.log_stream_prefix, settings.log_group), name
        declared = stack_config(settings.environment).get("admin-tasks:appTasks", {})
        expected = declared[name].get("timeoutSeconds", 600) if name in declared \
            else get_task(name).timeout_seconds
        assert task.timeout_seconds == expected, name


def test_every_enabled_catalog_task_has_exactly_one_definition(stack_run: StackRun) -> None:
    settings = json.loads(stack_run.outputs["launchSettings"])
    families = sorted(_containers(stack_run))
    assert families == sorted(t["taskDefinition"] for t in settings["tasks"].values())
    assert set(stack_run.outputs["taskDefinitionArns"]) == set(settings["tasks"])


def test_workflow_variables_name_the_role_and_region(stack_run: StackRun) -> None:
    variables = _variables(stack_run)
    assert set(variables) == {"ADMIN_TASKS_SETTINGS", "ADMIN_TASKS_ROLE_ARN", "AWS_REGION"}
    assert variables["ADMIN_TASKS_ROLE_ARN"] == stack_run.outputs["roleArn"]
    assert variables["AWS_REGION"] == json.loads(stack_run.outputs["launchSettings"])["region"]


def test_settings_variable_waits_for_the_task_definitions(stack_run: StackRun) -> None:
    settings = next(v for v in stack_run.of_type(VARIABLE)
                    if v.inputs["variableName"] == "ADMIN_TASKS_SETTINGS")
    waits = set(stack_run.dependencies[settings.urn])
    definitions = {d.urn for d in stack_run.of_type(TASK_DEFINITION)}
    assert definitions and definitions <= waits, settings.urn


def test_github_resources_and_lookups_use_the_configured_owner(stack_run: StackRun) -> None:
    """The default provider would act on the token owner's account, not githubOwner's."""
    explicit = "pulumi:providers:github::github::"
    for resource in stack_run.resources:
        if resource.type.startswith("github:"):
            assert explicit in resource.provider, resource.urn
    assert stack_run.invoke_providers("github") and set(stack_run.invoke_providers("github")) \
        == {"github"}


def test_branch_policy_depends_on_the_environment(stack_run: StackRun) -> None:
    policies = stack_run.of_type("github:index/repositoryEnvironmentDeploymentPolicy:"
                                 "RepositoryEnvironmentDeploymentPolicy")
    environments = stack_run.of_type("github:index/repositoryEnvironment:RepositoryEnvironment")
    assert len(policies) == len(environments) >= 1
    for environment in environments:
        (policy,) = [p for p in policies
                     if p.name == environment.name.removesuffix("-environment") + "-main-only"]
        assert environment.urn in stack_run.dependencies[policy.urn], policy.urn


def test_each_further_required_approval_is_an_environment_like_the_first(
        stack_run: StackRun) -> None:
    """requiredApprovals N: N environments, the same reviewers and rules, no variables."""
    settings = json.loads(stack_run.outputs["launchSettings"])
    environments = stack_run.of_type("github:index/repositoryEnvironment:RepositoryEnvironment")
    # Registered in whichever order their inputs resolve under the mocks: compare as sets.
    names = sorted(r.inputs["environment"] for r in environments)
    assert names == sorted(approval_environments(settings["environment"],
                                                 settings["requiredApprovals"]))
    (first,) = [r for r in environments if r.inputs["environment"] == settings["environment"]]
    for other in environments:
        assert {**other.inputs, "environment": first.inputs["environment"]} == first.inputs
    variables = stack_run.of_type(
        "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable")
    assert {v.inputs["environment"] for v in variables} == {first.inputs["environment"]}


def test_trust_names_this_environment_the_admin_workflow_on_main_and_the_repository_id(
        stack_run: StackRun) -> None:
    environment = stack_run.outputs["githubEnvironment"]
    role = next(r for r in stack_run.of_type("aws:iam/role:Role")
                if "AssumeRoleWithWebIdentity" in r.inputs["assumeRolePolicy"])
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    oidc = "token.actions.githubusercontent.com"
    assert statement["Condition"] == {"StringEquals": {
        f"{oidc}:aud": "sts.amazonaws.com",
        f"{oidc}:sub": [
            f"repo:acme-corp/billing-platform:environment:{environment}",
            f"repo:acme-corp@58101847/billing-platform@712345678:environment:{environment}"],
        f"{oidc}:job_workflow_ref":
            "acme-corp/billing-platform/.github/workflows/admin-task.yml@refs/heads/main",
        f"{oidc}:repository_id": "712345678",
    }}, role.urn


def test_the_trusted_workflow_is_the_admin_workflow_and_runs_only_from_that_ref() -> None:
    """naming.py's workflow path and ref name the real workflow, which refuses other refs."""
    workflow = ROOT / ADMIN_WORKFLOW_PATH
    assert workflow.is_file(), workflow
    assert f"if: github.ref == '{ADMIN_WORKFLOW_REF}'" in workflow.read_text()


def test_application_tasks_get_definitions_whose_entry_point_holds_their_steps(
        stack_run: StackRun) -> None:
    env = stack_run.outputs["githubEnvironment"]
    declared = parse_app_tasks(stack_config(env)["admin-tasks:appTasks"], task_names())
    settings = parse_settings(json.loads(stack_run.outputs["launchSettings"]))
    containers = _containers(stack_run)
    assert {"migrate", "cleanup-activity-logs", "deactivate-tenant"} <= {t.name for t in declared}
    for task in declared:
        container = containers[f"admin-tasks-{env}-{task.name}"]
        # The steps live in the entry point, which a RunTask override cannot replace.
        assert container["entryPoint"][:len(SCRUB) + 2] == [*SCRUB, "/bin/sh", "-c"]
        assert container["entryPoint"][-1:] == ["admin-tasks"]
        assert container["command"] == []
        assert container["image"] == stack_config(env)["admin-tasks:appImage"]
        published = settings.tasks[task.name]
        assert (published.image, published.steps, set(published.parameters)) == (
            "app", task.steps, set(task.parameters)), task.name


def test_tasks_image_runs_the_catalog_command_in_isolated_mode(stack_run: StackRun) -> None:
    env = stack_run.outputs["githubEnvironment"]
    container = _containers(stack_run)[f"admin-tasks-{env}-seed-admin"]
    binding, command = split_binding(container["entryPoint"][len(CONTAINER_ENTRY_POINT):])
    assert container["entryPoint"][:len(CONTAINER_ENTRY_POINT)] == list(CONTAINER_ENTRY_POINT)
    assert (command, container["command"]) == (["seed-admin"], [])
    assert binding is not None and binding.iterations == DEFAULT_ITERATIONS
    assert CONTAINER_ENTRY_POINT[:2] == ("python", "-I")


def test_database_credentials_match_what_the_tasks_image_reads(stack_run: StackRun) -> None:
    """tasks/jobs/database_binding.py: the entry point binds host, port, name, auth and
    where the credentials come from (DATABASE_URL, or USER/PASSWORD of an existing
    secret); no plain variable says any of it (an override could not change it anyway)."""
    env = stack_run.outputs["githubEnvironment"]
    container = _containers(stack_run)[f"admin-tasks-{env}-seed-admin"]
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    plain = {e["name"] for e in container["environment"]}
    database_arn = stack_run.outputs["secretArns"]["database"]
    binding, _ = split_binding(container["entryPoint"][len(CONTAINER_ENTRY_POINT):])
    config = stack_config(env)
    assert binding is not None
    assert (binding.host, binding.port, binding.name, binding.auth, binding.sslmode) == (
        config["admin-tasks:databaseHost"], config.get("admin-tasks:databasePort", 5432),
        config["admin-tasks:databaseName"],
        config.get("admin-tasks:databaseAuth", "scram-sha-256"), "require")
    if "admin-tasks:databaseSecretArn" in config:  # existing, RDS-managed
        assert binding.credentials == "user-password"
        assert secrets == {"DATABASE_USER": f"{database_arn}:username::",
                           "DATABASE_PASSWORD": f"{database_arn}:password::"}
    else:
        assert binding.credentials == "url"
        assert secrets == {"DATABASE_URL": f"{database_arn}:url::"}
    assert not plain & {"DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_USER",
                        "DATABASE_PASSWORD", "ADMIN_TASKS_DATABASE_AUTH"}


def test_a_built_in_task_gets_the_superuser_secret_whole_and_sealed(stack_run: StackRun) -> None:
    """One variable, the whole secret (its seal covers its keys), and the seal's digest from
    the stack config in the entry point; never the per-key variables an override could
    replace one by one."""
    env = stack_run.outputs["githubEnvironment"]
    container = _containers(stack_run)[f"admin-tasks-{env}-seed-superuser"]
    arn = stack_run.outputs["secretArns"]["django-superuser"]
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert secrets[SEALED_SUPERUSER_VARIABLE] == arn
    assert not {item.env_var for item in secret_inputs(("django-superuser",))} & set(secrets)
    seal = stack_config(env)["admin-tasks:superuserSecretSeal"]  # env is the stack's name
    binding, command = split_binding(container["entryPoint"][len(CONTAINER_ENTRY_POINT):])
    assert binding is not None and binding.seal == seal and command == ["seed-superuser"]


def test_no_secret_value_in_outputs_or_inputs(stack_run: StackRun) -> None:
    assert not stack_run.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    text = json.dumps(stack_run.outputs)
    assert not CREDENTIAL_IN_URL.search(text) and "\"password\": \"" not in text
    for resource in stack_run.resources:
        rendered = json.dumps(resource.inputs)
        assert not CREDENTIAL_IN_URL.search(rendered), resource.urn
        assert not re.search(r'"secretString|"secretBinary', rendered), resource.urn


def test_describe_tasks_has_no_tag_condition_because_ecs_deletes_stopped_tasks_tags(
        stack_run: StackRun) -> None:
    """StopTask deletes the task's tags: a tag condition would hide the exit code."""
    policy = next(r for r in stack_run.of_type("aws:iam/rolePolicy:RolePolicy")
                  if "ecs:RunTask" in r.inputs["policy"])
    (describe,) = [s for s in json.loads(policy.inputs["policy"])["Statement"]
                   if "ecs:DescribeTasks" in s["Action"]]
    assert describe["Condition"] == {"ArnEquals": {"ecs:cluster": stack_config(
        stack_run.outputs["githubEnvironment"])["admin-tasks:clusterArn"]}}, policy.urn


@pytest.mark.parametrize("action", ["ecs:RunTask", "secretsmanager:GetSecretValue"])
def test_parliament_finds_nothing_medium_or_worse(stack_run: StackRun, action: str) -> None:
    policy = next(r for r in stack_run.of_type("aws:iam/rolePolicy:RolePolicy")
                  if action in r.inputs["policy"])
    analysed = parliament.analyze_policy_string(policy.inputs["policy"])
    findings = [parliament.enhance_finding(f) for f in analysed.findings]
    serious = [(f.issue, f.detail) for f in findings if f.severity in MEDIUM_OR_WORSE]
    assert serious == [], policy.urn


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_yaml_values_and_runtime_strings_parse_alike(stack: str) -> None:
    from tests.infra.harness import as_runtime_strings

    config = stack_config(stack)
    assert parse_config(config, stack) == parse_config(as_runtime_strings(config), stack)


@pytest.mark.parametrize(("secrets", "expected"), [
    (None, {"DATABASE_URL"}),
    ([], set()),
    (["django-superuser"], {"DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_EMAIL",
                            "DJANGO_SUPERUSER_PASSWORD"}),
    (["database", "django-superuser"], {"DATABASE_URL", "DJANGO_SUPERUSER_USERNAME",
                                        "DJANGO_SUPERUSER_EMAIL", "DJANGO_SUPERUSER_PASSWORD"}),
], ids=["default", "none", "superuser only", "both"])
def test_an_application_task_receives_exactly_the_secrets_it_declares(
        secrets: list[str] | None, expected: set[str]) -> None:
    config = stack_config("staging")
    declaration = {"description": "print the time", "command": ["date"]}
    if secrets is not None:
        declaration["secrets"] = secrets
    config["admin-tasks:appTasks"] = {**config["admin-tasks:appTasks"], "clock": declaration}

    container = _containers(run_stack(config))["admin-tasks-staging-clock"]

    assert {secret["name"] for secret in container.get("secrets", [])} == expected
