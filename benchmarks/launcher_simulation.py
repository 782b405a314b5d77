"""A simulated admin task in moto, on a virtual clock, and the two ways to follow it.

Time moves only when a follower sleeps: :class:`VirtualTime` then runs every scheduled
event (a status change, a log line, another follower's poll) in time order up to the
end of the sleep. Both contenders see the same task, the same moto account and the
same clock, and their AWS calls are counted with botocore's ``before-call`` event.

- **admin-tasks**: ``python -m tasks run`` in-process (``tasks.cli.main``), its clock
  being the virtual one.
- **baseline**: botocore's own ``tasks_stopped`` waiter (its Delay and MaxAttempts
  from the service model: 6 s, 100 attempts), a log poller every 5 s beside it (one
  ``GetLogEvents`` page per poll, following ``nextForwardToken``), a final log read and
  one ``DescribeTasks`` for the exit code once the waiter returns.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import itertools
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import botocore.waiter
from botocore.exceptions import ClientError, WaiterError

from tasks import cli
from tasks.launcher import commands
from tasks.launcher.aws import Clients, make_clients
from tasks.launcher.clock import Clock
from tests.launcher.conftest import GITHUB, SESSION, START, World

BASELINE_LOG_INTERVAL = 5.0


class VirtualTime(Clock):
    """A discrete-event clock: ``sleep`` runs what is due, in order, then moves on."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, (when, next(self._order), action))

    def advance(self, seconds: float) -> None:
        target = self.seconds + seconds
        while self._events and self._events[0][0] <= target:
            when, _, action = heapq.heappop(self._events)
            self.seconds = max(self.seconds, when)
            action()
        self.seconds = target

    def now(self) -> datetime:
        return START + timedelta(seconds=self.seconds)

    def monotonic(self) -> float:
        return self.seconds

    def sleep(self, seconds: float, wake: Any = None) -> None:
        self.advance(seconds)


@dataclass(frozen=True)
class Workload:
    """When the task changes status and writes lines, relative to its RunTask."""

    stopped_at: float
    events: list[tuple[float, str]]  # (seconds after RunTask, "status X" or a log line)

    @classmethod
    def generate(cls, minutes: int, rng: random.Random) -> Workload:
        # ECS reports STOPPED 10-30 s after the container's last line (deprovisioning);
        # the jitter keeps the stop off the baseline's 6 s grid.
        stopped_at = minutes * 60 + rng.uniform(0, 6)
        last_line = stopped_at - rng.uniform(10, 30)
        events = [(0.0, "status PROVISIONING"), (10.0, "status PENDING"),
                  (25.0, "status RUNNING"), (last_line + 5, "status DEPROVISIONING")]
        moment, number = 25.0, 0
        while moment < last_line:  # bursts of 1-8 lines, ~20 s apart on average
            for _ in range(rng.randint(1, 8)):
                if moment >= last_line:
                    break
                events.append((moment, f"line {number}"))
                number += 1
                moment += rng.uniform(0.05, 1.0)
            moment += rng.expovariate(1 / 20)
        events.append((last_line, f"result {number}"))  # the task package's JSON line
        return cls(stopped_at, sorted(events))

    @property
    def lines(self) -> int:
        return sum(1 for _, what in self.events if what.startswith(("line ", "result ")))


@dataclass
class Follow:
    """What one contender did while following one task."""

    calls: Counter[str] = field(default_factory=Counter)
    printed: dict[int, float] = field(default_factory=dict)  # line number -> delay (s)
    exit_code: int | None = None
    exited_at: float = 0.0
    stopped_at: float = 0.0
    gave_up: bool = False

    def record(self, clients: Clients) -> Clients:
        for client in (clients.ecs, clients.logs):
            client.meta.events.register("before-call",
                                        lambda model, **_: self.calls.update([model.name]))
        return clients


class Recorder(io.StringIO):
    """The operator's terminal: notes when each container line was printed."""

    def __init__(self, clock: VirtualTime, follow: Follow) -> None:
        super().__init__()
        self._clock, self._follow = clock, follow

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.startswith('{"line"'):
                event = json.loads(line)
                self._follow.printed.setdefault(event["line"], self._clock.seconds - event["at"])
        return len(text)


class SimulatedTask:
    """Plays a workload into moto once RunTask has answered."""

    def __init__(self, world: World, clock: VirtualTime, workload: Workload) -> None:
        self.world, self.clock, self.workload = world, clock, workload
        self.epoch_ms = int(time.time() * 1000)
        self.started = 0.0

    def watch(self, clients: Clients) -> Clients:
        clients.ecs.meta.events.register("after-call.ecs.RunTask", self._on_run_task)
        return clients

    def _on_run_task(self, **_: Any) -> None:
        self.started = self.clock.seconds
        for offset, what in self.workload.events:
            self.clock.at(self.started + offset, lambda what=what: self._play(what))
        self.clock.at(self.started + self.workload.stopped_at, lambda: self.world.stop(exit_code=0))
        self.clock.advance(0)  # PROVISIONING before anyone describes the task

    def _play(self, what: str) -> None:
        if what.startswith("status "):
            self.world.set_status(what.removeprefix("status "))
            return
        stream = self.world.log_stream()
        with contextlib.suppress(ClientError):  # already exists
            self.world.logs.create_log_stream(logGroupName=self.world.settings["logGroup"],
                                              logStreamName=stream)
        kind, number = what.split()
        message = {"line": int(number), "at": self.clock.seconds,
                   **({"ok": True, "outcome": "created", "wasNew": True} if kind == "result" else {})}
        self.world.logs.put_log_events(
            logGroupName=self.world.settings["logGroup"], logStreamName=stream,
            logEvents=[{"timestamp": self.epoch_ms + round(self.clock.seconds * 1000),
                        "message": self._written(message)}])

    def _written(self, message: dict[str, object]) -> str:
        """The line as the task package writes it: a result line bound to the run the
        launcher started (the baseline's RunTask sends no overrides, so nothing to bind)."""
        if not self.world.task().overrides.get("containerOverrides"):
            return json.dumps(message)
        return self.world.bound(json.dumps(message))


LAUNCH = ["run", "seed-admin", "--environment", "staging", "--param", "email=ops@example.com",
          "--reason", "launcher benchmark", "--timeout", "3300"]


def follow_with_admin_tasks(world: World, workload: Workload) -> Follow:
    clock, follow = VirtualTime(), Follow()
    task = SimulatedTask(world, clock, workload)
    runtime = commands.Runtime(
        clients=lambda region: task.watch(follow.record(make_clients(region, SESSION))),
        clock=clock, out=Recorder(clock, follow))
    environ = {**GITHUB, "ADMIN_TASKS_SETTINGS": json.dumps(world.settings)}
    with mock.patch.object(commands, "default_runtime", lambda: runtime), \
            contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        follow.exit_code = cli.main(LAUNCH, environ)
    follow.exited_at = clock.seconds
    follow.stopped_at = task.started + workload.stopped_at
    return follow


def follow_with_waiter(world: World, workload: Workload) -> Follow:
    """The common pattern, with botocore's waiter sleeping on the virtual clock."""
    clock, follow = VirtualTime(), Follow()
    task = SimulatedTask(world, clock, workload)
    clients = task.watch(follow.record(make_clients(world.settings["region"], SESSION)))
    out = Recorder(clock, follow)
    cluster, group = world.settings["cluster"], world.settings["logGroup"]
    request = {"cluster": cluster, "taskDefinition": world.settings["tasks"]["seed-admin"][
        "taskDefinition"], "launchType": "FARGATE", "networkConfiguration": {
        "awsvpcConfiguration": {"subnets": world.settings["subnets"],
                                "securityGroups": world.settings["securityGroups"]}}}
    arn = clients.ecs.run_task(**request)["tasks"][0]["taskArn"]
    token: dict[str, str] = {}
    following = True

    def poll_logs() -> None:
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": world.log_stream(),
                                  "startFromHead": True, **token}
        try:
            page = clients.logs.get_log_events(**kwargs)
        except ClientError:  # the stream does not exist yet
            return
        for event in page["events"]:
            out.write(event["message"] + "\n")
        token["nextToken"] = page["nextForwardToken"]

    def every_five_seconds() -> None:
        if following:
            poll_logs()
            clock.at(clock.seconds + BASELINE_LOG_INTERVAL, every_five_seconds)

    every_five_seconds()
    with mock.patch.object(botocore.waiter, "time", mock.Mock(sleep=clock.sleep)):
        try:
            clients.ecs.get_waiter("tasks_stopped").wait(cluster=cluster, tasks=[arn])
        except WaiterError:
            follow.gave_up = True
    following = False
    poll_logs()
    if not follow.gave_up:
        described = clients.ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"][0]
        follow.exit_code = described["containers"][0].get("exitCode")
    follow.exited_at = clock.seconds
    follow.stopped_at = task.started + workload.stopped_at
    return follow
