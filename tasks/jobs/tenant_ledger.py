"""``admin_task_tenants``: one row per tenant of a tenant run, next to ``admin_task_runs``.

The recorder of a run's first ECS task writes the rows (``pending``) before any tenant
runs; every recorder of the run then claims them one at a time, in order, and ends each
``succeeded``, ``failed`` or ``interrupted``. Claims are decided under one lock per run
(``pg_advisory_xact_lock``; SQLite's ``BEGIN IMMEDIATE`` serialises writers anyway), so
the canary and ``--on-failure stop`` hold across tasks: no tenant is claimed twice, none
after the canary failed, none after a failure with ``stop`` (the rest become
``skipped``). A worker that was killed stops heart-beating: the next claim, a
``--resume`` of the run, or the ledger of the task's next tenant run on the environment
ends its row ``interrupted``, so no row stays ``running``. Every time in the ledger is the
database server's (``now()``): the containers' clocks may disagree, and a heartbeat judged
on another container's clock could end a live worker's row. SQLite is one file on one
host, so its times are that host's.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    column,
    func,
    insert,
    select,
    table,
    text,
    update,
)

from tasks.contract.errors import DatabaseFailed, InvalidInput, Refused
from tasks.contract.tenants import SCHEMA_NAME, TenantControls, TenantSource
from tasks.jobs.database import DatabaseTarget, apply_timeouts, database_errors
from tasks.jobs.run_records import METADATA, RUNS, ensure_tables

TABLE = "admin_task_tenants"
#: pg_advisory_xact_lock(key, hashtext(run id)): one claim at a time per run.
_RUN_LOCK = 0x61647465  # "adte"
#: A running row whose heartbeat is older than this belongs to a worker that is gone.
STALE_AFTER = timedelta(seconds=90)
FINAL = ("succeeded", "failed", "skipped", "interrupted")
LEDGER = Table(
    TABLE, METADATA,
    Column("run_id", String(128), nullable=False),
    Column("schema_name", String(63), nullable=False),
    Column("position", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("exit_code", Integer),
    Column("attempt", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("ecs_task", String(255)),
    Column("resumed_by", String(128)),
    PrimaryKeyConstraint("run_id", "schema_name"),
)
Claim = Literal["run", "wait", "done"]


def _now() -> datetime:
    return datetime.now(UTC)


def _clock(target: DatabaseTarget) -> Any:
    """Now, as every worker of a run reads it alike: the server's on PostgreSQL."""
    return _now() if target.is_sqlite else func.now()


def _stale_before(target: DatabaseTarget) -> Any:
    """A running row whose heartbeat is older than this belongs to a worker that is gone."""
    return _clock(target) - STALE_AFTER


def _locked(connection: Connection, target: DatabaseTarget, run_id: str) -> None:
    apply_timeouts(connection, target)
    if not target.is_sqlite:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key, hashtext(:run))"),
                           {"key": _RUN_LOCK, "run": run_id})


def listed_tenants(engine: Engine, target: DatabaseTarget, source: TenantSource) -> list[str]:
    """The schemas the tenant table lists, less ``exclude``, in name order; a name that
    is not a schema name is refused (exit 2): it could not be passed to a step safely."""
    schema, _, name = source.table.rpartition(".")
    tenants = table(name, column(source.schema_column), schema=schema or None)
    with database_errors(target), engine.connect() as connection:
        apply_timeouts(connection, target)
        names = [str(row[0]) for row in connection.execute(
            select(tenants.c[source.schema_column]).order_by(tenants.c[source.schema_column]))
            if row[0] is not None and str(row[0]) not in source.exclude]
    for value in names:
        if not SCHEMA_NAME.fullmatch(value):
            raise InvalidInput(f"the tenant table {source.table} lists {value[:80]!r} in "
                               f"{source.schema_column}, which is not a schema name this "
                               "project passes to a step: rename that tenant or add it to "
                               "admin-tasks:tenants.exclude")
    return list(dict.fromkeys(names))


def select_tenants(engine: Engine, target: DatabaseTarget, source: TenantSource,
                   controls: TenantControls, *, task: str, environment: str
                   ) -> list[tuple[str, int]]:
    """The run's tenants in order, each with its attempt: every listed tenant, the
    ``--tenants`` subset (an unknown name is exit 2), or the resumed run's tenants that
    did not succeed. Read only: nothing is written before every name is known good."""
    if controls.resume is not None:
        return _resumed(engine, target, str(controls.resumed_run), task, environment)
    listed = listed_tenants(engine, target, source)
    if not controls.tenants:
        return [(name, 1) for name in listed]
    unknown = [name for name in controls.tenants if name not in listed]
    if unknown:
        raise InvalidInput(f"--tenants names {', '.join(unknown[:5])}, which {source.table} "
                           f"does not list as a tenant (excluded: {', '.join(source.exclude)}); "
                           "nothing ran")
    return [(name, 1) for name in controls.tenants]


def _resumed(engine: Engine, target: DatabaseTarget, run_id: str, task: str,
             environment: str) -> list[tuple[str, int]]:
    """The rest of an ended run: refused (exit 3) while that run still has a tenant
    running, or once another run has resumed it."""
    with database_errors(target):
        ensure_tables(engine, target)
        with engine.connect() as connection:
            apply_timeouts(connection, target)
            run = connection.execute(select(RUNS.c.task, RUNS.c.environment)
                                     .where(RUNS.c.run_id == run_id)).first()
            rows = connection.execute(
                select(LEDGER.c.schema_name, LEDGER.c.attempt, LEDGER.c.status,
                       _live(target), LEDGER.c.resumed_by).where(
                    LEDGER.c.run_id == run_id, LEDGER.c.status != "succeeded")
                .order_by(LEDGER.c.position)).all()
    if run is None or (run.task, run.environment) != (task, environment):
        raise InvalidInput(f"--resume: {TABLE} has no run {run_id} of {task} on {environment}; "
                           "nothing ran")
    _check_resumable(run_id, rows)
    if not rows:
        raise InvalidInput(f"--resume: every tenant of run {run_id} succeeded; nothing to run")
    return [(str(row.schema_name), int(row.attempt) + 1) for row in rows]


def _live(target: DatabaseTarget) -> Any:
    """Whether a row's worker heart-beat within :data:`STALE_AFTER` (on the server's clock)."""
    return (LEDGER.c.heartbeat_at >= _stale_before(target)).label("live")


def _check_resumable(run_id: str, rows: Sequence[Any]) -> None:
    taken = next((row.resumed_by for row in rows if row.resumed_by), None)
    if taken:
        raise Refused(f"run {run_id} was already resumed by run {taken}: resume that one "
                      "(its result line names it), so no tenant runs twice; nothing ran")
    live = [row.schema_name for row in rows if row.status == "running" and row.live]
    if live:
        raise Refused(f"run {run_id} is still running tenant {live[0]}: a resume now would run "
                      "it twice; let it end, or stop it (python -m tasks stop --run-id "
                      f"{run_id} …) and resume once its heartbeat is {STALE_AFTER.seconds} s "
                      "old; nothing ran")


def write_ledger(engine: Engine, target: DatabaseTarget, run_id: str,
                 tenants: Sequence[tuple[str, int]], resumed: str | None) -> None:
    """The run's rows, all ``pending``, in one transaction. A resumed run's rows that did
    not succeed are handed over in the same transaction, under that run's lock: each
    names this run in ``resumed_by``, its ``running`` rows (their task is gone) end
    ``interrupted`` and its ``pending`` ones ``skipped``, so neither run can start them."""
    with database_errors(target), engine.begin() as connection:
        _locked(connection, target, run_id)
        if resumed is not None:
            _locked(connection, target, resumed)
            rows = connection.execute(
                select(LEDGER.c.schema_name, LEDGER.c.status, _live(target),
                       LEDGER.c.resumed_by).where(LEDGER.c.run_id == resumed,
                                                  LEDGER.c.status != "succeeded")).all()
            _check_resumable(resumed, rows)
            _end_running(connection, target, resumed, "interrupted", stale_only=False)
            _skip_pending(connection, target, resumed)
            connection.execute(update(LEDGER).where(
                LEDGER.c.run_id == resumed, LEDGER.c.status != "succeeded")
                .values(resumed_by=run_id))
        if tenants:
            connection.execute(insert(LEDGER), [
                {"run_id": run_id, "schema_name": name, "position": index,
                 "status": "pending", "attempt": attempt}
                for index, (name, attempt) in enumerate(tenants)])
    try:  # in a transaction of its own: it locks rows of other runs, under none of their locks
        with database_errors(target), engine.begin() as connection:
            apply_timeouts(connection, target)
            _end_abandoned(connection, target, run_id)
    except DatabaseFailed as error:  # the next run's ledger, or a resume, ends them instead
        print(f"admin-tasks: earlier runs' abandoned tenants were left for later ({error})",
              file=sys.stderr)


def _end_abandoned(connection: Connection, target: DatabaseTarget, run_id: str) -> None:
    """A run of the same task on the same environment whose last task was killed (SIGKILL:
    no chance to end its row) with no claim or resume after it: its stale ``running``
    rows end ``interrupted`` now. A worker still alive keeps its heartbeat fresh."""
    run = connection.execute(select(RUNS.c.task, RUNS.c.environment)
                             .where(RUNS.c.run_id == run_id)).first()
    if run is None:
        return
    same_task = select(RUNS.c.run_id).where(RUNS.c.task == run.task,
                                            RUNS.c.environment == run.environment,
                                            RUNS.c.run_id != run_id)
    connection.execute(update(LEDGER).where(
        LEDGER.c.run_id.in_(same_task), LEDGER.c.status == "running",
        LEDGER.c.heartbeat_at < _stale_before(target)).values(status="interrupted",
                                                              finished_at=_clock(target)))


def ledger_written(engine: Engine, target: DatabaseTarget, run_id: str) -> bool:
    with database_errors(target), engine.connect() as connection:
        apply_timeouts(connection, target)
        return connection.execute(select(func.count()).select_from(LEDGER)
                                  .where(LEDGER.c.run_id == run_id)).scalar_one() > 0


def _end_running(connection: Connection, target: DatabaseTarget, run_id: str, status: str,
                 *, stale_only: bool) -> None:
    where = [LEDGER.c.run_id == run_id, LEDGER.c.status == "running"]
    if stale_only:
        where.append(LEDGER.c.heartbeat_at < _stale_before(target))
    connection.execute(update(LEDGER).where(*where).values(status=status,
                                                           finished_at=_clock(target)))


@dataclass(frozen=True)
class Claimed:
    outcome: Claim
    schema: str | None = None


def claim_next(engine: Engine, target: DatabaseTarget, run_id: str, controls: TenantControls,
               ecs_task: str | None) -> Claimed:
    """The next tenant for this worker (``run``), ``wait`` while a canary runs elsewhere,
    or ``done``: nothing left this worker may start."""
    with database_errors(target), engine.begin() as connection:
        _locked(connection, target, run_id)
        _end_running(connection, target, run_id, "interrupted", stale_only=True)
        rows = connection.execute(select(LEDGER.c.schema_name, LEDGER.c.position,
                                         LEDGER.c.status).where(LEDGER.c.run_id == run_id)
                                  .order_by(LEDGER.c.position)).all()
        canary = [row for row in rows if row.position < controls.canary]
        canary_failed = any(row.status in ("failed", "interrupted", "skipped") for row in canary)
        failed = any(row.status in ("failed", "interrupted") for row in rows)
        if canary_failed or (failed and controls.on_failure == "stop"):
            _skip_pending(connection, target, run_id)
            return Claimed("done")
        pending = [row for row in rows if row.status == "pending"]
        if not pending:
            return Claimed("done")
        first = pending[0]
        if first.position >= controls.canary and any(r.status == "running" for r in canary):
            return Claimed("wait")  # the canary is still running in another task
        claimed = connection.execute(
            update(LEDGER).where(LEDGER.c.run_id == run_id,
                                 LEDGER.c.schema_name == first.schema_name,
                                 LEDGER.c.status == "pending")
            .values(status="running", started_at=_clock(target), heartbeat_at=_clock(target),
                    ecs_task=ecs_task)).rowcount
        return Claimed("run", str(first.schema_name)) if claimed == 1 else Claimed("wait")


def _skip_pending(connection: Connection, target: DatabaseTarget, run_id: str) -> None:
    """Every tenant not started ends ``skipped``."""
    connection.execute(update(LEDGER).where(LEDGER.c.run_id == run_id,
                                            LEDGER.c.status == "pending")
                       .values(status="skipped", finished_at=_clock(target)))


def heartbeat(engine: Engine, target: DatabaseTarget, run_id: str, schema: str) -> None:
    with database_errors(target), engine.begin() as connection:
        apply_timeouts(connection, target)
        connection.execute(update(LEDGER).where(
            LEDGER.c.run_id == run_id, LEDGER.c.schema_name == schema,
            LEDGER.c.status == "running").values(heartbeat_at=_clock(target)))


def finish_tenant(engine: Engine, target: DatabaseTarget, run_id: str, schema: str,
                  exit_code: int | None, *, interrupted: bool = False) -> str:
    """End the tenant's row: ``succeeded`` (exit 0), ``failed``, or ``interrupted`` (its
    worker was stopped, or its exit code is unknown); the status written."""
    status = ("interrupted" if interrupted or exit_code is None
              else "succeeded" if exit_code == 0 else "failed")
    with database_errors(target), engine.begin() as connection:
        apply_timeouts(connection, target)
        changed = connection.execute(update(LEDGER).where(
            LEDGER.c.run_id == run_id, LEDGER.c.schema_name == schema,
            LEDGER.c.status == "running").values(status=status, exit_code=exit_code,
                                                 finished_at=_clock(target))).rowcount
        if changed != 1:  # another task ended it first (its heartbeat was stale)
            status = str(connection.execute(select(LEDGER.c.status).where(
                LEDGER.c.run_id == run_id, LEDGER.c.schema_name == schema)).scalar_one())
    return status


def status_counts(engine: Engine, target: DatabaseTarget, run_id: str) -> dict[str, int]:
    with database_errors(target), engine.connect() as connection:
        apply_timeouts(connection, target)
        rows = connection.execute(select(LEDGER.c.status, func.count()).where(
            LEDGER.c.run_id == run_id).group_by(LEDGER.c.status)).all()
    return {str(row[0]): int(row[1]) for row in rows}
