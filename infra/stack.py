"""Wires the components of one environment together from a validated StackConfig."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_github as github

from infra.components.admin_secrets import AdminSecrets, AdminSecretsArgs
from infra.components.github_environment import GithubEnvironment, GithubEnvironmentArgs
from infra.components.github_oidc import GithubOidc, GithubOidcArgs
from infra.components.launcher_permissions import (
    LauncherPermissions,
    LauncherPermissionsArgs,
    within_quota,
)
from infra.components.task_definitions import AdminTaskDefinitions, AdminTaskDefinitionsArgs
from infra.config import StackConfig
from infra.config_rules import ECR_IMAGE
from infra.config_values import config_error
from infra.containers import ContainerSpec
from infra.iam_documents import execution_policy, launcher_policy, quota_problem
from infra.launch import task_entry
from infra.naming import (
    PROJECT,
    admin_job_workflow_ref,
    github_subjects,
    log_group_name,
    prefix,
    secret_name,
    task_family,
)
from infra.placement import checked_region, checked_repository
from infra.policy.resource_rules import ENVIRONMENT_TAG, PRODUCTION_TAG
from infra.task_specs import TaskSpec, secrets_read
from tasks.contract import approval_environments

#: The component's output attributes and the stack outputs they are.
OUTPUT_ATTRIBUTES = {
    "role_arn": "roleArn", "oidc_provider_arn": "oidcProviderArn",
    "launch_settings": "launchSettings", "log_group_name": "logGroupName",
    "task_definition_arns": "taskDefinitionArns", "secret_arns": "secretArns",
    "github_environment": "githubEnvironment",
}


def build_stack(config: StackConfig, settings: dict[str, Any], *, parent: pulumi.Resource,
                github_provider: pulumi.ProviderResource | None = None,
                extra_tags: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Declare every resource of the environment as children of `parent` (the AdminTasks
    component); return the stack outputs. Each direct child is aliased to the root stack,
    where stacks deployed before the component had them, so `pulumi up` replaces nothing."""
    env, network = config.environment, config.network
    _check_policy_sizes(config)  # before anything is registered: AWS checks only at `up`
    # The policy pack reads the production tag: an environment made production by config
    # (e.g. `live`) gets the production rules although its name does not say so.
    tags = {**(extra_tags or {}), "project": PROJECT, "environment": env, ENVIRONMENT_TAG: env,
            PRODUCTION_TAG: "true" if config.production else "false"}
    child = pulumi.ResourceOptions(parent=parent,
                                   aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])
    provider = github_provider or _github_provider(config, child)
    repository = checked_repository(config, provider) if github_provider else \
        config.github.repository
    owner_id, repository_id = _github_ids(config, provider)
    oidc = GithubOidc("github-oidc", GithubOidcArgs(
        role_name=f"{prefix(env)}-github", existing_provider_arn=config.github.oidc_provider_arn,
        subjects=pulumi.Output.all(owner_id, repository_id).apply(lambda ids: github_subjects(
            config.github.owner, config.github.repository, ids[0], ids[1], env)),
        job_workflow_ref=admin_job_workflow_ref(config.github.owner, config.github.repository),
        repository_id=pulumi.Output.from_input(repository_id).apply(str), tags=tags), opts=child)
    tasks = config.tasks
    secrets = AdminSecrets("secrets", _secrets_args(config, tasks, tags), opts=child)
    definitions = AdminTaskDefinitions("admin-tasks", AdminTaskDefinitionsArgs(
        environment=env, account=network.account, region=network.region, tasks=tasks,
        containers={task.name: _container_spec(config, task) for task in tasks},
        secret_arns=secrets.arns, log_retention_days=config.log_retention_days,
        sizes=config.task_sizes,
        ecr_repository_arns=_ecr_repositories(config), kms_key_arn=config.secrets_kms_key_arn,
        tags=tags), opts=child)
    launcher = LauncherPermissions("launcher", LauncherPermissionsArgs(
        environment=env, role_name=oidc.role_name, cluster_arn=network.cluster_arn,
        task_definitions_arn=_task_definitions_arn(config),
        passable_role_arns=[definitions.execution_role_arn, definitions.task_role_arn],
        log_group_arn=definitions.log_group_arn), opts=child)
    settings_json = json.dumps(settings, sort_keys=True)
    environment = GithubEnvironment("github-environment", GithubEnvironmentArgs(
        repository=repository, environment=env,
        reviewer_user_ids=[_user_id(login, provider) for login in config.github.reviewer_users],
        reviewer_team_ids=[_team_id(slug, provider) for slug in config.github.reviewer_teams],
        can_admins_bypass=config.github.can_admins_bypass,
        variables={"ADMIN_TASKS_SETTINGS": settings_json, "ADMIN_TASKS_ROLE_ARN": oidc.role_arn,
                   "AWS_REGION": checked_region(config, parent)},
        variables_after=[definitions, launcher],
        approval_environments=approval_environments(
            env, config.github.required_approvals)[1:]),
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(providers=[provider])))
    return {"roleArn": oidc.role_arn, "oidcProviderArn": oidc.provider_arn,
            "launchSettings": settings_json, "logGroupName": definitions.log_group_name,
            "taskDefinitionArns": definitions.task_definition_arns,
            "secretArns": secrets.arns, "githubEnvironment": environment.name}


def _github_provider(config: StackConfig, opts: pulumi.ResourceOptions) -> github.Provider:
    """This project's own GitHub provider. An explicit provider reads no `github:` config
    of its own, so the stack's `github:token` secret (when set, it wins) is handed to it
    here; without one the provider's SDK reads `GITHUB_TOKEN` from the environment, as a
    secret too (docs/DEPLOYING.md, end of "Stack config")."""
    token = pulumi.Config("github").get_secret("token")
    return github.Provider("github", owner=config.github.owner, token=token, opts=opts)


def _lookup(provider: pulumi.ProviderResource) -> pulumi.InvokeOutputOptions:
    return pulumi.InvokeOutputOptions(provider=provider)


def _user_id(login: str, provider: pulumi.ProviderResource) -> pulumi.Output[int]:
    return github.get_user_output(username=login, opts=_lookup(provider)).id.apply(int)


def _team_id(slug: str, provider: pulumi.ProviderResource) -> pulumi.Output[int]:
    team = github.get_team_output(slug=slug, summary_only=True, opts=_lookup(provider))
    return team.id.apply(int)


def _github_ids(config: StackConfig, provider: pulumi.ProviderResource,
                ) -> tuple[pulumi.Input[int], pulumi.Input[int]]:
    """Ids from config win; otherwise ask GitHub (the owner may be a user or an organisation)."""
    owner_id: pulumi.Input[int] = config.github.owner_id or _user_id(config.github.owner, provider)
    repository_id: pulumi.Input[int] = config.github.repository_id or github.get_repository_output(
        full_name=f"{config.github.owner}/{config.github.repository}",
        opts=_lookup(provider)).repo_id
    return owner_id, repository_id


def _secrets_args(config: StackConfig, tasks: tuple[TaskSpec, ...],
                  tags: dict[str, str]) -> AdminSecretsArgs:
    needed = sorted({name for task in tasks for name in secrets_read(task)})
    existing = config.database.existing_secret_arn
    return AdminSecretsArgs(
        environment=config.environment,
        create=tuple(name for name in needed if not (name == "database" and existing)),
        existing={"database": existing} if existing and "database" in needed else {},
        recovery_window_days=config.secret_recovery_window_days,
        kms_key_arn=config.secrets_kms_key_arn, tags=tags)


def _container_spec(config: StackConfig, task: TaskSpec) -> ContainerSpec:
    image = config.tasks_image if task.image == "tasks" else config.app_image
    assert image is not None  # parse_config requires the image of every kind it enables
    return ContainerSpec(
        image=image, secret_arns={}, database=config.database,
        log_group=log_group_name(config.environment), region=config.network.region,
        user=config.container_user, superuser_seal=config.superuser_seal,
        app_secrets=config.app_secrets, tasks_image=config.tasks_image,
        environment=config.environment,
        record_declaration=None if task.image == "tasks" else task_entry(
            config.environment, task, image, config.tenants))


def _task_definitions_arn(config: StackConfig) -> str:
    """Every revision of every family of the environment (`admin-tasks-<env>-*:*`)."""
    network = config.network
    return (f"arn:{network.partition}:ecs:{network.region}:{network.account}:task-definition/"
            f"{task_family(config.environment, '*')}:*")


def _check_policy_sizes(config: StackConfig) -> None:
    """The launcher's and the execution role's policies fit IAM's quota, rendered from the
    names the program gives the roles, log group and secrets: at preview, where their ARNs
    may still be unknown (the exact documents are rendered only once they are known)."""
    network, env = config.network, config.environment
    log_group = (f"arn:{network.partition}:logs:{network.region}:{network.account}:"
                 f"log-group:{log_group_name(env)}")
    within_quota(launcher_policy(
        environment=env, cluster_arn=network.cluster_arn, log_group_arn=log_group,
        task_definitions_arn=_task_definitions_arn(config), passable_role_arns=[
            f"arn:{network.partition}:iam::{network.account}:role/{prefix(env)}-{kind}"
            for kind in ("execution", "task")]))
    secrets = _execution_secrets(config)
    problem = quota_problem("execution", execution_policy(
        secret_arns=secrets, kms_key_arn=config.secrets_kms_key_arn, log_group_arn=log_group,
        ecr_repository_arns=_ecr_repositories(config), region=network.region))
    if problem:
        raise pulumi.RunError(str(config_error(
            "appSecrets", f"gives the execution role too many secrets to read: the "
            f"{len(secrets)} secrets the tasks receive {problem}",
            "have several variables read keys of one secret (appSecrets.<NAME>.key), or "
            "give the tasks fewer secrets")))


def _execution_secrets(config: StackConfig) -> list[str]:
    """The ARNs the execution policy lists: one per secret some task receives, however many
    tasks receive it (a created secret's ends in 6 random characters, as here)."""
    network, existing = config.network, {"database": config.database.existing_secret_arn}
    created = f"arn:{network.partition}:secretsmanager:{network.region}:{network.account}:secret:"
    arns = {existing.get(logical) or f"{created}{secret_name(config.environment, logical)}-AbCdEf"
            for task in config.tasks for logical in task.secrets}
    return sorted(arns | {config.app_secrets[name].arn for task in config.tasks
                          for name in task.app_secrets})


def _ecr_repositories(config: StackConfig) -> list[str]:
    arns = []
    for image in filter(None, (config.tasks_image, config.app_image)):
        match = ECR_IMAGE.fullmatch(image)
        if match:
            arns.append(f"arn:{config.network.partition}:ecr:{match['region']}:"
                        f"{match['account']}:repository/{match['repository']}")
    return sorted(set(arns))
