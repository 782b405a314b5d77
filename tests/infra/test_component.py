"""`AdminTasks`, the component: this project's stacks keep every URN, and a team's own
program (its providers, its tags) gets the same resources as this project's stack."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pytest

from infra.admin_tasks import AdminTasks, AdminTasksArgs, config_keys
from infra.config import KNOWN_KEYS, parse_config
from infra.placement import PlacementError
from tests.infra.engine_urns import EngineUrns
from tests.infra.harness import (
    ROOT,
    STACKS,
    Registered,
    StackRun,
    as_runtime_strings,
    run_program,
    run_stack,
    stack_config,
)
from tests.infra.platform_program import TEAM_TAGS, platform_program, staging_args

COMPONENT = "admin-tasks:index:AdminTasks"
# The URNs recorded before the component (tests/infra/urns/) are the mock monitor's: with
# at most two levels then, they are the engine's once the root stack's type is left out.
ROOT_PARENT = "pulumi:pulumi:Stack$"


def _before(stack: str) -> set[str]:
    text = (ROOT / "tests" / "infra" / "urns" / f"{stack}.txt").read_text(encoding="utf-8")
    return {urn.replace(f"::{ROOT_PARENT}", "::") for urn in text.split()}


@pytest.mark.parametrize("stack", STACKS)
def test_a_deployed_stack_keeps_every_resource_under_the_component(stack: str) -> None:
    """Each resource of a stack deployed before the component is still there, at its URN
    or through an alias: `pulumi up` moves it under AdminTasks and replaces nothing."""
    before = _before(stack)
    run = run_stack(stack_config(stack), stack)
    engine = EngineUrns(run.registrations)
    claimed = {resource.urn: ({engine.urn(resource.urn)} | engine.aliases(resource.urn)) & before
               for resource in run.resources}
    new = [urn for urn, old in claimed.items() if not old]
    # Added, not moved: the component, and the environments of further required approvals.
    required = json.loads(run.outputs["launchSettings"])["requiredApprovals"]
    added = {f"github-environment-approval-{n}-{part}" for n in range(2, required + 1)
             for part in ("environment", "main-only")}
    assert {urn.rsplit("::", 1)[1] for urn in new} == {"admin-tasks", *added}
    assert all(len(old) == 1 for urn, old in claimed.items() if urn not in new), claimed
    assert set().union(*claimed.values()) == before
    # Grandchildren moved too: their engine URNs now carry the component's type.
    moved = [r for r in run.resources if r.type == "aws:iam/role:Role"]
    assert moved and all(f"{COMPONENT}$admin-tasks:infra:" in engine.urn(r.urn) for r in moved)


def test_every_stack_config_key_is_an_argument() -> None:
    keys = set(config_keys().values())
    assert keys == {"aws:region", *(f"admin-tasks:{key}" for key in KNOWN_KEYS)}


def test_a_stack_file_and_its_arguments_say_the_same() -> None:
    config = stack_config("staging")
    args = AdminTasksArgs.from_config(config)
    assert args.to_config() == config
    assert staging_args(tags={}).to_config() == config  # tuples and lists alike


@pytest.fixture(scope="module")
def platform() -> StackRun:
    return run_program(platform_program, {}, "billing-staging", project="platform")


@pytest.fixture(scope="module")
def own_stack() -> StackRun:
    return run_stack(stack_config("staging"), "staging")


def _declared(run: StackRun) -> dict[tuple[str, str], dict[str, Any]]:
    """Every resource but providers and the component, with the team's tags taken out."""
    found = {}
    for resource in run.resources:
        if resource.type.startswith("pulumi:providers:") or resource.type == COMPONENT:
            continue
        inputs = dict(resource.inputs)
        if "tags" in inputs:
            inputs["tags"] = {k: v for k, v in inputs["tags"].items() if k not in TEAM_TAGS}
        found[(resource.type, resource.name)] = inputs
    return found


def test_a_program_of_its_own_gets_the_same_resources(platform: StackRun,
                                                     own_stack: StackRun) -> None:
    assert _declared(platform) == _declared(own_stack)
    assert platform.outputs["adminSettings"] == own_stack.outputs["launchSettings"]
    assert platform.outputs["adminEnvironment"] == "staging"


def test_every_resource_is_a_child_of_the_component(platform: StackRun) -> None:
    """parent=self on every child: nothing of admin-tasks lands beside the program's own."""
    (component,) = platform.of_type(COMPONENT)
    own = {"platform-aws", "platform-github", component.name}
    declared = [r for r in platform.resources if r.name not in own]
    assert len(declared) == 30
    assert [r.urn for r in declared if component.urn not in platform.ancestors(r.urn)] == []


def _provider_of(resource: Registered) -> str:
    return resource.provider.split("::")[-2] if resource.provider else "the default provider"


def test_the_programs_own_providers_and_tags_reach_every_resource(platform: StackRun) -> None:
    custom = [r for r in platform.resources if r.type.split(":")[0] in ("aws", "github")]
    assert {(r.type.split(":")[0], _provider_of(r)) for r in custom} == {
        ("aws", "platform-aws"), ("github", "platform-github")}
    assert set(platform.invoke_providers("github")) == {"platform-github"}
    assert set(platform.invoke_providers("aws")) == {"platform-aws"}
    tagged = [r for r in custom if "tags" in r.inputs]
    assert tagged and all(TEAM_TAGS.items() <= r.inputs["tags"].items() for r in tagged)
    assert not platform.of_type("pulumi:providers:github")[1:], "a second GitHub provider"


@pytest.mark.parametrize(("tags", "fragment"), [
    ({"admin-tasks:production": "false"}, "is reserved"),
    ({"Environment": "prod"}, "is reserved"),
    ({"aws:cloudformation:stack-name": "x"}, "is reserved"),
    ({"team": "x" * 257}, "values at most 256"),
    ({"": "x"}, "keys are 1-128"),
])
def test_a_tag_the_component_owns_or_aws_refuses_is_an_error(tags: dict[str, str],
                                                              fragment: str) -> None:
    registered: list[Registered] = []
    with pytest.raises(pulumi.RunError, match=fragment):
        run_program(lambda: platform_program(staging_args(tags=tags)), {}, "billing-staging",
                     project="platform", registered=registered)
    assert {r.type for r in registered} <= {"pulumi:providers:aws", "pulumi:providers:github"}


def test_an_argument_gets_the_stack_configs_validation_and_message() -> None:
    registered: list[Registered] = []
    with pytest.raises(pulumi.RunError, match=r"admin-tasks:containerUser is root .*Fix:"):
        run_program(lambda: platform_program(staging_args(container_user="0")), {},
                    "billing-staging", project="platform", registered=registered)
    assert {r.type for r in registered} <= {"pulumi:providers:aws", "pulumi:providers:github"}


@pytest.mark.parametrize("field", ["cluster_arn", "subnets", "reviewers"])
def test_an_output_as_an_argument_is_refused_by_name(field: str) -> None:
    """A team passes its cluster's `arn` (an Output): the component says which argument
    and why, before anything of it is registered."""
    def outputs() -> AdminTasksArgs:
        arn = pulumi.Output.from_input("arn:aws:ecs:eu-west-1:111111111111:cluster/app")
        value: Any = {"cluster_arn": arn, "subnets": [arn],
                      "reviewers": {"users": [arn]}}[field]
        return staging_args(**{field: value})

    registered: list[Registered] = []
    with pytest.raises(pulumi.RunError, match=rf"AdminTasksArgs\.{field} holds a pulumi Output"):
        run_program(lambda: platform_program(outputs()), {}, "billing-staging",
                    project="platform", registered=registered)
    assert {r.type for r in registered} <= {"pulumi:providers:aws", "pulumi:providers:github"}


def test_an_unknown_stack_config_key_is_still_an_error() -> None:
    config = {**stack_config("staging"), "admin-tasks:containerUsr": "10001"}
    with pytest.raises(pulumi.RunError, match=r"containerUsr is not a known key.*containerUser"):
        run_stack(config, "staging")


def test_the_documented_instantiation_runs_as_written() -> None:
    """docs/DEPLOYING.md's program, with the providers a team's program would have."""
    text = (ROOT / "docs" / "DEPLOYING.md").read_text(encoding="utf-8")
    section = text.split("## Inside an existing Pulumi program", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]

    def program() -> dict[str, Any]:
        import pulumi_aws as aws
        import pulumi_github as github

        namespace: dict[str, Any] = {
            "aws_provider": aws.Provider("platform-aws", region="eu-west-1"),
            "github_provider": github.Provider("platform-github", owner="acme-corp")}
        exec(compile(code, "DEPLOYING.md", "exec"), namespace)
        return {"launchSettings": namespace["admin"].launch_settings}

    run = run_program(program, {}, "staging", project="platform")
    assert run.of_type("aws:ecs/taskDefinition:TaskDefinition")
    assert '"environment": "staging"' in run.outputs["launchSettings"]


def test_without_ids_the_lookups_go_to_the_programs_github_provider() -> None:
    run = run_program(lambda: platform_program(staging_args(
        github_owner_id=None, github_repository_id=None)), {}, "billing-staging",
        project="platform")
    lookups = [t.rsplit(":", 1)[1] for t in run.calls if t.startswith("github:")]
    assert {"getUser", "getRepository", "getTeam"} <= set(lookups)
    assert set(run.invoke_providers("github")) == {"platform-github"}


def test_stack_config_as_the_runtime_hands_it_over_reads_the_same() -> None:
    """Pulumi hands a program strings (objects JSON-encoded): the same config either way."""
    config = stack_config("prod")
    from_strings = AdminTasksArgs.from_config(as_runtime_strings(config)).to_config()
    assert parse_config(from_strings, "prod") == parse_config(config, "prod")


@pytest.mark.parametrize(("providers", "fragment"), [
    ({"github": {"owner": "evil-org"}},
     "the GitHub provider acts for owner 'evil-org', but githubOwner is 'acme-corp'"),
    ({"github": {}}, "the GitHub provider acts for owner None"),
    ({"aws": {"region": "us-east-1"}},
     "the AWS provider creates resources in us-east-1, account 111111111111, but the "
     "arguments say eu-west-1"),
    ({"aws": {"region": "eu-west-1", "allowed_account_ids": ["999999999999"]}},
     "account 999999999999, but the arguments say eu-west-1, account 111111111111"),
], ids=["another owner", "no owner", "another region", "another account"])
def test_a_provider_that_points_elsewhere_stops_the_program(
        providers: dict[str, dict[str, Any]], fragment: str) -> None:
    """The role trusts githubOwner's repository and the settings name the region: a
    provider acting elsewhere would leave the real environment unreviewed."""
    import pulumi_aws as aws
    import pulumi_github as github

    def program() -> dict[str, Any]:
        aws_provider = aws.Provider("platform-aws", **providers.get(
            "aws", {"region": "eu-west-1"}))
        github_provider = github.Provider("platform-github", **providers.get(
            "github", {"owner": "acme-corp"}))
        admin = AdminTasks("admin-tasks", staging_args(), opts=pulumi.ResourceOptions(
            providers=[aws_provider, github_provider]))
        return {"settings": admin.launch_settings}

    with pytest.raises(PlacementError, match=re.escape(fragment)):
        run_program(program, {}, "billing-staging", project="platform")
