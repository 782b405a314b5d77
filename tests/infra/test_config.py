"""Guardrail 8: bad stack config fails the program before any resource, naming key and fix."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from tests.infra.harness import Registered, run_stack, stack_config

Edit = Callable[[dict[str, Any]], None]


def _set(key: str, value: Any) -> Edit:
    return lambda config: config.__setitem__(f"admin-tasks:{key}", value)


def _unset(key: str) -> Edit:
    return lambda config: config.pop(f"admin-tasks:{key}", None)


def _app_task(name: str = "cleanup", **fields: Any) -> Edit:
    """Add one application task (a retention cleanup, changed by ``fields``)."""
    declaration = {"description": "Delete old activity logs",
                   "command": ["python", "manage.py", "cleanup", "--days={days}"],
                   "parameters": {"days": {"type": "integer", "description": "days to keep"}},
                   **fields}
    return lambda config: config.__setitem__("admin-tasks:appTasks", {
        **config.get("admin-tasks:appTasks", {}), name: declaration})


# case -> (stack, edit, fragments the message must contain: the key and the fix)
BAD: dict[str, tuple[str, Edit, tuple[str, ...]]] = {
    "missing repository": ("staging", _unset("githubRepository"),
                           ("admin-tasks:githubRepository is required", "pulumi config set")),
    "no reviewers in prod": ("prod", _set("reviewers", {"users": [], "teams": []}),
                             ("admin-tasks:reviewers", "1 to 6 reviewers")),
    "too few reviewers in prod": ("prod", _set("reviewers", {"users": ["alice-ops"]}),
                                  ("admin-tasks:reviewers", "fewer than the 2")),
    "one reviewer listed twice in prod": ("prod", _set("reviewers", {"users": [
        "alice-ops", "alice-ops"]}), ("admin-tasks:reviewers.users", "more than once")),
    "one reviewer listed twice, in two cases": ("prod", _set("reviewers", {"users": [
        "alice-ops", "Alice-Ops"], "teams": ["platform-oncall"]}),
        ("admin-tasks:reviewers.users", "list each reviewer once")),
    "one team listed twice": ("staging", _set("reviewers", {"teams": [
        "platform-oncall", "platform-oncall"]}), ("admin-tasks:reviewers.teams",)),
    "admin bypass in prod": ("prod", _set("canAdminsBypass", True),
                             ("admin-tasks:canAdminsBypass", "must not skip")),
    "upper-case environment": ("staging", _set("environment", "Staging"),
                               ("admin-tasks:environment", "lower-case")),
    "environment with a space": ("staging", _set("environment", "pre prod"),
                                 ("admin-tasks:environment", "lower-case")),
    "wildcard repository": ("staging", _set("githubRepository", "*"),
                            ("admin-tasks:githubRepository", "wildcard", "without * or ?")),
    "wildcard owner": ("prod", _set("githubOwner", "acme-*"),
                       ("admin-tasks:githubOwner", "wildcard")),
    "unknown task": ("staging", _set("tasks", ["seed-admin", "drop-database"]),
                     ("admin-tasks:tasks", "unknown task 'drop-database'")),
    "malformed cluster ARN": ("staging", _set("clusterArn", "app-staging"),
                              ("admin-tasks:clusterArn is malformed", "arn:aws:ecs:")),
    "cluster in another region": ("staging", _set(
        "clusterArn", "arn:aws:ecs:us-east-1:111111111111:cluster/app-staging"),
        ("admin-tasks:clusterArn", "cluster's account and region")),
    "malformed secret ARN": ("prod", _set("databaseSecretArn", "rds!db-123"),
                             ("admin-tasks:databaseSecretArn is malformed",)),
    "malformed KMS key": ("prod", _set("secretsKmsKeyArn", "alias/aws/secretsmanager"),
                          ("admin-tasks:secretsKmsKeyArn", "key ARN")),
    "malformed OIDC provider": ("prod", _set(
        "oidcProviderArn", "arn:aws:iam::222222222222:oidc-provider/accounts.google.com"),
        ("admin-tasks:oidcProviderArn is malformed",)),
    "OIDC provider of another account": ("prod", _set(
        "oidcProviderArn",
        "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"),
        ("admin-tasks:oidcProviderArn", "cluster's account")),
    "malformed subnet": ("staging", _set("subnets", ["subnet-XYZ"]),
                         ("admin-tasks:subnets", "subnet-0abc")),
    "malformed repository id": ("staging", _set("githubRepositoryId", "R_kgDOabc"),
                                ("admin-tasks:githubRepositoryId", "numeric id")),
    "malformed reviewer login": ("staging", _set("reviewers", {"users": ["al ice"]}),
                                 ("admin-tasks:reviewers.users",)),
    "typo in a key": ("staging", _set("minimumReviewer", 2),
                      ("admin-tasks:minimumReviewer is not a known key", "did you mean minimumReviewers?")),
    "short prod retention": ("prod", _set("logRetentionDays", 90),
                             ("admin-tasks:logRetentionDays", "at least 365")),
    "prod image by tag": ("prod", _set("tasksImage", "222222222222.dkr.ecr.eu-west-1."
                                                     "amazonaws.com/admin-tasks:latest"),
                          ("admin-tasks:tasksImage", "@sha256:")),
    "the old migrateSteps key": ("staging", _set("migrateSteps", [["python", "manage.py"]]),
                                 ("admin-tasks:migrateSteps", "declare migrate under appTasks")),
    "app task placeholder naming no parameter": ("staging", _app_task(
        command=["python", "manage.py", "cleanup", "--days={day}"]),
        ("admin-tasks:appTasks.cleanup step 1 argument 3", "names no parameter")),
    "app task parameter no placeholder uses": ("staging", _app_task(
        command=["python", "manage.py", "cleanup"]),
        ("admin-tasks:appTasks.cleanup.parameters.days", "not used by any")),
    "app task string without pattern": ("staging", _app_task(
        parameters={"days": {"type": "string", "description": "d"}}),
        ("admin-tasks:appTasks.cleanup.parameters.days", "needs a pattern")),
    "app task pattern that does not compile": ("staging", _app_task(
        parameters={"days": {"type": "string", "description": "d", "pattern": "(["}}),
        ("admin-tasks:appTasks.cleanup.parameters.days", "does not compile")),
    "app task pattern matching the empty string": ("prod", _app_task(
        parameters={"days": {"type": "string", "description": "d", "pattern": "[0-9]*"}}),
        ("admin-tasks:appTasks.cleanup.parameters.days", "matches the empty string")),
    "app task named like a built-in": ("staging", _app_task(name="seed-admin"),
                                       ("admin-tasks:appTasks.seed-admin", "built-in task")),
    "app task with an empty command": ("staging", _app_task(command=[]),
                                       ("admin-tasks:appTasks.cleanup.command", "is empty")),
    "app tasks without an application image": ("staging", _unset("appImage"),
                                               ("admin-tasks:appImage is required",)),
    "cleartext database authentication": ("staging", _set("databaseAuth", "password"),
                                          ("admin-tasks:databaseAuth", "never cleartext")),
    "approval turned off in production": ("prod", _set("requireApproval", False),
                                          ("admin-tasks:requireApproval", "production")),
    "one approval in production": ("prod", _set("requiredApprovals", 1),
                                   ("admin-tasks:requiredApprovals is 1 in a production",)),
    "required approvals left to the default in production": (
        "prod", _unset("requiredApprovals"),
        ("admin-tasks:requiredApprovals is 1 in a production",)),
    "seven approvals": ("staging", _set("requiredApprovals", 7),
                        ("admin-tasks:requiredApprovals must be a whole number from 1 to 6",)),
    "approvals as a boolean": ("staging", _set("requiredApprovals", True),
                               ("admin-tasks:requiredApprovals must be a whole number",)),
    "more approvals than reviewers": ("staging", lambda config: (
        config.__setitem__("admin-tasks:reviewers", {"users": ["alice-ops"]}),
        config.__setitem__("admin-tasks:requiredApprovals", 2)),
        ("admin-tasks:requiredApprovals is 2, but reviewers.users names only 1",)),
    "app task sized twice": ("staging", lambda config: (
        _app_task(cpu=512, memory=1024)(config),
        config.__setitem__("admin-tasks:taskSizes", {"cleanup": {"cpu": 256, "memory": 512}})),
        ("admin-tasks:taskSizes.cleanup", "one place")),
    "root container user": ("staging", _set("containerUser", "root"),
                            ("admin-tasks:containerUser", "non-root")),
    "malformed container user": ("staging", _set("containerUser", "app user"),
                                 ("admin-tasks:containerUser is malformed", "non-root uid")),
    "fargate size": ("staging", _set("taskMemory", 8192),
                     ("admin-tasks:taskMemory", "not valid with 256 CPU units")),
    "size of a task that is not enabled": ("staging", _set(
        "taskSizes", {"drop-database": {"cpu": 256, "memory": 512}}),
        ("admin-tasks:taskSizes.drop-database", "not enabled")),
    "invalid per-task size": ("prod", _set("taskSizes", {"migrate": {"cpu": 1024, "memory": 512}}),
                              ("admin-tasks:taskSizes.migrate.memory", "2048-8192 MiB")),
    "only application tasks, and no tasks image for their recorders": (
        "staging", lambda config: (config.__setitem__("admin-tasks:tasks", []),
                                   config.pop("admin-tasks:tasksImage")),
        ("admin-tasks:tasksImage is required",)),
    "only application tasks, and no database host for their recorders": (
        "staging", lambda config: (config.__setitem__("admin-tasks:tasks", []),
                                   config.pop("admin-tasks:databaseHost")),
        ("admin-tasks:databaseHost is required", "every task definition is bound to it")),
    "built-in tasks without the database host they are bound to": (
        "staging", _unset("databaseHost"),
        ("admin-tasks:databaseHost is required", "every task definition is bound to it")),
    "superuser tasks without the seal of their secret": (
        "prod", _unset("superuserSecretSeal"),
        ("admin-tasks:superuserSecretSeal is required", "generate the superuser secret")),
    "a seal that is not a sha256 digest": (
        "staging", _set("superuserSecretSeal", "sha256:" + "A" * 64),
        ("admin-tasks:superuserSecretSeal is malformed", "sha256:<hex>")),
    "a seal with no task to bind it": (
        "staging", _set("tasks", ["seed-admin"]),
        ("admin-tasks:superuserSecretSeal is only used", "remove it")),
    "missing region": ("staging", lambda config: config.pop("aws:region"),
                       ("aws:region is required",)),
    "tenant steps without the tenants": (
        "staging", _unset("tenants"),
        ("admin-tasks:appTasks.migrate.tenantSteps needs to know where the tenants are",)),
    "a tenant table that is not an identifier": (
        "staging", _set("tenants", {"table": "clients; drop table x", "schemaColumn": "s"}),
        ("admin-tasks:tenants", "must be a table name")),
    "a schema column that is not an identifier": (
        "staging", _set("tenants", {"table": "public.customers_client",
                                    "schemaColumn": "schema-name"}),
        ("admin-tasks:tenants", "schemaColumn must be a column name")),
    "an exclude list that is not a list of values": (
        "staging", _set("tenants", {"table": "c", "schemaColumn": "s", "exclude": "public"}),
        ("admin-tasks:tenants", "exclude must list the tenant table's values")),
    "more parallel tasks than a run may use": (
        "staging", _set("maxParallelTasks", 17), ("admin-tasks:maxParallelTasks",)),
    "a parameter named like the tenant placeholder": (
        "staging", lambda config: config["admin-tasks:appTasks"]["migrate"].__setitem__(
            "parameters", {"tenant": {"type": "string", "description": "x", "pattern": ".+"}}),
        ("appTasks.migrate.parameters.tenant", "reserved {tenant} placeholder")),
    "the tenant placeholder outside tenantSteps": (
        "staging", lambda config: config["admin-tasks:appTasks"]["migrate"].__setitem__(
            "steps", [["python", "manage.py", "migrate_schemas", "--schema={tenant}"]]),
        ("{tenant}", "names no parameter")),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_fails_before_any_resource(case: str) -> None:
    stack, edit, fragments = BAD[case]
    config = stack_config(stack)
    edit(config)
    registered: list[Registered] = []
    with pytest.raises(pulumi.RunError) as raised:
        run_stack(config, stack, registered)
    message = str(raised.value)
    assert all(fragment in message for fragment in fragments), message
    assert "Fix:" in message
    assert registered == [], [r.urn for r in registered]


def test_environment_defaults_to_the_stack_name() -> None:
    config = stack_config("staging")
    del config["admin-tasks:environment"]
    run = run_stack(config, "staging")
    assert run.outputs["githubEnvironment"] == "staging"


def test_ids_are_looked_up_on_github_when_not_configured() -> None:
    config = stack_config("staging")
    del config["admin-tasks:githubOwnerId"], config["admin-tasks:githubRepositoryId"]
    run = run_stack(config, "staging")
    assert "github:index/getRepository:getRepository" in run.calls
    role = next(r for r in run.of_type("aws:iam/role:Role") if r.name == "github-oidc-role")
    claims = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"][
        "StringEquals"]
    # The mocks answer getRepository with repoId 900000 + the call's number.
    repository_id = claims["token.actions.githubusercontent.com:repository_id"]
    assert repository_id.isdigit() and repository_id.startswith("9000"), role.urn
    assert any(subject.startswith("repo:acme-corp@") and f"@{repository_id}:" in subject
               for subject in claims["token.actions.githubusercontent.com:sub"]), role.urn


def test_task_sizes_override_the_default_for_one_task() -> None:
    config = stack_config("staging")
    config["admin-tasks:taskSizes"] = {"seed-admin": {"cpu": 1024, "memory": 3072}}
    run = run_stack(config, "staging")
    sizes = {d.inputs["family"].removeprefix("admin-tasks-staging-"): (d.inputs["cpu"],
                                                                     d.inputs["memory"])
             for d in run.of_type("aws:ecs/taskDefinition:TaskDefinition")}
    assert sizes.pop("seed-admin") == ("1024", "3072")
    assert sizes.pop("migrate") == ("1024", "4096")  # its declaration sizes it
    assert set(sizes.values()) == {("256", "512")}, sizes  # every other task: the default


def test_an_application_task_may_size_itself() -> None:
    config = stack_config("staging")
    _app_task(cpu=1024, memory=2048)(config)
    run = run_stack(config, "staging")
    sizes = {d.inputs["family"]: (d.inputs["cpu"], d.inputs["memory"])
             for d in run.of_type("aws:ecs/taskDefinition:TaskDefinition")}
    assert sizes["admin-tasks-staging-cleanup"] == ("1024", "2048")


def test_a_stack_may_deploy_only_application_tasks() -> None:
    config = stack_config("staging")
    config["admin-tasks:tasks"] = []
    del config["admin-tasks:superuserSecretSeal"]
    run = run_stack(config, "staging")
    families = {d.inputs["family"] for d in run.of_type("aws:ecs/taskDefinition:TaskDefinition")}
    assert families == {f"admin-tasks-staging-{name}" for name in config["admin-tasks:appTasks"]}


@pytest.mark.parametrize("user", ["0", "00", "000", "0:0", "root", "root:anything", "0:1000",
                                  " 0", "+0"])
def test_container_user_refuses_root_in_any_spelling(user: str) -> None:
    config = stack_config("staging") | {"admin-tasks:containerUser": user}
    registered: list[Registered] = []
    with pytest.raises(pulumi.RunError, match=r"admin-tasks:containerUser is root .*Fix:"):
        run_stack(config, "staging", registered)
    assert registered == []
