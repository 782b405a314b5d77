"""Run the Pulumi program under mocks and capture what it registers (test helpers).

`run_stack` installs fresh mocks and config, runs `infra.program.main` to completion,
and returns plain data (resources with their inputs, resolved outputs), so tests
assert on dictionaries instead of returning Outputs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from infra.render_settings import stack_file_config
from tests.infra.engine_urns import Registration

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("staging", "prod")
GITHUB_IDS = {"getUser": "4100{n}", "getTeam": "7700{n}"}
# Realistic ARN shapes, so the guardrail checks see what AWS would return.
ARNS = {
    "aws:iam/role:Role": "arn:aws:iam::{account}:role/{name}",
    "aws:iam/policy:Policy": "arn:aws:iam::{account}:policy/{name}",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        "arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com",
    "aws:secretsmanager/secret:Secret":
        "arn:aws:secretsmanager:{region}:{account}:secret:{name}-Ab12Cd",
    "aws:cloudwatch/logGroup:LogGroup": "arn:aws:logs:{region}:{account}:log-group:{name}",
    "aws:ecs/taskDefinition:TaskDefinition":
        "arn:aws:ecs:{region}:{account}:task-definition/{name}:1",
}


@dataclass
class Registered:
    """One resource the program registered."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    provider: str = ""


@dataclass
class CapturingMocks(pulumi.runtime.Mocks):
    """Echo inputs as outputs, invent ARNs/ids, render the GitHub lookups."""

    project: str
    stack: str
    account: str
    region: str
    resources: list[Registered] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    call_providers: list[str] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        urn = f"urn:pulumi:{self.stack}::{self.project}::{args.typ}::{args.name}"
        self.resources.append(Registered(args.typ, args.name, urn, dict(args.inputs),
                                         args.provider or ""))
        outputs = dict(args.inputs)
        physical = str(outputs.get("name") or outputs.get("family") or args.name)
        arn = ARNS.get(args.typ)
        if arn is not None:
            outputs["arn"] = arn.format(account=self.account, region=self.region, name=physical)
        # IAM roles' ids are their names; RolePolicy's `role` refers to them that way.
        return (physical if args.typ == "aws:iam/role:Role" else f"{args.name}-id"), outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        function = args.token.rsplit(":", 1)[-1]
        self.calls.append(args.token)
        self.call_providers.append(args.provider or "")
        n = sum(token.startswith("github:") for token in self.calls)  # the GitHub lookups
        if function == "getRegion":
            region = self._provider_input(args.provider, "region") or self.region
            return {"region": region, "name": region, "id": region}, []
        if function == "getCallerIdentity":
            allowed = self._provider_input(args.provider, "allowedAccountIds")
            allowed = json.loads(allowed) if isinstance(allowed, str) else allowed
            account = allowed[0] if allowed else self.account
            return {"accountId": account, "arn": f"arn:aws:iam::{account}:user/deployer",
                    "userId": "AIDAEXAMPLE", "id": account}, []
        if function == "getRepository":
            return {"repoId": 900000 + n, "fullName": args.args.get("fullName")}, []
        if function in GITHUB_IDS:
            return {"id": GITHUB_IDS[function].format(n=n)}, []
        raise AssertionError(f"unexpected invoke {args.token}: add it to the mocks")


    def _provider_input(self, reference: str | None, key: str) -> Any:
        """An input of the explicit provider an invoke names (None: the default one)."""
        if not reference:
            return None
        name = reference.split("::")[-2]
        found = [r for r in self.resources if r.type.startswith("pulumi:providers:")
                 and r.name == name]
        return found[0].inputs.get(key) if found else None


class CapturingMonitor(pulumi.runtime.mocks.MockMonitor):  # type: ignore[misc]
    """Records each registration's real URN and its dependencies (depends_on and inputs)."""

    def __init__(self, mocks: CapturingMocks) -> None:
        super().__init__(mocks)
        self.urns: dict[tuple[str, str], str] = {}
        self.dependencies: dict[str, list[str]] = {}
        self.registrations: dict[str, Registration] = {}
        self.parents: dict[str, str] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self.urns[(request.type, request.name)] = response.urn
        self.parents[response.urn] = request.parent
        self.registrations[response.urn] = Registration(
            request.type, request.name, request.parent, tuple(request.aliases))
        self.dependencies[response.urn] = [*request.dependencies, *(
            urn for deps in request.propertyDependencies.values() for urn in deps.urns)]
        return response


@dataclass
class StackRun:
    """What one program run registered and exported."""

    resources: list[Registered]
    outputs: dict[str, Any]
    calls: list[str]
    dependencies: dict[str, list[str]] = field(default_factory=dict)
    call_providers: list[str] = field(default_factory=list)
    registrations: dict[str, Registration] = field(default_factory=dict)
    """Each resource's (mock) URN → what its registration said (type, name, parent,
    aliases): :class:`tests.infra.engine_urns.EngineUrns` derives the engine's URNs."""
    parents: dict[str, str] = field(default_factory=dict)
    """Each resource's URN → its parent's URN."""

    def ancestors(self, urn: str) -> list[str]:
        found = []
        while self.parents.get(urn):
            urn = self.parents[urn]
            found.append(urn)
        return found

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def invoke_providers(self, package: str) -> list[str]:
        """The provider each invoke of ``package`` (e.g. "github") went to, by name."""
        return [provider.split("::")[-2] if provider else "default" for token, provider
                in zip(self.calls, self.call_providers, strict=True)
                if token.startswith(f"{package}:")]

    def named(self, name: str) -> Registered:
        (found,) = [r for r in self.resources if r.name == name]
        return found

    def one(self, type_: str) -> Registered:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, got {[r.urn for r in found]}"
        return found[0]


def main_container(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A task definition's own container: the built-in task's, or the application's (not
    the prepare container nor an application task's recorder)."""
    (container,) = [c for c in json.loads(inputs["containerDefinitions"])
                    if c["name"] not in ("admin_tasks_prepare", "admin_tasks_record")]
    return dict(container)


def local_containers(changes: Mapping[str, Any], family: str) -> list[dict[str, Any]]:
    """The containers of one task definition of the staging stack with ``changes``, bound
    to the local PostgreSQL, for the ECS emulation. The recorder's database binding is
    taken out of its entry point: the local servers have no TLS and trust the client, which
    a binding refuses by design (tests/test_database_binding.py shows it holding);
    DATABASE_URL stands for the injected secret."""
    config = stack_config("staging") | {"admin-tasks:databaseHost": "127.0.0.1",
                                        "admin-tasks:databasePort": 5432,
                                        "admin-tasks:databaseName": "test", **changes}
    run = run_stack(config, "staging")
    (definition,) = [d for d in run.of_type("aws:ecs/taskDefinition:TaskDefinition")
                     if d.inputs["family"] == family]
    found: list[dict[str, Any]] = json.loads(definition.inputs["containerDefinitions"])
    for container in found:
        container["entryPoint"] = [part for part in container["entryPoint"]
                                   if not part.startswith(("--database-", "--pbkdf2-"))]
        container["secrets"] = []
    return found


def stack_config(stack: str) -> dict[str, Any]:
    return stack_file_config(stack, ROOT)


def as_runtime_strings(config: Mapping[str, Any]) -> dict[str, str]:
    """What the Pulumi engine hands a program: objects JSON-encoded, scalars as text."""
    return {key: value if isinstance(value, str)
            else json.dumps(value) if isinstance(value, (dict, list))
            else str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in config.items()}


def run_stack(config: Mapping[str, Any], stack: str = "staging",
              registered: list[Registered] | None = None,
              extra: Callable[[], object] | None = None) -> StackRun:
    """Run this project's program; `registered` (if given) receives the resources even when
    it fails. `extra` registers more resources in the same program run, after the stack's
    own (a hand edit someone might add), so they get real URNs and resolved inputs."""
    from infra.program import declare

    def program() -> Mapping[str, Any]:
        exported = declare()  # what infra.program.main exports: config errors surface here
        if extra is not None:
            extra()
        return exported

    return run_program(program, config, stack, registered=registered)


def run_program(program: Callable[[], Mapping[str, Any]], config: Mapping[str, Any],
                stack: str, *, project: str = "admin-tasks",
                registered: list[Registered] | None = None) -> StackRun:
    """Run any Pulumi program (it returns its outputs) under the capturing mocks."""
    cluster = str(config.get("admin-tasks:clusterArn", "")).split(":")
    region, account = cluster[3:5] if len(cluster) > 5 else ("eu-west-1", "111111111111")
    mocks = CapturingMocks(project=project, stack=stack, account=account, region=region,
                           resources=registered if registered is not None else [])
    monitor = CapturingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False,
                             monitor=monitor)
    pulumi.runtime.set_all_config(as_runtime_strings(config))
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def run() -> pulumi.Output[None]:
        return pulumi.Output.all(**program()).apply(outputs.update)

    try:
        run()
    finally:
        pulumi.runtime.set_all_config({})
    for resource in mocks.resources:
        resource.urn = monitor.urns[(resource.type, resource.name)]
    return StackRun(mocks.resources, outputs, mocks.calls, monitor.dependencies,
                    mocks.call_providers, monitor.registrations, monitor.parents)
