"""Every guardrail holds for both stacks, and a deliberately broken resource is reported.

The checks are the policy pack's own functions (infra/policy), run on the resources the
program registered under mocks; failures name the resource's URN.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from infra.policy.execution_rules import task_role_violations
from infra.policy.guardrails import GUARDRAILS, Guardrail
from tests.infra.harness import Registered, StackRun

BY_NUMBER = {guardrail.number: guardrail for guardrail in GUARDRAILS}
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"


def _violations(guardrail: Guardrail, resource: Registered) -> list[str]:
    return guardrail.check(resource.type, resource.inputs)


def _github_role(run: StackRun) -> Registered:
    return next(r for r in run.of_type(ROLE) if "AssumeRoleWithWebIdentity"
                in r.inputs["assumeRolePolicy"])


def _policy_with(run: StackRun, action: str) -> Registered:
    return next(r for r in run.of_type(ROLE_POLICY) if action in r.inputs["policy"])


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


def _edit_policy(resource: Registered, field: str,
                 edit: Callable[[dict[str, Any]], None]) -> Registered:
    broken = copy.deepcopy(resource)
    document = json.loads(broken.inputs[field])
    edit(document)
    broken.inputs[field] = json.dumps(document)
    return broken


def _edit_containers(resource: Registered, edit: Callable[[dict[str, Any]], None]) -> Registered:
    broken = copy.deepcopy(resource)
    containers = json.loads(broken.inputs["containerDefinitions"])
    edit(containers[0])
    broken.inputs["containerDefinitions"] = json.dumps(containers)
    return broken


def _prod_tagged(resource: Registered) -> Registered:
    """The resource as the program tags it in an environment with `production: true`."""
    tagged = copy.deepcopy(resource)
    tagged.inputs["tags"] = {**tagged.inputs.get("tags", {}), "admin-tasks:production": "true"}
    return tagged


def _sub(document: dict[str, Any]) -> list[str]:
    condition = document["Statement"][0]["Condition"]["StringEquals"]
    subjects: list[str] = condition["token.actions.githubusercontent.com:sub"]
    return subjects


def _claims(run: StackRun, edit: Callable[[dict[str, Any]], None]) -> Registered:
    """The GitHub role with its trust statement's StringEquals claims edited."""
    return _edit_policy(_github_role(run), "assumeRolePolicy",
                        lambda d: edit(d["Statement"][0]["Condition"]["StringEquals"]))


OIDC = "token.actions.githubusercontent.com"
WORKFLOW_REF, REPOSITORY_ID = f"{OIDC}:job_workflow_ref", f"{OIDC}:repository_id"
ADMIN_WORKFLOW = "acme-corp/billing-platform/.github/workflows/admin-task.yml@refs/heads/main"


def _launcher(run: StackRun, sid: str, edit: Callable[[dict[str, Any]], None]) -> Registered:
    """The launcher policy with its statement `sid` edited."""
    return _edit_policy(_policy_with(run, "ecs:RunTask"), "policy", lambda d: edit(
        next(statement for statement in d["Statement"] if statement["Sid"] == sid)))


def _untag(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda statement: statement["Condition"]["StringEquals"].pop(key)


def _tag(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda statement: statement["Condition"]["StringEquals"].__setitem__(key, value)


RUN, STOP = "RunAdminTasksInCluster", "StopAdminTasksInCluster"
EXEC, REQUEST_TAG = "ecs:enable-execute-command", "aws:RequestTag/admin-tasks:environment"
RESOURCE_TAG = "aws:ResourceTag/admin-tasks:environment"


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(target: dict[str, Any]) -> None:
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


# case -> (guardrail, a fragment of the expected message, how to break a real resource)
BROKEN: dict[str, tuple[int, str, Callable[[StackRun], Registered]]] = {
    "trust: wildcard subject": (1, "subjects must be exactly", lambda run: _edit_policy(
        _github_role(run), "assumeRolePolicy",
        lambda d: _sub(d).__setitem__(0, "repo:acme-corp/*:environment:prod"))),
    "trust: ref subject": (1, "subjects must be exactly", lambda run: _edit_policy(
        _github_role(run), "assumeRolePolicy",
        lambda d: _sub(d).append("repo:acme-corp/billing-platform:ref:refs/heads/main"))),
    "trust: StringLike": (1, "StringEquals only", lambda run: _edit_policy(
        _github_role(run), "assumeRolePolicy", lambda d: d["Statement"][0]["Condition"]
        .__setitem__("StringLike", d["Statement"][0]["Condition"].pop("StringEquals")))),
    "trust: only legacy form": (1, "subjects must be exactly", lambda run: _edit_policy(
        _github_role(run), "assumeRolePolicy", lambda d: _sub(d).pop())),
    "trust: anyone may also AssumeRole": (1, "assume the GitHub role", lambda run: _edit_policy(
        _github_role(run), "assumeRolePolicy", lambda d: d["Statement"].append(
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}))),
    "trust: a second web-identity statement": (1, "2 Allow statements", lambda run: _edit_policy(
        _github_role(run), "assumeRolePolicy",
        lambda d: d["Statement"].append(copy.deepcopy(d["Statement"][0])))),
    "trust: only an AWS principal": (1, "assume the GitHub role", lambda run: _edit_policy(
        _github_role(run), "assumeRolePolicy", _set(("Statement",), [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]))),
    "trust: any workflow of the environment": (1, "job_workflow_ref must be", lambda run: _claims(
        run, lambda c: c.pop(WORKFLOW_REF))),
    "trust: the deploy workflow": (1, "job_workflow_ref must be", lambda run: _claims(
        run, _set((WORKFLOW_REF,), ADMIN_WORKFLOW.replace("admin-task.yml", "deploy.yml")))),
    "trust: the admin workflow on a branch": (1, "job_workflow_ref must be", lambda run: _claims(
        run, _set((WORKFLOW_REF,), ADMIN_WORKFLOW.replace("heads/main", "heads/hotfix")))),
    "trust: the admin workflow of a fork": (1, "job_workflow_ref must be", lambda run: _claims(
        run, _set((WORKFLOW_REF,), ADMIN_WORKFLOW.replace("acme-corp/", "mallory/")))),
    "trust: a second workflow ref": (1, "job_workflow_ref must be", lambda run: _claims(
        run, _set((WORKFLOW_REF,), [ADMIN_WORKFLOW, "acme-corp/billing-platform/.github/"
                                    "workflows/deploy.yml@refs/heads/main"]))),
    "trust: any repository id": (1, "repository_id must be", lambda run: _claims(
        run, lambda c: c.pop(REPOSITORY_ID))),
    "trust: another repository's id": (1, "repository_id must be", lambda run: _claims(
        run, _set((REPOSITORY_ID,), "712345679"))),
    "trust: a repository id that is not a number": (1, "repository_id must be", lambda run:
                                                   _claims(run, _set((REPOSITORY_ID,), "7123*"))),
    "trust: pinned by workflow name instead": (1, f"{OIDC}:workflow is not one", lambda run:
                                               _claims(run, _set((f"{OIDC}:workflow",),
                                                                 "Admin task"))),
    "trust: 12h session": (1, "maxSessionDuration", lambda run: Registered(
        ROLE, "r", _github_role(run).urn, {**_github_role(run).inputs,
                                           "maxSessionDuration": 43200})),
    "environment: admin bypass in prod": (2, "can_admins_bypass", lambda run: Registered(
        ENVIRONMENT, "e", "urn:e", {**run.one(ENVIRONMENT).inputs, "environment": "prod",
                                    "canAdminsBypass": True})),
    "environment: self review": (2, "prevent_self_review", lambda run: Registered(
        ENVIRONMENT, "e", "urn:e", {**run.one(ENVIRONMENT).inputs,
                                    "preventSelfReview": False})),
    "environment: no reviewers": (2, "required reviewer", lambda run: Registered(
        ENVIRONMENT, "e", "urn:e", {**run.one(ENVIRONMENT).inputs, "reviewers": []})),
    "environment: any branch": (2, "custom branch policies", lambda run: Registered(
        ENVIRONMENT, "e", "urn:e", {**run.one(ENVIRONMENT).inputs, "deploymentBranchPolicy": {
            "protectedBranches": True, "customBranchPolicies": False}})),
    "launcher: secrets access": (3, "beyond launching", lambda run: _edit_policy(
        _policy_with(run, "ecs:RunTask"), "policy", lambda d: d["Statement"].append(
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))),
    "launcher: RunTask without cluster": (3, "ecs:RunTask only", lambda run: _edit_policy(
        _policy_with(run, "ecs:RunTask"), "policy",
        lambda d: d["Statement"][0].pop("Condition"))),
    "launcher: PassRole to any service": (3, "iam:PassedToService", lambda run: _edit_policy(
        _policy_with(run, "ecs:RunTask"), "policy",
        lambda d: d["Statement"][2].pop("Condition"))),
    "launcher: ECS Exec not refused": (3, f"needs StringEquals {EXEC}", lambda run: _launcher(
        run, RUN, _untag(EXEC))),
    "launcher: ECS Exec allowed": (3, f"needs StringEquals {EXEC}", lambda run: _launcher(
        run, RUN, _tag(EXEC, "true"))),
    "launcher: untagged tasks": (3, f"needs StringEquals {REQUEST_TAG}", lambda run: _launcher(
        run, RUN, _untag(REQUEST_TAG))),
    "launcher: tasks tagged with either of two environments": (
        3, f"needs StringEquals {REQUEST_TAG}", lambda run: _launcher(run, RUN, _tag(
            REQUEST_TAG, [run.outputs["githubEnvironment"], "sandbox"]))),
    "launcher: tasks tagged with another environment": (3, "but runs", lambda run: _launcher(
        run, RUN, _tag(REQUEST_TAG, "sandbox"))),
    "launcher: stop any task in the cluster": (3, "ecs:StopTask needs", lambda run: _launcher(
        run, STOP, _untag(RESOURCE_TAG))),
    "launcher: stop merged back into describe": (3, "ecs:StopTask needs", lambda run: _launcher(
        run, "WatchTasksInCluster", _set(("Action",), ["ecs:DescribeTasks", "ecs:StopTask"]))),
    "launcher: stop another environment's tasks": (3, "several environments", lambda run:
                                                   _launcher(run, STOP, _tag(RESOURCE_TAG,
                                                                             "sandbox"))),
    "launcher: star action": (3, "wildcard action", lambda run: _edit_policy(
        _policy_with(run, "ecs:RunTask"), "policy",
        lambda d: d["Statement"][0].__setitem__("Action", "ecs:*"))),
    "execution: every secret": (4, "named secret ARNs", lambda run: _edit_policy(
        _policy_with(run, "secretsmanager:GetSecretValue"), "policy",
        lambda d: d["Statement"][0].__setitem__("Resource", "*"))),
    "execution: managed policy": (4, "managed policy", lambda run: Registered(
        ROLE, "x", "urn:x", {**run.of_type(ROLE)[0].inputs, "managedPolicyArns": [
            "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]})),
    "task definition: password in environment": (5, "looks secret", lambda run: _edit_containers(
        run.of_type(TASK_DEFINITION)[0], lambda c: c["environment"].append(
            {"name": "DATABASE_PASSWORD", "value": "hunter2"}))),
    "task definition: writable root": (5, "read-only", lambda run: _edit_containers(
        run.of_type(TASK_DEFINITION)[0], _set(("readonlyRootFilesystem",), False))),
    "task definition: root user": (5, "non-root", lambda run: _edit_containers(
        run.of_type(TASK_DEFINITION)[0], _set(("user",), "0"))),
    "task definition: json logs": (5, "awslogs", lambda run: _edit_containers(
        run.of_type(TASK_DEFINITION)[0], _set(("logConfiguration", "logDriver"), "json-file"))),
    "task definition: whole secret": (5, "valueFrom must be", lambda run: _edit_containers(
        run.of_type(TASK_DEFINITION)[0], lambda c: c["secrets"][0].__setitem__(
            "valueFrom", c["secrets"][0]["valueFrom"].rsplit(":", 3)[0]))),
    "task definition: prod image by tag": (5, "@sha256:", lambda run: _edit_containers(
        _prod_tagged(run.of_type(TASK_DEFINITION)[0]), _set(("image",), "registry.example/app:1"))),
    "task definition: port": (5, "port mappings", lambda run: _edit_containers(
        run.of_type(TASK_DEFINITION)[0], _set(("portMappings",), [{"containerPort": 80}]))),
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
    number, expected, make = BROKEN[case]
    broken = make(stack_run)
    found = _violations(BY_NUMBER[number], broken)
    assert any(expected in message for message in found), f"{case}: {broken.urn} gave {found}"


def test_every_guardrail_has_a_broken_case() -> None:
    assert {number for number, _, _ in BROKEN.values()} == set(BY_NUMBER)


def test_a_policy_on_the_task_role_is_reported(stack_run: StackRun) -> None:
    task_role = next(r for r in stack_run.of_type(ROLE) if r.inputs["name"].endswith("-task"))
    extra = (ROLE_POLICY, {"role": task_role.inputs["name"], "policy": "{}"}, "urn:extra")
    found = task_role_violations([*_stack(stack_run), extra])
    assert any(f.urn == "urn:extra" and "task role" in f.message for f in found), found


def test_reading_an_unreferenced_secret_is_reported(stack_run: StackRun) -> None:
    broken = _edit_policy(
        _policy_with(stack_run, "secretsmanager:GetSecretValue"), "policy",
        lambda d: d["Statement"][0]["Resource"].append(
            "arn:aws:secretsmanager:eu-west-1:111111111111:secret:other-app/db-Zz99Yy"))
    resources = [resource for resource in _stack(stack_run) if resource[2] != broken.urn]
    found = task_role_violations([*resources, (broken.type, broken.inputs, broken.urn)])
    assert any(f.urn == broken.urn and "other-app/db" in f.message for f in found), found
