"""Launcher fixtures: a mocked AWS account with the stack's resources, a fake clock,
and a way to run ``python -m tasks`` in-process and read exactly what it printed."""

from __future__ import annotations

import copy
import functools
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ecs.models import EC2ContainerServiceBackend, ecs_backends
from moto.logs.models import logs_backends
from moto.moto_api import state_manager

from infra.launch import task_entry
from infra.render_settings import stack_file_config
from infra.task_specs import TaskSpec
from tasks import cli
from tasks.contract.app_tasks import parse_app_tasks
from tasks.contract.catalog import CATALOG, task_names
from tasks.contract.outcome import bound_to_run
from tasks.contract.run_record import PREPARE_CONTAINER, RECORD_CONTAINER
from tasks.contract.tenants import parse_tenant_source
from tasks.launcher import commands
from tasks.launcher.aws import Clients, make_clients
from tasks.launcher.results import OUTCOMES
from tasks.launcher.summary import result_line_from
from tests.launcher.fake_github import FakeGithub, review, serve

REGION = "eu-west-1"
ENVIRONMENT = "staging"
LOG_GROUP = "/admin-tasks/staging"
START = datetime(2026, 11, 21, 0, 0, 0, tzinfo=UTC)
# One session for every test: loading the service models once saves ~0.2 s per client.
SESSION = boto3.session.Session()
GITHUB = {"GITHUB_ACTOR": "alice", "GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "1",
          "GITHUB_REPOSITORY": "acme/app"}


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


class FakeClock:
    """Time moves only when the launcher sleeps; ``at(n, action)`` runs before sleep n ends."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.sleeps: list[float] = []
        self._script: dict[int, list[Callable[[], None]]] = {}
        self._timed: list[tuple[float, Callable[[], None]]] = []
        self._lock = threading.Lock()  # a tenant run's watch threads share the clock

    def at(self, sleep_number: int, action: Callable[[], None]) -> None:
        self._script.setdefault(sleep_number, []).append(action)

    def after(self, seconds: float, action: Callable[[], None]) -> None:
        """Run ``action`` during the first sleep that reaches ``seconds`` of elapsed time."""
        self._timed.append((seconds, action))

    def now(self) -> datetime:
        return START + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float, wake: Any) -> None:
        with self._lock:  # each action runs once, in the one thread that took it
            self.sleeps.append(seconds)
            actions = self._script.pop(len(self.sleeps), [])
            due = [entry for entry in self._timed if entry[0] <= self.elapsed + seconds]
            for entry in due:
                self._timed.remove(entry)
        for action in actions + [entry[1] for entry in due]:
            action()
        if not wake.is_set():
            self.elapsed += seconds


@dataclass
class World:
    """The mocked account: what the stack would have created, plus handles on moto."""

    settings: dict[str, Any]
    ecs: Any
    logs: Any
    calls: list[str] = field(default_factory=list)
    clients_made: list[Clients] = field(default_factory=list)
    last_timestamp: int = 0
    # Held while a test ends a task and while DescribeTasks reads one: ECS reports a
    # task's status and its containers' exit codes from one moment, never half-updated.
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def backend(self) -> Any:
        return ecs_backends[DEFAULT_ACCOUNT_ID][REGION]

    def tasks(self) -> list[Any]:
        found = [task for tasks in self.backend.tasks.values() for task in tasks.values()]
        for task in found:
            self._every_container(task)
        return found

    def _every_container(self, task: Any) -> None:
        """moto models only a definition's first container: give the task one per
        container definition, as ECS does."""
        definitions = self.backend.describe_task_definition(
            task.task_definition_arn).container_definitions
        if [c.name for c in task.containers] == [d["name"] for d in definitions]:
            return
        first = task.containers[0]
        task.containers = []
        for definition in definitions:
            container = copy.copy(first)
            container.name, container.image = definition["name"], definition["image"]
            task.containers.append(container)

    def task(self) -> Any:
        (only,) = self.tasks()
        return only

    def set_status(self, status: str) -> None:
        self.task().last_status = status

    def stop(self, exit_code: int | None = 0, stop_code: str = "EssentialContainerExited",
             reason: str = "Essential container in task exited",
             container_reason: str | None = None) -> None:
        self.end(self.task(), exit_code, stop_code, reason, container_reason)

    def end(self, task: Any, exit_code: int | None, stop_code: str = "EssentialContainerExited",
            reason: str = "Essential container in task exited",
            container_reason: str | None = None) -> None:
        """``task`` stops with ``exit_code``, seen whole by any DescribeTasks."""
        with self.lock:
            task.last_status = "STOPPED"
            task.desired_status = "STOPPED"
            task.stop_code, task.stopped_reason = stop_code, reason
            for container in task.containers:  # an application's recorder passes its code on
                if container.name != PREPARE_CONTAINER:
                    container.exitCode = exit_code
                    container.reason = container_reason

    def reporting(self) -> Any:
        """The container whose lines and exit code are the run's (an application task's
        recorder, else the task's own)."""
        containers = {c.name: c for c in self.task().containers}
        return containers.get(RECORD_CONTAINER) or next(
            c for name, c in containers.items() if name != PREPARE_CONTAINER)

    def log_stream(self, container: str | None = None) -> str:
        task = self.task()
        return f"admin-tasks/{container or self.reporting().name}/{task.id}"

    def overrides_of(self, container: str | None = None) -> dict[str, str]:
        """The environment overrides RunTask gave ``container`` (default: the reporting one)."""
        name = container or self.reporting().name
        (override,) = [o for o in self.task().overrides.get("containerOverrides", [])
                       if o["name"] == name]
        return {item["name"]: item["value"] for item in override.get("environment", [])}

    def bound(self, line: str) -> str:
        """``line`` as the task package writes it (tasks.contract.outcome.bound_to_run): a
        result line carries the run id and result key the launcher sent this task."""
        parsed = result_line_from(line)
        return line if parsed is None else json.dumps(bound_to_run(parsed, self.overrides_of()))

    def write_logs(self, lines: list[str], *, bind: bool = True,
                   container: str | None = None) -> None:
        """Write ``lines`` to a container's stream (default: the reporting container's);
        ``bind``: its result lines bound to the run (as the task package writes them; a
        line that is not bound is not taken)."""
        lines = [self.bound(line) for line in lines] if bind else lines
        stream = self.log_stream(container)
        existing = self.logs.describe_log_streams(logGroupName=LOG_GROUP,
                                                  logStreamNamePrefix=stream)["logStreams"]
        if not existing:
            self.logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
        # moto orders a stream by timestamp: keep them increasing across calls.
        first = max(self.last_timestamp + 1, int(time.time() * 1000))
        self.last_timestamp = first + len(lines) - 1
        for start in range(0, len(lines), 1000):
            self.logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=stream, logEvents=[
                {"timestamp": first + start + offset, "message": line}
                for offset, line in enumerate(lines[start:start + 1000])])

    def record_calls(self, region: str) -> Clients:
        clients = make_clients(region, SESSION)
        for client in (clients.ecs, clients.logs):
            client.meta.events.register(
                "before-call", lambda model, **_: self.calls.append(model.name))
        # Every container of a task exists from its start, as in ECS (not only moto's first).
        clients.ecs.meta.events.register("after-call.ecs.RunTask", lambda **_: self.tasks())
        self.clients_made.append(clients)
        return clients


def stub_task_definition(stubber: Any, task: str = "seed-admin") -> None:
    """Queue on a Stubber the DescribeTaskDefinition answer the launcher reads before
    RunTask: the deployed definition, as moto holds it."""
    ecs = SESSION.client("ecs", region_name=REGION)
    family = f"admin-tasks-{ENVIRONMENT}-{task}"
    described = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    stubber.add_response("describe_task_definition", {"taskDefinition": described},
                         {"taskDefinition": family})


def create_network() -> dict[str, Any]:
    """The VPC part of the settings: a subnet and a security group."""
    ec2 = SESSION.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # moto's awsvpc ENIs need DNS hostnames on the VPC.
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="admin-tasks", Description="admin tasks",
                                      VpcId=vpc)["GroupId"]
    return {"subnets": [subnet], "securityGroups": [group]}


#: Pulumi.staging.yaml's config, read once per process (each test's account is built from it).
STAGING = stack_file_config("staging")
TENANTS = parse_tenant_source({**STAGING["admin-tasks:tenants"],
                               "maxParallelTasks": STAGING["admin-tasks:maxParallelTasks"]})


@functools.cache
def deployed_tasks() -> tuple[TaskSpec, ...]:
    """What the staging stack deploys: every built-in task and its application tasks."""
    declared = STAGING["admin-tasks:appTasks"]
    return (*map(TaskSpec.built_in, CATALOG),
            *map(TaskSpec.application, parse_app_tasks(declared, task_names())))


def _containers(task: TaskSpec, image: str, tasks_image: str) -> list[dict[str, Any]]:
    """The containers of the task's definition, by name and image, in the program's order
    (infra/containers.py: task_containers)."""
    names = [(PREPARE_CONTAINER, tasks_image)]
    names += [(RECORD_CONTAINER, tasks_image)] if task.image == "app" else []
    return [{"name": name, "image": ref, "essential": name != PREPARE_CONTAINER,
             "memory": 512} for name, ref in [*names, (task.name, image)]]


def create_stack_resources(network: dict[str, Any]) -> dict[str, Any]:
    """Cluster, one task definition per deployed task, the log group: the settings, built
    as the stack builds them, put straight into moto's backends (what its CreateCluster,
    RegisterTaskDefinition and CreateLogGroup handlers call, without the API round trips);
    the launcher's own calls go through botocore."""
    ecs = ecs_backends[DEFAULT_ACCOUNT_ID][REGION]
    cluster = ecs.create_cluster("app-staging").arn
    tasks = {}
    for task in deployed_tasks():
        image = STAGING["admin-tasks:tasksImage" if task.image == "tasks" else "admin-tasks:appImage"]
        tasks[task.name] = task_entry(ENVIRONMENT, task, image, TENANTS)
        ecs.register_task_definition(
            tasks[task.name]["taskDefinition"],
            _containers(task, image, STAGING["admin-tasks:tasksImage"]),
            network_mode="awsvpc", requires_compatibilities=["FARGATE"], cpu="256", memory="512")
    logs_backends[DEFAULT_ACCOUNT_ID][REGION].create_log_group(LOG_GROUP, tags={})
    return {"environment": ENVIRONMENT, "region": REGION, "cluster": cluster,
            **network, "assignPublicIp": False, "logGroup": LOG_GROUP, "requireApproval": True,
            "requiredApprovals": 1,
            "tasks": tasks}


def reset_account(network: dict[str, Any]) -> dict[str, Any]:
    """Empty ECS and CloudWatch Logs backends holding only the stack's resources; the
    launch settings. Tasks stay where the caller puts them instead of advancing on every
    describe (undo with ``state_manager.unset_transition("ecs::task")``)."""
    ecs_backends[DEFAULT_ACCOUNT_ID][REGION].reset()
    logs_backends[DEFAULT_ACCOUNT_ID][REGION].reset()
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})
    return create_stack_resources(network)


@pytest.fixture
def github_api() -> Iterator[FakeGithub]:
    """GitHub's approvals endpoint on 127.0.0.1 (GITHUB_API_URL), approving by default as
    `bob` for staging; see ``in_github`` for the variables a workflow job has."""
    for fake in serve():
        fake.approvals(review("bob", "staging", comment="looks right"))
        yield fake


def in_github(github_api: FakeGithub) -> dict[str, str]:
    """The variables the launcher sees in a GitHub Actions job."""
    return {"GITHUB_ACTIONS": "true", "GITHUB_API_URL": github_api.url,
            "GITHUB_TOKEN": "ghs_test_token"}


@pytest.fixture(scope="package")
def mocked_network() -> Iterator[dict[str, Any]]:
    """One mocked account for the package (starting and resetting moto is the slow part)."""
    with mock_aws():
        yield create_network()


@pytest.fixture
def world(mocked_network: dict[str, Any]) -> Iterator[World]:
    """A fresh ECS and CloudWatch Logs for each test, in the package's mocked account."""
    try:
        settings = reset_account(mocked_network)
        world = World(settings=settings, ecs=SESSION.client("ecs", region_name=REGION),
                      logs=SESSION.client("logs", region_name=REGION))
        with pytest.MonkeyPatch.context() as patch:
            # On the class: a test that resets the account replaces the backend's state.
            patch.setattr(EC2ContainerServiceBackend, "describe_tasks", _described_at_one_moment(
                world, EC2ContainerServiceBackend.describe_tasks))
            yield world
    finally:
        state_manager.unset_transition("ecs::task")


def _described_at_one_moment(world: World, describe: Callable[..., list[Any]]
                             ) -> Callable[..., list[Any]]:
    """moto serialises DescribeTasks from the live objects after its backend returns:
    hand it copies taken under :attr:`World.lock` instead."""
    def described(backend: Any, cluster: str, tasks: list[str]) -> list[Any]:
        with world.lock:
            found = describe(backend, cluster, tasks)
            snapshots = []
            for task in found:
                task.status  # noqa: B018  (moto's state progression, on the task itself)
                snapshot = copy.copy(task)
                snapshot.containers = [copy.copy(c) for c in task.containers]
                snapshots.append(snapshot)
            return snapshots
    return described


@dataclass
class Launch:
    """What one launcher invocation showed the operator."""

    exit_code: int
    lines: list[str]
    stderr: str

    @property
    def operator_lines(self) -> list[str]:
        """stdout without the launcher's own closing JSON result line."""
        return self.lines[:-1]

    @property
    def result(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.lines[-1])
        return parsed


@dataclass
class Launcher:
    """Runs ``python -m tasks`` in-process against the mocked account and the fake clock."""

    world: World
    clock: FakeClock
    capsys: pytest.CaptureFixture[str]
    log_page_size: int | None = None

    def runtime(self) -> commands.Runtime:
        return commands.Runtime(clients=self.world.record_calls, clock=self.clock,
                                out=sys.stdout, log_page_size=self.log_page_size)

    def __call__(self, *argv: str, **environ: str) -> Launch:
        self.capsys.readouterr()
        env = {**GITHUB, "ADMIN_TASKS_SETTINGS": json.dumps(self.world.settings), **environ}
        code = cli.main(list(argv), {k: v for k, v in env.items() if v != ""})
        captured = self.capsys.readouterr()
        launch = Launch(code, captured.out.splitlines(), captured.err)
        check_outcome(launch)
        return launch


def check_outcome(launch: Launch) -> None:
    """Every run of every test ends with a documented outcome and that outcome's exit code."""
    outcomes = {outcome.name: outcome.exit_code for outcome in OUTCOMES}
    name = launch.result["outcome"]
    assert name in outcomes, f"undocumented outcome {name!r}: add it to tasks/launcher/results.py"
    expected = outcomes[name]
    assert launch.exit_code == expected if expected is not None else launch.exit_code != 0
    assert launch.result["ok"] is (launch.exit_code == 0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def launch(world: World, clock: FakeClock, capsys: pytest.CaptureFixture[str],
           monkeypatch: pytest.MonkeyPatch) -> Launcher:
    launcher = Launcher(world, clock, capsys)
    monkeypatch.setattr(commands, "default_runtime", launcher.runtime)
    return launcher
