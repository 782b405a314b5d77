"""Guardrails 1 and 3, the gate itself: who may assume the environment's role, and what
it may launch. Each case breaks the role or the launcher policy the program registered
and expects the policy pack's own rule to report it (failures name the resource's URN).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.infra.breaking import (
    ROLE,
    Cases,
    Edit,
    assert_reported,
    edit_policy,
    github_role,
    policy_with,
    set_path,
)
from tests.infra.harness import Registered, StackRun

OIDC = "token.actions.githubusercontent.com"
WORKFLOW_REF, REPOSITORY_ID = f"{OIDC}:job_workflow_ref", f"{OIDC}:repository_id"
ADMIN_WORKFLOW = "acme-corp/billing-platform/.github/workflows/admin-task.yml@refs/heads/main"
RUN, STOP = "RunAdminTasksInCluster", "StopAdminTasksInCluster"
EXEC, REQUEST_TAG = "ecs:enable-execute-command", "aws:RequestTag/admin-tasks:environment"
RESOURCE_TAG = "aws:ResourceTag/admin-tasks:environment"
PASS_ROLES, PASS = "PassAdminTaskRolesToEcs", "only this environment's execution and task roles"


def _sub(document: dict[str, Any]) -> list[str]:
    condition = document["Statement"][0]["Condition"]["StringEquals"]
    subjects: list[str] = condition[f"{OIDC}:sub"]
    return subjects


def _claims(run: StackRun, edit: Edit) -> Registered:
    """The GitHub role with its trust statement's StringEquals claims edited."""
    return edit_policy(github_role(run), "assumeRolePolicy",
                       lambda d: edit(d["Statement"][0]["Condition"]["StringEquals"]))


def _launcher(run: StackRun, sid: str, edit: Edit) -> Registered:
    """The launcher policy with its statement `sid` edited."""
    return edit_policy(policy_with(run, "ecs:RunTask"), "policy", lambda d: edit(
        next(statement for statement in d["Statement"] if statement["Sid"] == sid)))


def _untag(key: str) -> Edit:
    return lambda statement: statement["Condition"]["StringEquals"].pop(key)


def _tag(key: str, value: Any) -> Edit:
    return lambda statement: statement["Condition"]["StringEquals"].__setitem__(key, value)


def _roles(change: Callable[[str], str]) -> Edit:
    """The PassRole statement with each role ARN changed."""
    return lambda statement: statement.__setitem__(
        "Resource", [change(arn) for arn in statement["Resource"]])


BROKEN: Cases = {
    "trust: wildcard subject": (1, "subjects must be exactly", lambda run: edit_policy(
        github_role(run), "assumeRolePolicy",
        lambda d: _sub(d).__setitem__(0, "repo:acme-corp/*:environment:prod"))),
    "trust: ref subject": (1, "subjects must be exactly", lambda run: edit_policy(
        github_role(run), "assumeRolePolicy",
        lambda d: _sub(d).append("repo:acme-corp/billing-platform:ref:refs/heads/main"))),
    "trust: StringLike": (1, "StringEquals only", lambda run: edit_policy(
        github_role(run), "assumeRolePolicy", lambda d: d["Statement"][0]["Condition"]
        .__setitem__("StringLike", d["Statement"][0]["Condition"].pop("StringEquals")))),
    "trust: only legacy form": (1, "subjects must be exactly", lambda run: edit_policy(
        github_role(run), "assumeRolePolicy", lambda d: _sub(d).pop())),
    "trust: anyone may also AssumeRole": (1, "assume the GitHub role", lambda run: edit_policy(
        github_role(run), "assumeRolePolicy", lambda d: d["Statement"].append(
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}))),
    "trust: a second web-identity statement": (1, "2 Allow statements", lambda run: edit_policy(
        github_role(run), "assumeRolePolicy",
        lambda d: d["Statement"].append(copy.deepcopy(d["Statement"][0])))),
    "trust: only an AWS principal": (1, "assume the GitHub role", lambda run: edit_policy(
        github_role(run), "assumeRolePolicy", set_path(("Statement",), [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]))),
    "trust: any workflow of the environment": (1, "job_workflow_ref must be", lambda run: _claims(
        run, lambda c: c.pop(WORKFLOW_REF))),
    "trust: the deploy workflow": (1, "job_workflow_ref must be", lambda run: _claims(
        run, set_path((WORKFLOW_REF,), ADMIN_WORKFLOW.replace("admin-task.yml", "deploy.yml")))),
    "trust: the admin workflow on a branch": (1, "job_workflow_ref must be", lambda run: _claims(
        run, set_path((WORKFLOW_REF,), ADMIN_WORKFLOW.replace("heads/main", "heads/hotfix")))),
    "trust: the admin workflow of a fork": (1, "job_workflow_ref must be", lambda run: _claims(
        run, set_path((WORKFLOW_REF,), ADMIN_WORKFLOW.replace("acme-corp/", "mallory/")))),
    "trust: a second workflow ref": (1, "job_workflow_ref must be", lambda run: _claims(
        run, set_path((WORKFLOW_REF,), [ADMIN_WORKFLOW, "acme-corp/billing-platform/.github/"
                                    "workflows/deploy.yml@refs/heads/main"]))),
    "trust: any repository id": (1, "repository_id must be", lambda run: _claims(
        run, lambda c: c.pop(REPOSITORY_ID))),
    "trust: another repository's id": (1, "repository_id must be", lambda run: _claims(
        run, set_path((REPOSITORY_ID,), "712345679"))),
    "trust: a repository id that is not a number": (1, "repository_id must be", lambda run:
                                                   _claims(run, set_path((REPOSITORY_ID,), "7123*"))),
    "trust: pinned by workflow name instead": (1, f"{OIDC}:workflow is not one", lambda run:
                                               _claims(run, set_path((f"{OIDC}:workflow",),
                                                                 "Admin task"))),
    "trust: 12h session": (1, "maxSessionDuration", lambda run: Registered(
        ROLE, "r", github_role(run).urn, {**github_role(run).inputs,
                                           "maxSessionDuration": 43200})),
    "launcher: secrets access": (3, "beyond launching", lambda run: edit_policy(
        policy_with(run, "ecs:RunTask"), "policy", lambda d: d["Statement"].append(
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))),
    "launcher: RunTask without cluster": (3, "ecs:RunTask only", lambda run: edit_policy(
        policy_with(run, "ecs:RunTask"), "policy",
        lambda d: d["Statement"][0].pop("Condition"))),
    "launcher: PassRole to any service": (3, "iam:PassedToService", lambda run: edit_policy(
        policy_with(run, "ecs:RunTask"), "policy",
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
        run, "WatchTasksInCluster", set_path(("Action",), ["ecs:DescribeTasks", "ecs:StopTask"]))),
    "launcher: stop another environment's tasks": (3, "several environments", lambda run:
                                                   _launcher(run, STOP, _tag(RESOURCE_TAG,
                                                                             "sandbox"))),
    "launcher: PassRole on the GitHub role itself": (3, PASS, lambda run: _launcher(
        run, PASS_ROLES, _roles(lambda arn: arn.replace("-execution", "-github")))),
    "launcher: PassRole on another environment's roles": (3, PASS, lambda run: _launcher(
        run, PASS_ROLES, _roles(lambda arn: arn.replace(
            f"-{run.outputs['githubEnvironment']}-", "-sandbox-")))),
    "launcher: PassRole on its roles in another account": (3, PASS, lambda run: _launcher(
        run, PASS_ROLES, _roles(lambda arn: re.sub(r"::\d{12}:", "::999999999999:", arn)))),
    "launcher: PassRole on one more named role": (3, PASS, lambda run: _launcher(
        run, PASS_ROLES, lambda s: s["Resource"].append(
            s["Resource"][0].rsplit("/", 1)[0] + "/app-task"))),
    "launcher: PassRole to ECS or Lambda": (3, "iam:PassedToService", lambda run: _launcher(
        run, PASS_ROLES, _tag("iam:PassedToService", ["ecs-tasks.amazonaws.com",
                                                     "lambda.amazonaws.com"]))),
    "launcher: star action": (3, "wildcard action", lambda run: edit_policy(
        policy_with(run, "ecs:RunTask"), "policy",
        lambda d: d["Statement"][0].__setitem__("Action", "ecs:*"))),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_gate_is_reported(stack_run: StackRun, case: str) -> None:
    assert_reported(BROKEN, stack_run, case)
