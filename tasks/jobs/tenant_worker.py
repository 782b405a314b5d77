"""The recorder's side of a tenant run: it names each unit of work to the application
container's entry script and ends each tenant's ledger row from the unit's exit code.

The channel (:data:`tasks.contract.tenants.WORK_PIPE`) is a FIFO in the task's shared
volume: the containers of one ECS task share the volume and one kernel, so a line the
recorder writes is what the script's blocking ``read`` returns. The recorder opens it
without blocking and retries while the script is not reading yet, so an application
container that died never leaves it waiting. A unit ends with the progress line
``end <unit> <code>`` (:func:`tasks.jobs.app_container.unit_ends`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine

from tasks.contract.errors import DatabaseFailed
from tasks.contract.tenants import TenantControls
from tasks.jobs.app_container import read_progress, unit_ends
from tasks.jobs.database import DatabaseTarget
from tasks.jobs.tenant_ledger import claim_next, finish_tenant, heartbeat

log = logging.getLogger("admin-tasks")
T = TypeVar("T")
RETRY_PAUSES = (2.0, 4.0, 8.0, 16.0, 30.0)

HEARTBEAT_SECONDS = 15.0
POLL_SECONDS = 0.2
WAIT_SECONDS = 1.0
STOP_GRACE_SECONDS = 20.0


@dataclass
class Channel:
    """The pipe and the progress file of one ECS task; ``gone`` says the application
    container has stopped (ECS's word, else the script's ``done`` line)."""

    pipe: Path
    progress: Path
    gone: Callable[[], bool]
    stopping: Callable[[], bool]
    sleep: Callable[[float], object] = time.sleep
    clock: Callable[[], float] = time.monotonic
    units: int = 0
    _descriptor: int | None = None

    def create(self) -> None:
        """The FIFO, held open for the task's life (read and write, which never blocks on
        Linux): the script's one open of it succeeds at once, and every line written
        waits in the pipe until the script reads it, so no line is lost to a script that
        was not reading at that moment."""
        if not self.pipe.exists():
            os.mkfifo(self.pipe, 0o644)
        self._descriptor = os.open(self.pipe, os.O_RDWR | os.O_NONBLOCK)

    def hand(self, line: str) -> bool:
        """Write one line for the script; False if it is gone and never will read it."""
        if self._descriptor is None or self.gone() \
                or read_progress(self.progress).done is not None:
            return False
        try:
            os.write(self._descriptor, (line + "\n").encode())
        except OSError:
            return False
        return True

    def run(self, line: str, tick: Callable[[], None] = lambda: None) -> int | None:
        """Hand one unit and wait for its end: its exit code, or None when the container
        stopped (or this task is stopping) before it ended."""
        if not self.hand(line):
            return None
        self.units += 1
        last_tick = self.clock()
        stop_seen: float | None = None
        while True:
            ends = unit_ends(self.progress)
            if self.units in ends:
                return ends[self.units]
            if self.gone() or read_progress(self.progress).done is not None:
                return unit_ends(self.progress).get(self.units)
            if self.stopping():
                stop_seen = self.clock() if stop_seen is None else stop_seen
                if self.clock() - stop_seen >= STOP_GRACE_SECONDS:
                    return None  # ECS sends SIGKILL 30 s after SIGTERM: end the row first
            if self.clock() - last_tick >= HEARTBEAT_SECONDS:
                tick()
                last_tick = self.clock()
            self.sleep(POLL_SECONDS)

    def release(self) -> None:
        """Tell the script there is no more work; the line waits in the pipe if it is not
        reading yet."""
        if self._descriptor is None:
            return
        with contextlib.suppress(OSError):
            os.write(self._descriptor, b"e\n")


@dataclass
class TenantResult:
    schema: str
    status: str
    exit_code: int | None
    seconds: float


@dataclass
class WorkerOutcome:
    """What this task ran: the steps' exit code (None: not run here) and its tenants."""

    steps_code: int | None = None
    tenants: list[TenantResult] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        codes = [self.steps_code] + [t.exit_code if t.exit_code is not None else 1
                                     for t in self.tenants if t.status != "succeeded"]
        return next((code for code in codes if code), 0)


def work(channel: Channel, engine: Engine, target: DatabaseTarget, run_id: str, *,
         controls: TenantControls, first: bool, preview: bool, ecs_task: str | None,
         write_ledger: Callable[[], None]) -> WorkerOutcome:
    """The first task runs the steps (or the preview steps, and nothing else) and, once
    they succeeded, writes the ledger; then every task claims tenants until the ledger
    has none left for it. No tenant can start before the steps succeeded."""
    outcome = WorkerOutcome()
    try:
        if first:
            outcome.steps_code = channel.run("p" if preview else "s")
            if outcome.steps_code != 0 or preview or channel.stopping():
                return outcome
            write_ledger()
        while not channel.stopping():
            claimed = retrying(lambda: claim_next(engine, target, run_id, controls, ecs_task),
                               channel.sleep)
            if claimed.outcome == "done":
                break
            if claimed.outcome == "wait" or claimed.schema is None:
                channel.sleep(WAIT_SECONDS)
                continue
            outcome.tenants.append(_tenant(channel, engine, target, run_id, claimed.schema))
            if outcome.tenants[-1].status == "interrupted":
                break
        return outcome
    finally:
        channel.release()


def retrying(call: Callable[[], T], sleep: Callable[[float], object]) -> T:
    """``call``, again after 2, 4, 8, 16 and 30 s while the database fails (a failover, a
    lock timeout): one failure must not stop the whole ECS task in the middle of a
    tenant. The heartbeat's 90 s outlast the retries."""
    for pause in RETRY_PAUSES:
        try:
            return call()
        except DatabaseFailed as error:
            log.warning("the ledger could not be reached (%s); again in %.0f s", error, pause)
            sleep(pause)
    return call()


def _beat(engine: Engine, target: DatabaseTarget, run_id: str, schema: str) -> None:
    try:
        heartbeat(engine, target, run_id, schema)
    except DatabaseFailed as error:  # the next beat, or the end, tries again
        log.warning("could not record the heartbeat of %s (%s)", schema, error)


def _tenant(channel: Channel, engine: Engine, target: DatabaseTarget, run_id: str,
            schema: str) -> TenantResult:
    began = channel.clock()
    code = channel.run(f"t {schema}", lambda: _beat(engine, target, run_id, schema))
    stopping = channel.stopping()
    status = retrying(lambda: finish_tenant(engine, target, run_id, schema, code,
                                            interrupted=stopping and code != 0),
                     channel.sleep)
    return TenantResult(schema=schema, status=status, exit_code=code,
                        seconds=round(channel.clock() - began, 1))
