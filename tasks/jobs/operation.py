"""How every command that writes runs: one transaction with bounded statements, in which
the command decides and changes what it must, then its audit row; then commit, or for a
preview roll back, so that a preview runs the same checks and statements as the real run
(including the audit insert) and writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Engine,
    Table,
    case,
    false,
    or_,
    select,
    update,
)

from tasks.contract.context import RunContext
from tasks.contract.outcome import Decision, TaskResult
from tasks.jobs.database import DatabaseTarget, apply_timeouts, database_errors
from tasks.jobs.profiles import Profile, TableSpec
from tasks.jobs.schema import Tables, build_tables
from tasks.jobs.tenant_schema import enter_schema


@contextmanager
def transaction(engine: Engine, target: DatabaseTarget, *,
                preview: bool = False) -> Iterator[Connection]:
    """One transaction with bounded statements; any driver error becomes exit 4. It
    commits when the block ends, unless ``preview``: then it rolls back."""
    with database_errors(target), engine.connect() as connection, connection.begin() as tx:
        apply_timeouts(connection, target)
        yield connection
        if preview:
            tx.rollback()


def new_id_values(spec: TableSpec) -> dict[str, Any]:
    """The id to bind, when the profile says the application (not the DB) assigns it."""
    return {spec.column("id"): str(uuid.uuid4())} if spec.id_strategy == "uuid" else {}


@dataclass(frozen=True)
class Scope:
    """What a command's decision runs with: the open transaction and the profile's tables
    (in ``schema``, when one was given)."""

    connection: Connection
    profile: Profile
    tables: Tables
    now: datetime
    schema: str | None = None

    @property
    def users(self) -> Table:
        return self.tables.users

    def column(self, logical: str) -> Column[Any]:
        return self.users.c[self.profile.users.column(logical)]

    def lock_target(self, fields: Sequence[str], target: ColumnElement[bool],
                    counted: ColumnElement[bool] | None = None) -> tuple[dict[str, Any] | None, int]:
        """Lock (FOR UPDATE) the row matching ``target`` and every row matching ``counted``,
        in one statement and in id order; return the target's logical ``fields`` (None if
        no row matches) and how many *other* rows match ``counted``.

        One statement, one order: every run takes all its locks in ascending id, so runs
        whose rows overlap queue behind each other and never deadlock. A row that changed
        while this waited for it is re-checked: returned with its new values, or left out
        if it no longer matches (PostgreSQL keeps that lock too, so a second locking
        statement could take a lower id after a higher one: lock everything here, once).
        """
        conditions = {"target": target, "counted": counted if counted is not None else false()}
        flags = [case((condition, True), else_=False).label(name)
                 for name, condition in conditions.items()]
        rows = list(self.connection.execute(
            select(*(self.column(field).label(field) for field in fields), *flags)
            .where(or_(*conditions.values())).order_by(self.column("id")).with_for_update()
        ).mappings())
        found = next((row for row in rows if row["target"]), None)
        others = sum(1 for row in rows if row["counted"] and row is not found)
        return (None if found is None else {field: found[field] for field in fields}), others

    def update_user(self, user_id: object, values: Mapping[str, Any]) -> None:
        """Set logical ``values`` on the user row ``user_id`` (already locked)."""
        self.connection.execute(
            update(self.users).where(self.column("id") == user_id)
            .values({self.profile.users.column(name): value for name, value in values.items()}))


Act = Callable[[Scope], Decision]


def audit_record(decision: Decision, context: RunContext) -> dict[str, Any]:
    """Who, which run, why, who approved it, and what changed: the audit row's metadata,
    and the result line's ``audit`` object."""
    return {**context.as_metadata(), **decision.subject, "outcome": decision.outcome,
            "changes": decision.changes.as_json(), "source": "admin-tasks"}


def write_audit(scope: Scope, decision: Decision, record: Mapping[str, Any]) -> None:
    audit, spec = scope.tables.audit, scope.profile.audit
    if audit is None or spec is None:
        return
    c = spec.column
    scope.connection.execute(audit.insert().values({
        **new_id_values(spec), c("eventType"): decision.event_type, c("resourceType"): "user",
        c("resourceId"): decision.resource_id, c("actor"): record["actor"],
        c("metadata"): dict(record), c("timestamp"): scope.now}))


def perform(engine: Engine, target: DatabaseTarget, profile: Profile, context: RunContext,
            act: Act, *, preview: bool, schema: str | None = None) -> TaskResult:
    """Run ``act`` and write its audit row in one transaction: committed, or rolled back
    for a preview; with ``schema``, on the profile's tables in that PostgreSQL schema.
    Inputs are validated by the caller, before this opens a connection."""
    tables = build_tables(profile)
    with transaction(engine, target, preview=preview) as connection:
        if schema is not None:
            enter_schema(connection, target, schema, tables)
        scope = Scope(connection, profile, tables, datetime.now(UTC), schema)
        decision = act(scope)
        record = audit_record(decision, context)
        write_audit(scope, decision, record)
    return TaskResult(decision, record, profile.audit.name if profile.audit else None, preview)
