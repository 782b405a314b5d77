"""``seed-admin``: make sure one active admin exists for an email, in one transaction.

The INSERT ... ON CONFLICT infers the partial unique index on ``lower(email)`` so that
concurrent runs for one address create exactly one row; the losers then share-lock
the winner's row and report ``exists``. An existing non-admin or inactive account is never
elevated: that is ``refused`` and only the audit row is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from tasks.context import RunContext
from tasks.database import DatabaseTarget, apply_timeouts, database_errors
from tasks.errors import DatabaseFailed
from tasks.outcome import Outcome, SeedResult
from tasks.profiles import Profile, TableSpec
from tasks.schema import build_tables


@contextmanager
def transaction(engine: Engine, target: DatabaseTarget) -> Iterator[Connection]:
    """One transaction with bounded statements; any driver error becomes exit 4."""
    with database_errors(target), engine.begin() as connection:
        apply_timeouts(connection, target)
        yield connection


def dialect_insert(connection: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def new_id_values(spec: TableSpec) -> dict[str, Any]:
    """The id to bind, when the profile says the application (not the DB) assigns it."""
    return {spec.column("id"): str(uuid.uuid4())} if spec.id_strategy == "uuid" else {}


def write_audit(
    connection: Connection,
    audit: Table | None,
    spec: TableSpec | None,
    *,
    event_type: str,
    user_id: object,
    context: RunContext,
    details: Mapping[str, Any],
    now: datetime,
) -> None:
    if audit is None or spec is None:
        return
    c = spec.column
    insert: Insert = audit.insert().values(
        {
            **new_id_values(spec),
            c("eventType"): event_type,
            c("resourceType"): "user",
            c("resourceId"): str(user_id),
            c("actor"): context.actor,
            c("metadata"): {**context.as_metadata(), **details, "source": "admin-tasks"},
            c("timestamp"): now,
        }
    )
    connection.execute(insert)


def insert_or_lock(connection: Connection, table: Table, values: Mapping[str, Any], *,
                   conflict: ColumnElement[Any], conflict_where: ColumnElement[bool] | None,
                   match: ColumnElement[bool], columns: list[str]) -> tuple[bool, tuple[Any, ...]]:
    """Insert ``values`` unless the unique index on ``conflict`` already holds a live row;
    return whether it was new and ``columns`` of the row now there (locked until commit).
    """
    wanted = [table.c[name] for name in columns]
    inserted = connection.execute(
        dialect_insert(connection, table)
        .values(dict(values))
        .on_conflict_do_nothing(index_elements=[conflict], index_where=conflict_where)
        .returning(*wanted)
    ).one_or_none()
    if inserted is not None:
        return True, tuple(inserted)
    # FOR SHARE: the row cannot change before this transaction's audit row commits, yet
    # concurrent runs that all found it may read it at once instead of queuing.
    existing = connection.execute(
        select(*wanted).where(match).with_for_update(read=True)).one_or_none()
    if existing is None:
        raise DatabaseFailed("the conflicting account was removed while this run seeded it: run again")
    return False, tuple(existing)


def seed_admin(engine: Engine, target: DatabaseTarget, profile: Profile, email: str,
               context: RunContext) -> SeedResult:
    """Seed ``email`` (already validated and lower-cased) as an active admin."""
    tables = build_tables(profile)
    users, spec = tables.users, profile.users
    c = spec.column
    email_column, live = users.c[c("email")], users.c[c("deletedAt")].is_(None)
    now = datetime.now(UTC)
    values = {**new_id_values(spec), c("email"): email, c("role"): profile.admin_role,
              c("isActive"): True, c("emailVerified"): True, c("createdAt"): now}
    with transaction(engine, target) as connection:
        was_new, row = insert_or_lock(
            connection, users, values, conflict=func.lower(email_column), conflict_where=live,
            match=(func.lower(email_column) == email) & live,
            columns=[c("id"), c("role"), c("isActive")],
        )
        user_id, role, active = row[0], row[1], bool(row[2])
        outcome: Outcome
        if was_new:
            outcome, event, message = "created", "admin_account_seeded", f"created admin {email}"
        elif role == profile.admin_role and active:
            outcome, event = "exists", "admin_seed_noop"
            message = f"{email} is already an active admin; nothing changed"
        else:
            outcome, event = "refused", "admin_seed_refused"
            state = f"role {role!r}" + ("" if active else ", inactive")
            message = (
                f"{email} belongs to an existing account ({state}); refusing to elevate or "
                "reactivate it. Change that account in the application, or seed another address"
            )
        write_audit(
            connection, tables.audit, profile.audit, event_type=event, user_id=user_id,
            context=context, details={"email": email, "outcome": outcome}, now=now,
        )
    user = {"id": user_id, "email": email, "role": role, "isActive": active}
    return SeedResult(outcome, event, user, context, audit_name(profile), message)


def audit_name(profile: Profile) -> str | None:
    return profile.audit.name if profile.audit else None
