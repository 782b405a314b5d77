"""`AdminTasks`, the component: this project's stacks keep every URN, and a team's own
program (its providers, its tags) gets the same resources as this project's stack."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from infra.admin_tasks import AdminTasksArgs, config_keys
from infra.config import KNOWN_KEYS
from tests.infra.harness import ROOT, STACKS, Registered, StackRun, run_program, run_stack, stack_config
from tests.infra.platform_program import TEAM_TAGS, platform_program, staging_args

COMPONENT = "admin-tasks:index:AdminTasks"
# The engine leaves the root stack's type out of its children's URNs; the mock monitor
# keeps it. The URNs recorded before the component (tests/infra/urns/) are the mock's.
ROOT_PARENT = "pulumi:pulumi:Stack$"


def _engine_urn(urn: str) -> str:
    return urn.replace(f"::{ROOT_PARENT}", "::")


def _before(stack: str) -> set[str]:
    text = (ROOT / "tests" / "infra" / "urns" / f"{stack}.txt").read_text(encoding="utf-8")
    return {_engine_urn(urn) for urn in text.split()}


@pytest.mark.parametrize("stack", STACKS)
def test_a_deployed_stack_keeps_every_resource_under_the_component(stack: str) -> None:
    """Each resource of a stack deployed before the component is still there, at its URN
    or through an alias: `pulumi up` moves it under AdminTasks and replaces nothing."""
    before = _before(stack)
    run = run_stack(stack_config(stack), stack)
    claimed: dict[str, set[str]] = {}
    for resource in run.resources:
        names = {_engine_urn(resource.urn)} | {_engine_urn(u) for u in
                                               run.previous_urns[resource.urn]}
        claimed[resource.urn] = names & before
    new = [urn for urn, old in claimed.items() if not old]
    assert [urn.rsplit("::", 2)[1] for urn in new] == [f"{ROOT_PARENT}{COMPONENT}"]
    assert all(len(old) == 1 for urn, old in claimed.items() if urn not in new), claimed
    assert set().union(*claimed.values()) == before


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
    assert {p.split("::")[-2] for p in platform.call_providers} == {"platform-github"}
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
