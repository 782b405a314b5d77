"""Helpers that break one real resource of a stack run, for the guardrail tests.

Each returns a deep copy of a resource the program registered under mocks, with one
edit, keeping its URN so that a failing test names the resource.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from infra.policy.guardrails import GUARDRAILS
from tests.infra.harness import Registered, StackRun

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
#: The environment the gated job names (the stack may add <env>-approval-N ones).
MAIN_ENVIRONMENT = "github-environment-environment"
BY_NUMBER = {guardrail.number: guardrail for guardrail in GUARDRAILS}
Edit = Callable[[dict[str, Any]], object]
# case -> (guardrail, a fragment of the expected message, how to break a real resource)
Cases = dict[str, tuple[int, str, Callable[[StackRun], Registered]]]


def assert_reported(cases: Cases, run: StackRun, case: str) -> None:
    number, expected, make = cases[case]
    broken = make(run)
    found = BY_NUMBER[number].check(broken.type, broken.inputs)
    assert any(expected in message for message in found), f"{case}: {broken.urn} gave {found}"


def github_role(run: StackRun) -> Registered:
    return next(r for r in run.of_type(ROLE) if "AssumeRoleWithWebIdentity"
                in r.inputs["assumeRolePolicy"])


def policy_with(run: StackRun, action: str) -> Registered:
    return next(r for r in run.of_type(ROLE_POLICY) if action in r.inputs["policy"])


def edit_policy(resource: Registered, field: str, edit: Edit) -> Registered:
    broken = copy.deepcopy(resource)
    document = json.loads(broken.inputs[field])
    edit(document)
    broken.inputs[field] = json.dumps(document)
    return broken


def edit_containers(resource: Registered, edit: Edit) -> Registered:
    broken = copy.deepcopy(resource)
    containers = json.loads(broken.inputs["containerDefinitions"])
    edit(next(c for c in containers if c["name"] not in ("admin_tasks_prepare",
                                                          "admin_tasks_record")))
    broken.inputs["containerDefinitions"] = json.dumps(containers)
    return broken


def prod_tagged(resource: Registered) -> Registered:
    """The resource as the program tags it in an environment with `production: true`."""
    tagged = copy.deepcopy(resource)
    tagged.inputs["tags"] = {**tagged.inputs.get("tags", {}), "admin-tasks:production": "true"}
    return tagged


def set_path(path: tuple[str | int, ...], value: Any) -> Edit:
    def edit(target: dict[str, Any]) -> None:
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


def edit_container_list(resource: Registered,
                        edit: Callable[[list[dict[str, Any]]], object]) -> Registered:
    """``edit`` gets every container of the definition (the prepare container first)."""
    broken = copy.deepcopy(resource)
    containers = json.loads(broken.inputs["containerDefinitions"])
    edit(containers)
    broken.inputs["containerDefinitions"] = json.dumps(containers)
    return broken
