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

from infra.policy.guardrails import GUARDRAILS
from tests.infra.harness import ROOT, StackRun


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
    assert {guardrail.name for guardrail in GUARDRAILS} <= names


def test_the_pack_blocks_a_short_prod_retention(
        analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    urn = "urn:pulumi:prod::admin-tasks::aws:cloudwatch/logGroup:LogGroup::logs"
    response = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
        type="aws:cloudwatch/logGroup:LogGroup", urn=urn, name="logs",
        properties=_struct({"name": "/admin-tasks/prod", "retentionInDays": 7})))
    assert [(d.policyName, "needs at least 365" in d.message) for d in response.diagnostics] \
        == [("audit-log-retention", True)]


def test_the_stacks_resources_pass_the_pack(analyzer: analyzer_pb2_grpc.AnalyzerStub,
                                           stack_run: StackRun) -> None:
    resources = [analyzer_pb2.AnalyzerResource(type=r.type, urn=r.urn, name=r.name,
                                               properties=_struct(r.inputs))
                 for r in stack_run.resources]
    for resource in resources:
        response = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
            type=resource.type, urn=resource.urn, name=resource.name,
            properties=resource.properties))
        assert [d.message for d in response.diagnostics] == [], resource.urn
    stack = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources))
    assert [d.message for d in stack.diagnostics] == []
