"""``admin_task_runs``: one row per application-task run, in the application's database.

The recorder (:mod:`tasks.jobs.app_run`) opens the row before any step runs and completes
it once the application container has stopped. The table belongs to this project, not to
the application: it is created on first use (on PostgreSQL under an advisory lock, so two
first runs do not race), and the run id is its key, so one run can never be recorded, or
run, twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    exc,
    insert,
    select,
    text,
    update,
)

from tasks.contract.context import RunContext
from tasks.contract.errors import Refused
from tasks.jobs.database import DatabaseTarget, apply_timeouts, database_errors

TABLE = "admin_task_runs"
#: pg_advisory_xact_lock key for creating the table: "admin-tasks runs" as a number.
_CREATE_LOCK = 0x61646D696E72756E
METADATA = MetaData()
RUNS = Table(
    TABLE, METADATA,
    Column("run_id", String(128), primary_key=True),
    Column("task", String(64), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("image", String(512), nullable=False),
    Column("preview", Boolean, nullable=False),
    Column("requested_by", String(255), nullable=False),
    Column("approved_by", String(1000)),
    Column("approval_comment", String(500)),
    Column("reason", String(500), nullable=False),
    Column("steps", Text, nullable=False),
    Column("ecs_task", String(255)),
    Column("status", String(16), nullable=False),
    Column("exit_code", Integer),
    Column("failed_step", Text),
    Column("tenant_run", Text),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
)


@dataclass(frozen=True)
class RunRow:
    """What the opening row says: who, why, what will run and in which image."""

    task: str
    environment: str
    image: str
    preview: bool
    context: RunContext
    steps: Sequence[Sequence[str]]
    ecs_task: str | None
    tenant_run: Mapping[str, Any] | None = None
    """A tenant run's controls and how many tenants it has."""

    def values(self, now: datetime) -> dict[str, Any]:
        context = self.context
        return {"run_id": context.run_id, "task": self.task, "environment": self.environment,
                "image": self.image, "preview": self.preview, "requested_by": context.actor,
                "approved_by": ",".join(context.approved_by) if context.approved_by else None,
                "approval_comment": context.approval_comment, "reason": context.reason,
                "steps": json.dumps([list(step) for step in self.steps]),
                "ecs_task": self.ecs_task, "status": "running", "started_at": now,
                "tenant_run": None if self.tenant_run is None else json.dumps(
                    dict(self.tenant_run), sort_keys=True)}


def ensure_tables(engine: Engine, target: DatabaseTarget) -> None:
    """This project's tables (the runs, and the tenant ledger once it is imported)."""
    with engine.begin() as connection:
        apply_timeouts(connection, target)
        if not target.is_sqlite:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                               {"key": _CREATE_LOCK})
        METADATA.create_all(connection, checkfirst=True)


def open_run(engine: Engine, target: DatabaseTarget, row: RunRow) -> None:
    """Commit the run's row with status ``running``; a row for the run id already there is
    refused (exit 3): that run was started before, and its steps must not run again."""
    with database_errors(target):
        ensure_tables(engine, target)
        try:
            with engine.begin() as connection:
                apply_timeouts(connection, target)
                connection.execute(insert(RUNS).values(row.values(datetime.now(UTC))))
        except exc.IntegrityError:
            raise Refused(f"{TABLE} already holds run {row.context.run_id}: that run was "
                          "started before, so its steps do not run again; start a new run "
                          "(a re-run of the workflow gets a new run id)") from None


def complete_run(engine: Engine, target: DatabaseTarget, run_id: str, *, status: str,
                 exit_code: int | None, failed_step: Mapping[str, Any] | None,
                 tenant_run: Mapping[str, Any] | None = None) -> None:
    """Set the run's outcome; only a row still ``running`` changes."""
    values: dict[str, Any] = {
        "status": status, "exit_code": exit_code, "finished_at": datetime.now(UTC),
        "failed_step": None if failed_step is None else json.dumps(dict(failed_step))}
    if tenant_run is not None:
        values["tenant_run"] = json.dumps(dict(tenant_run), sort_keys=True)
    with database_errors(target), engine.begin() as connection:
        apply_timeouts(connection, target)
        connection.execute(update(RUNS).where(RUNS.c.run_id == run_id,
                                              RUNS.c.status == "running").values(values))


def run_state(engine: Engine, target: DatabaseTarget, run_id: str) -> tuple[str, str] | None:
    """The run's (task, status), or None before it is opened."""
    with database_errors(target):
        ensure_tables(engine, target)
        with engine.connect() as connection:
            apply_timeouts(connection, target)
            row = connection.execute(select(RUNS.c.task, RUNS.c.status)
                                     .where(RUNS.c.run_id == run_id)).first()
    return None if row is None else (str(row.task), str(row.status))
