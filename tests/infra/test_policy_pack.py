"""The policy pack as `pulumi preview --policy-pack infra/policy` runs it.

The pack is started in a subprocess (importing it would start the analyzer server in the
test process) and spoken to over Pulumi's analyzer gRPC protocol, as the engine does.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from infra.policy.guardrails import GUARDRAILS, STACK_GUARDRAILS
from tests.infra.access_misedits import ACCESS_MISEDITS
from tests.infra.harness import ROOT, StackRun, run_program, run_stack, stack_config
from tests.infra.misedits import root_trusting_launcher
from tests.infra.platform_program import platform_program


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    pack = subprocess.Popen([sys.executable, "__main__.py"], cwd=ROOT / "infra" / "policy",
                            stdout=subprocess.PIPE, text=True)
    try:
        assert pack.stdout is not None
        port = pack.stdout.readline().strip()  # the pack prints its port, as Pulumi expects
        assert port.isdigit(), f"the pack printed {port!r} instead of its port"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        pack.terminate()
        pack.wait(timeout=10)


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(props)
    return struct


def test_the_pack_declares_every_guardrail(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    names = {policy.name for policy in info.policies}
    assert {guardrail.name for guardrail in (*GUARDRAILS, *STACK_GUARDRAILS)} <= names
    assert {"task-role-without-permissions", "launcher-role-only-launches",
            "no-other-launcher", "no-user-or-group-launcher", "secret-readers",
            "production-github-environment"} <= names


def test_the_pack_blocks_a_short_prod_retention(
        analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    urn = "urn:pulumi:prod::admin-tasks::aws:cloudwatch/logGroup:LogGroup::logs"
    response = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
        type="aws:cloudwatch/logGroup:LogGroup", urn=urn, name="logs",
        properties=_struct({"name": "/admin-tasks/prod", "retentionInDays": 7})))
    assert [(d.policyName, "needs at least 365" in d.message) for d in response.diagnostics] \
        == [("audit-log-retention", True)]


def test_the_pack_blocks_a_short_retention_tagged_production(
        analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """`production: true` in stack config reaches the pack as a tag, whatever the name."""
    urn = "urn:pulumi:live::admin-tasks::aws:cloudwatch/logGroup:LogGroup::logs"
    response = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
        type="aws:cloudwatch/logGroup:LogGroup", urn=urn, name="logs",
        properties=_struct({"name": "/admin-tasks/live", "retentionInDays": 30, "tags": {
            "admin-tasks:environment": "live", "admin-tasks:production": "true"}})))
    assert [(d.policyName, "needs at least 365" in d.message) for d in response.diagnostics] \
        == [("audit-log-retention", True)]


def _resources(run: StackRun) -> list[analyzer_pb2.AnalyzerResource]:
    return [analyzer_pb2.AnalyzerResource(type=r.type, urn=r.urn, name=r.name,
                                          properties=_struct(r.inputs))
            for r in run.resources]


def test_the_pack_blocks_a_managed_policy_on_the_launcher_role(
        analyzer: analyzer_pb2_grpc.AnalyzerStub, stack_run: StackRun) -> None:
    role = next(r for r in stack_run.resources if r.name == "github-oidc-role")
    attachment = analyzer_pb2.AnalyzerResource(
        type="aws:iam/rolePolicyAttachment:RolePolicyAttachment", name="admin",
        urn="urn:pulumi:x::admin-tasks::aws:iam/rolePolicyAttachment:RolePolicyAttachment::admin",
        properties=_struct({"role": role.inputs["name"],
                            "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}))
    stack = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(
        resources=[*_resources(stack_run), attachment]))
    # Reported against the attachment, as a resource policy would report it.
    assert ("launcher-role-only-launches", attachment.urn) in {
        (d.policyName, d.urn) for d in stack.diagnostics}


def test_the_pack_blocks_a_role_trusting_the_account_root_that_may_launch(
        analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """Reported against each resource: the role's trust, and the policy that launches."""
    run = run_stack(stack_config("staging"), "staging", extra=root_trusting_launcher)
    role, policy = (next(r for r in run.resources if r.name == name)
                    for name in ("ops-runner", "ops-runner-launch"))
    response = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
        type=role.type, urn=role.urn, name=role.name, properties=_struct(role.inputs)))
    assert [d.policyName for d in response.diagnostics] == ["github-oidc-trust"], role.urn
    stack = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=_resources(run)))
    assert [(d.policyName, d.urn) for d in stack.diagnostics] == [
        ("no-other-launcher", policy.urn)]


def test_the_pack_blocks_a_secret_shared_with_another_accounts_execution_role(
        analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """A stack policy: only the whole stack tells this stack's execution role's account."""
    misedit = ACCESS_MISEDITS["the database secret is shared with an execution role of the "
                              "same name in another account"]
    run = run_stack(stack_config("staging"), "staging", extra=misedit.register)
    shared = next(r for r in run.resources if r.name == "share-database")
    stack = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=_resources(run)))
    assert [(d.policyName, d.urn) for d in stack.diagnostics] == [("secret-readers", shared.urn)]


def _assert_passes(analyzer: analyzer_pb2_grpc.AnalyzerStub, run: StackRun) -> None:
    """No diagnostic, resource by resource and for the whole stack."""
    resources = _resources(run)
    for resource in resources:
        response = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
            type=resource.type, urn=resource.urn, name=resource.name,
            properties=resource.properties))
        assert [d.message for d in response.diagnostics] == [], resource.urn
    stack = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources))
    assert [d.message for d in stack.diagnostics] == []


def test_the_stacks_resources_pass_the_pack(analyzer: analyzer_pb2_grpc.AnalyzerStub,
                                           stack_run: StackRun) -> None:
    _assert_passes(analyzer, stack_run)


def test_a_program_using_the_component_passes_the_pack(
        analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """The pack is unchanged for a team's own program: its providers, names and tags."""
    run = run_program(platform_program, {}, "billing-staging", project="platform")
    assert len(run.resources) == 33
    _assert_passes(analyzer, run)


def test_the_pack_still_blocks_a_mis_edit_in_a_program_using_the_component(
        analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """The team's program attaches AdministratorAccess to the launcher role it got."""
    run = run_program(platform_program, {}, "billing-staging", project="platform")
    role = next(r for r in run.resources if r.name == "github-oidc-role")
    attachment = analyzer_pb2.AnalyzerResource(
        type="aws:iam/rolePolicyAttachment:RolePolicyAttachment", name="admin",
        urn="urn:pulumi:billing-staging::platform::aws:iam/rolePolicyAttachment:"
            "RolePolicyAttachment::admin",
        properties=_struct({"role": role.inputs["name"],
                            "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}))
    stack = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(
        resources=[*_resources(run), attachment]))
    assert ("launcher-role-only-launches", attachment.urn) in {
        (d.policyName, d.urn) for d in stack.diagnostics}
