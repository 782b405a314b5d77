"""docs/deployer-policy.json, the IAM policy of whoever runs ``pulumi up``, against what the
program declares for both example stacks: every AWS resource type it registers (and every
AWS data source it reads) has its create, read, update, delete and tag actions allowed on
that resource's own ARN, and a new resource type fails here until its actions are listed
and the document grants them. The document grants nothing outside the project's names."""

from __future__ import annotations

import json
from collections.abc import Callable
from fnmatch import fnmatchcase

import pytest

from tests.conftest import PROJECT_ROOT
from tests.infra.harness import Registered, run_stack, stack_config

POLICY = json.loads((PROJECT_ROOT / "docs" / "deployer-policy.json").read_text())
ROLE_ACTIONS = ["iam:CreateRole", "iam:GetRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy",
                "iam:TagRole", "iam:UntagRole", "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"]


def _arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


#: Resource type → the actions Pulumi's AWS provider calls for it, and its ARN.
NEEDED: dict[str, tuple[list[str], Callable[[Registered, str, str], str]]] = {
    "aws:iam/role:Role": (ROLE_ACTIONS, lambda r, _, account: _arn(
        "iam", "", account, f"role/{r.inputs['name']}")),
    "aws:iam/rolePolicy:RolePolicy": (
        ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"],
        lambda r, _, account: _arn("iam", "", account, f"role/{r.inputs['role']}")),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (
        ["iam:CreateOpenIDConnectProvider", "iam:GetOpenIDConnectProvider",
         "iam:DeleteOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
         "iam:UpdateOpenIDConnectProviderThumbprint"],
        lambda r, _, account: _arn("iam", "", account, "oidc-provider/"
                                   + str(r.inputs["url"]).removeprefix("https://"))),
    "aws:cloudwatch/logGroup:LogGroup": (
        ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy",
         "logs:TagResource", "logs:ListTagsForResource"],
        lambda r, region, account: _arn("logs", region, account,
                                        f"log-group:{r.inputs['name']}")),
    "aws:ecs/taskDefinition:TaskDefinition": (
        ["ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition",
         "ecs:DescribeTaskDefinition", "ecs:TagResource"], lambda *_: "*"),
    "aws:secretsmanager/secret:Secret": (
        ["secretsmanager:CreateSecret", "secretsmanager:DescribeSecret",
         "secretsmanager:DeleteSecret", "secretsmanager:RestoreSecret",
         "secretsmanager:TagResource", "secretsmanager:GetResourcePolicy"],
        lambda r, region, account: _arn("secretsmanager", region, account,
                                        f"secret:{r.inputs['name']}-AbCdEf")),
}
#: Data sources the program reads (infra/placement.py), with the action each needs.
READS = {"aws:index/getCallerIdentity:getCallerIdentity": "sts:GetCallerIdentity"}
#: Registering a task definition with its two roles is a PassRole of each to ECS.
PASSED_TO = "ecs-tasks.amazonaws.com"


def _allows(action: str, resource: str, passed_to: str | None = None) -> bool:
    for statement in POLICY["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) \
            else [statement["Action"]]
        if statement["Effect"] != "Allow" or not any(
                fnmatchcase(action.lower(), a.lower()) for a in actions):
            continue
        if resource != "*" and not fnmatchcase(resource, statement["Resource"]):
            continue
        if resource == "*" and statement["Resource"] != "*":
            continue
        wanted = statement.get("Condition", {}).get("StringEquals", {}).get(
            "iam:PassedToService")
        if wanted is None or wanted == passed_to:
            return True
    return False


@pytest.fixture(scope="module", params=["staging", "prod"])
def stack(request: pytest.FixtureRequest) -> tuple[list[Registered], str, str]:
    config = stack_config(request.param)
    run = run_stack(config, request.param)
    account = config["admin-tasks:clusterArn"].split(":")[4]
    return run.resources, config["aws:region"], account


def _role_arns(resources: list[Registered], account: str) -> list[str]:
    """The ARNs of the roles the task definitions name (execution and task roles)."""
    names = {str(r.inputs["name"]) for r in resources if r.type == "aws:iam/role:Role"}
    return [_arn("iam", "", account, f"role/{name}") for name in sorted(names)
            if name.endswith(("-execution", "-task"))]


def test_every_aws_resource_the_program_declares_can_be_created_read_and_deleted(
        stack: tuple[list[Registered], str, str]) -> None:
    resources, region, account = stack
    aws = [r for r in resources if r.type.startswith("aws:")]
    assert {r.type for r in aws} <= set(NEEDED), (
        "a new AWS resource type: list the actions pulumi up needs for it in NEEDED and "
        "grant them in docs/deployer-policy.json")
    for resource in aws:
        actions, arn_of = NEEDED[resource.type]
        arn = arn_of(resource, region, account)
        missing = [action for action in actions if not _allows(action, arn)]
        assert missing == [], f"{resource.urn} ({arn}) needs {missing}"


def test_the_task_definitions_roles_may_be_passed_to_ecs_only(
        stack: tuple[list[Registered], str, str]) -> None:
    resources, _, account = stack
    arns = _role_arns(resources, account)
    assert len(arns) == 2
    for arn in arns:
        assert _allows("iam:PassRole", arn, PASSED_TO)
        assert not _allows("iam:PassRole", arn, "lambda.amazonaws.com")


def test_the_data_sources_it_reads_are_allowed() -> None:
    for action in READS.values():
        assert _allows(action, "*")


@pytest.mark.parametrize(("action", "resource"), [
    ("iam:CreateRole", "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"),
    ("iam:PutRolePolicy", "arn:aws:iam::111111111111:role/billing-app"),
    ("iam:PassRole", "arn:aws:iam::111111111111:role/billing-app"),
    ("iam:CreateUser", "arn:aws:iam::111111111111:user/admin-tasks-x"),
    ("iam:AttachRolePolicy", "arn:aws:iam::111111111111:role/admin-tasks-prod-github"),
    ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:111111111111:secret:"
                                      "admin-tasks/prod/database-AbCdEf"),
    ("secretsmanager:CreateSecret", "arn:aws:secretsmanager:eu-west-1:111111111111:secret:"
                                    "billing/stripe-AbCdEf"),
    ("logs:DeleteLogGroup", "arn:aws:logs:eu-west-1:111111111111:log-group:/ecs/billing"),
    ("ecs:RunTask", "*"),
    ("ecs:CreateCluster", "*"),
])
def test_nothing_outside_the_projects_names_or_needs_is_granted(action: str,
                                                                resource: str) -> None:
    """The deployer can neither read a secret's value nor touch another role, secret or
    log group, nor start tasks (only the reviewed workflow does)."""
    assert not _allows(action, resource)


def test_the_document_is_a_policy_iam_accepts_in_size() -> None:
    text = json.dumps(POLICY, separators=(",", ":"))
    assert POLICY["Version"] == "2012-10-17"
    assert len(text) <= 6144  # a customer managed policy's limit
    assert all(statement.get("Sid") for statement in POLICY["Statement"])
