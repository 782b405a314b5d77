"""Tenant runs: 1,000 tenants of a fake ten-second step, K = 1, 4 and 16 ECS tasks.

    .venv/bin/python benchmarks/tenants.py [--tenants N]

Two parts, each printed as a Markdown table:

1. **The run.** K recorders claim and end the tenants through the real ledger on
   PostgreSQL (``tasks.jobs.tenant_ledger``, canary 1, ``--on-failure stop``), on a
   virtual clock where each tenant's step takes ten seconds: the wall time is the virtual
   time at which the last task ends. The launcher (``python -m tasks run migrate
   --parallel K``, in-process) then follows K moto tasks that each stop when their last
   tenant ends, every thread on its own virtual clock; its AWS calls are counted.
2. **The ledger's own cost**, measured in real time on PostgreSQL: the statements it
   writes per tenant and the time per tenant of claiming and ending one.

Needs ADMIN_TASKS_TEST_POSTGRES_URL (default ``postgresql://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import io
import json
import os
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # for tests.launcher's helpers

from harness import describe_host
from moto import mock_aws
from sqlalchemy import event

from tasks import cli
from tasks.contract.context import RunContext
from tasks.contract.outcome import bound_to_run
from tasks.contract.run_record import PREPARE_CONTAINER, RECORD_CONTAINER
from tasks.contract.tenants import WORKER_VARIABLE, TenantControls
from tasks.jobs.database import make_engine, resolve_target
from tasks.jobs.run_records import RunRow, open_run
from tasks.jobs.tenant_ledger import claim_next, finish_tenant, write_ledger
from tasks.launcher import commands
from tasks.launcher.aws import make_clients
from tasks.launcher.clock import Clock
from tests.launcher.conftest import (
    GITHUB,
    LOG_GROUP,
    REGION,
    SESSION,
    START,
    World,
    create_network,
    reset_account,
)

STEP_SECONDS = 10.0
WORKERS = (1, 4, 16)
#: The launcher's --timeout: 55 minutes, inside the role session's hour.
FOLLOW_LIMIT = 3300
POSTGRES = os.environ.get("ADMIN_TASKS_TEST_POSTGRES_URL",
                          "postgresql://postgres@127.0.0.1:5432/test")


class Ledger:
    """The real ledger on PostgreSQL, with its writing statements counted."""

    def __init__(self) -> None:
        self.target = resolve_target({"DATABASE_URL": POSTGRES})
        self.engine = make_engine(self.target)
        self.writes: Counter[str] = Counter()
        event.listen(self.engine, "after_cursor_execute", self._count)

    def _count(self, _conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        """Statements, and the rows they changed, by verb."""
        verb = statement.lstrip().split(" ", 1)[0].upper()
        if verb in ("INSERT", "UPDATE"):
            self.writes[verb] += 1
            self.writes[f"{verb} rows"] += max(cursor.rowcount, 0)

    def new_run(self, tenants: int) -> str:
        run_id = f"bench-{uuid.uuid4().hex[:12]}"
        open_run(self.engine, self.target, RunRow(
            task="migrate", environment="staging", image="app@sha256:" + "0" * 64,
            preview=False, context=RunContext(actor="bench", run_id=run_id, reason="bench"),
            steps=[["true"]], ecs_task=None))
        write_ledger(self.engine, self.target, run_id,
                     [(f"tenant_{i:05}", 1) for i in range(tenants)], None)
        return run_id


def simulate_run(ledger: Ledger, tenants: int, workers: int) -> list[float]:
    """Each worker's end, in virtual seconds: a worker claims when it is free (the
    earliest first); a ``wait`` (the canary running elsewhere) retries one second later,
    as the recorder does."""
    run_id = ledger.new_run(tenants)
    controls = TenantControls(parallel=workers)
    free = [(0.0, number) for number in range(workers)]
    running: dict[int, str] = {}
    ends = [0.0] * workers
    heapq.heapify(free)
    while free:
        now, number = heapq.heappop(free)
        if number in running:
            finish_tenant(ledger.engine, ledger.target, run_id, running.pop(number), 0)
        claimed = claim_next(ledger.engine, ledger.target, run_id, controls, f"task-{number}")
        if claimed.outcome == "done":
            ends[number] = now
            continue
        if claimed.outcome == "wait" or claimed.schema is None:
            heapq.heappush(free, (now + 1.0, number))
            continue
        running[number] = claimed.schema
        heapq.heappush(free, (now + STEP_SECONDS, number))
    return ends


class ThreadClock(Clock):
    """Virtual time per thread: each followed task's thread sleeps on its own clock, and
    its task stops once that clock passes the task's end."""

    def __init__(self, on_sleep: Any) -> None:
        self._local = threading.local()
        self._on_sleep = on_sleep

    @property
    def seconds(self) -> float:
        return float(getattr(self._local, "seconds", 0.0))

    def now(self) -> Any:
        return START + timedelta(seconds=self.seconds)

    def monotonic(self) -> float:
        return self.seconds

    def sleep(self, seconds: float, wake: Any = None) -> None:
        self._local.seconds = self.seconds + seconds
        self._on_sleep(self.seconds)


def follow_run(world: World, ends: list[float]) -> tuple[Counter[str], int]:
    """``python -m tasks run migrate --parallel K`` against moto; task i stops when the
    virtual clock of the thread following it passes ends[i]."""
    calls: Counter[str] = Counter()
    followed = threading.local()  # the task ARN this thread describes

    def stop_due(seconds: float) -> None:
        arn = getattr(followed, "arn", None)
        for task in world.tasks():
            worker = _worker(task)
            if task.task_arn == arn and worker and task.last_status != "STOPPED" \
                    and seconds >= ends[worker - 1]:
                _stop(world, task)

    clock = ThreadClock(stop_due)

    def remember(params: dict[str, Any], **_: Any) -> None:
        if len(params.get("tasks", [])) == 1:
            followed.arn = params["tasks"][0]

    def clients(region: str) -> Any:
        made = make_clients(region, SESSION)
        for client in (made.ecs, made.logs):
            client.meta.events.register("before-call",
                                        lambda model, **_: calls.update([model.name]))
        made.ecs.meta.events.register("before-parameter-build.ecs.DescribeTasks", remember)
        made.ecs.meta.events.register("after-call.ecs.RunTask", lambda **_: world.tasks())
        return made

    runtime = commands.Runtime(clients=clients, clock=clock, out=io.StringIO())
    argv = ["run", "migrate", "--environment", "staging", "--reason", "tenant benchmark",
            "--timeout", str(FOLLOW_LIMIT), "--parallel", str(len(ends))]
    environ = {**GITHUB, "ADMIN_TASKS_SETTINGS": json.dumps(world.settings)}
    errors = io.StringIO()
    with mock.patch.object(commands, "default_runtime", lambda: runtime), \
            contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(errors):
        code = cli.main(argv, environ)
    assert code in (0, 124), errors.getvalue()  # 124: past the launcher's timeout
    return calls, code


def _worker(task: Any) -> int | None:
    for override in task.overrides.get("containerOverrides", []):
        for item in override.get("environment", []):
            if item["name"] == WORKER_VARIABLE:
                return int(item["value"])
    return None


def _stop(world: World, task: Any) -> None:
    environment = {item["name"]: item["value"] for override in
                   task.overrides["containerOverrides"] if override["name"] == RECORD_CONTAINER
                   for item in override.get("environment", [])}
    line = bound_to_run({"ok": True, "outcome": "succeeded", "wasNew": True, "exitCode": 0,
                         "tenants": [], "tenantCounts": {}}, environment)
    stream = f"admin-tasks/{RECORD_CONTAINER}/{task.id}"
    world.logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
    world.logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=stream, logEvents=[
        {"timestamp": int(time.time() * 1000), "message": json.dumps(line)}])
    task.last_status = task.desired_status = "STOPPED"
    task.stop_code = "EssentialContainerExited"
    for container in task.containers:
        if container.name != PREPARE_CONTAINER:
            container.exitCode = 0


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in rows)])


def ledger_cost(ledger: Ledger, tenants: int) -> tuple[float, Counter[str]]:
    """Real seconds per tenant of one claim and one end, and the writes per tenant
    (the run's own rows included)."""
    ledger.writes.clear()
    run_id = ledger.new_run(tenants)
    controls = TenantControls(canary=0)
    began = time.perf_counter()
    while (claimed := claim_next(ledger.engine, ledger.target, run_id, controls, "t")) \
            .outcome == "run":
        assert claimed.schema is not None
        finish_tenant(ledger.engine, ledger.target, run_id, claimed.schema, 0)
    return (time.perf_counter() - began) / tenants, ledger.writes.copy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=1000)
    tenants = parser.parse_args().tenants
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION})
    ledger = Ledger()
    describe_host()
    print("\n### Results")
    rows = []
    with mock_aws():
        network = create_network()
        for workers in WORKERS:
            began = time.perf_counter()
            ends = simulate_run(ledger, tenants, workers)
            settings = reset_account(network)  # the staging stack, allowing 16 tasks
            settings["tasks"]["migrate"]["tenants"]["maxParallelTasks"] = max(WORKERS)
            world = World(settings=settings,
                          ecs=SESSION.client("ecs", region_name=REGION),
                          logs=SESSION.client("logs", region_name=REGION))
            calls, code = follow_run(world, ends)
            wall = max(ends)
            followed = sum(min(end, FOLLOW_LIMIT) for end in ends) / 60
            rows.append([str(workers), f"{wall:,.0f} s ({wall / 60:.1f} min)",
                         "finished" if code == 0 else "stopped at its 55 min timeout (exit "
                         "124); the tenants not reached stay pending for --resume",
                         f"{sum(calls.values()):,}", f"{sum(calls.values()) / followed:.1f}",
                         ", ".join(f"{name} {n:,}" for name, n in sorted(calls.items())),
                         f"{time.perf_counter() - began:.1f} s"])
    print(f"\n{tenants:,} tenants, {STEP_SECONDS:.0f} s each, canary 1, --on-failure stop\n")
    print(table(["K", "wall time the tenants need (virtual)", "the launcher's run",
                 "AWS calls", "per task-minute followed", "by operation", "benchmark took"],
                rows))
    per_tenant, writes = ledger_cost(ledger, tenants)
    print(f"\nLedger cost on PostgreSQL, {tenants:,} tenants, one worker\n")
    print(table(["time per tenant (claim + end)", "statements per tenant",
                 "rows written per tenant"],
                [[f"{per_tenant * 1000:.2f} ms",
                  f"{(writes['INSERT'] + writes['UPDATE']) / tenants:.2f} "
                  f"({writes['INSERT']} INSERT for the whole run, the rest UPDATE)",
                  f"{(writes['INSERT rows'] + writes['UPDATE rows']) / tenants:.2f} "
                  f"({writes['INSERT rows'] / tenants:.2f} inserted, "
                  f"{writes['UPDATE rows'] / tenants:.2f} updated)"]]))


if __name__ == "__main__":
    main()
