"""The launcher policy grants exactly what tasks/launcher calls (guardrail 3 both ways)."""

from __future__ import annotations

import json
import re

from infra.policy.iam_rules import as_list, statements
from tests.infra.harness import ROOT, StackRun

# boto3 method -> the IAM actions ECS/CloudWatch check for it
ACTIONS = {
    "run_task": {"ecs:RunTask", "ecs:TagResource", "iam:PassRole"},  # tags + roles at launch
    "describe_tasks": {"ecs:DescribeTasks"},
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
