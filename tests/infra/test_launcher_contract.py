"""The launcher policy grants exactly what tasks/launcher calls (guardrail 3 both ways)."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from typing import Any

from infra.policy.iam_rules import as_list, statements
from tasks.contract.settings import parse_settings
from tasks.launcher.inputs import check_inputs
from tasks.launcher.request import build_request
from tests.infra.harness import ROOT, StackRun

# boto3 method -> the IAM actions ECS/CloudWatch check for it
ACTIONS = {
    "run_task": {"ecs:RunTask", "ecs:TagResource", "iam:PassRole"},  # tags + roles at launch
    "describe_tasks": {"ecs:DescribeTasks"},
    "describe_task_definition": {"ecs:DescribeTaskDefinition"},
    "stop_task": {"ecs:StopTask"},
    "list_tasks": {"ecs:ListTasks"},
    "get_log_events": {"logs:GetLogEvents"},
}
CLIENT_CALL = re.compile(r"\b(?:ecs|_?logs)\.(\w+)\(")
PAGINATOR = re.compile(r"get_paginator\(\"(\w+)\"\)")


def _launcher_calls() -> set[str]:
    calls = set()
    for path in (ROOT / "tasks" / "launcher").glob("*.py"):
        source = path.read_text()
        calls |= set(CLIENT_CALL.findall(source)) | set(PAGINATOR.findall(source))
    return calls - {"get_paginator"}


def test_launcher_policy_matches_the_launchers_aws_calls(stack_run: StackRun) -> None:
    calls = _launcher_calls()
    assert calls, "found no AWS calls in tasks/launcher: update CLIENT_CALL"
    unknown = calls - set(ACTIONS)
    assert not unknown, f"the launcher calls {unknown}: grant it in launcher_policy and here"
    policy = next(r for r in stack_run.of_type("aws:iam/rolePolicy:RolePolicy")
                  if "ecs:RunTask" in r.inputs["policy"])
    granted = {str(a) for s in statements(json.loads(policy.inputs["policy"]))
               for a in as_list(s.get("Action"))}
    assert granted == set().union(*(ACTIONS[call] for call in calls)), policy.urn


def _request_context(request: dict[str, Any]) -> dict[str, str]:
    """The condition keys ECS evaluates for a RunTask request, as IAM sees them (strings)."""
    context = {f"aws:RequestTag/{tag['key']}": tag["value"] for tag in request.get("tags", [])}
    if "enableExecuteCommand" in request:  # absent from the request: absent from the context
        context["ecs:enable-execute-command"] = str(request["enableExecuteCommand"]).lower()
    return context


def _task_definition(run: StackRun, request: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The task definition a RunTask request names, as IAM sees it: its ARN (the mocks' first
    revision) and its own tags as `aws:ResourceTag/...` keys."""
    family = request["taskDefinition"].rsplit("/", 1)[-1].split(":")[0]
    definition = next(r for r in run.of_type("aws:ecs/taskDefinition:TaskDefinition")
                      if r.inputs["family"] == family)
    (arn,) = [arn for arn in run.outputs["taskDefinitionArns"].values()
              if arn.rsplit("/", 1)[-1].split(":")[0] == family]
    return arn, {f"aws:ResourceTag/{key}": value for key, value in
                 definition.inputs["tags"].items()}


def test_the_launchers_run_task_request_meets_the_policys_conditions(
        stack_run: StackRun) -> None:
    policy = next(r for r in stack_run.of_type("aws:iam/rolePolicy:RolePolicy")
                  if "ecs:RunTask" in r.inputs["policy"])
    (run_task,) = [s for s in statements(json.loads(policy.inputs["policy"]))
                   if "ecs:RunTask" in as_list(s.get("Action"))]
    environment = stack_run.outputs["githubEnvironment"]
    environ = {"GITHUB_ACTOR": "alice", "GITHUB_RUN_ID": "1", "GITHUB_RUN_ATTEMPT": "1"}
    settings = parse_settings(json.loads(stack_run.outputs["launchSettings"]))
    inputs = check_inputs(task_name="seed-superuser", environment=environment, raw_params=[],
                          reason="contract", timeout=None, preview=False, environ=environ,
                          settings=settings)
    request = build_request(inputs, settings, environ).run_task_request()
    arn, resource_tags = _task_definition(stack_run, request)
    # IAM's `*` in a resource ARN matches any characters, `:` and `/` included: fnmatch's.
    assert any(fnmatchcase(arn, str(pattern)) for pattern in as_list(run_task["Resource"])), (
        policy.urn, arn)
    context = _request_context(request) | resource_tags
    for key, expected in run_task["Condition"]["StringEquals"].items():
        assert context.get(key) == expected, (policy.urn, key, context)
