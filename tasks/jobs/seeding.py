"""``seed-admin``: make sure one active admin exists for an email, in one transaction.

The INSERT ... ON CONFLICT infers the partial unique index on ``lower(email)`` so that
concurrent runs for one address create exactly one row; the losers then share-lock
the winner's row and report ``exists``. An existing non-admin or inactive account is never
elevated: that is ``refused`` and only the audit row is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite

from tasks.contract.errors import DatabaseFailed
from tasks.contract.outcome import Changes, Decision
from tasks.jobs.operation import Scope, new_id_values
from tasks.jobs.users import ROLE_FIELDS, live_with_email, role_user


def dialect_insert(connection: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_or_lock(scope: Scope, values: Mapping[str, Any], *, conflict: ColumnElement[Any],
                   conflict_where: ColumnElement[bool] | None, match: ColumnElement[bool],
                   fields: Sequence[str]) -> tuple[bool, dict[str, Any]]:
    """Insert ``values`` unless the unique index on ``conflict`` already holds a live row;
    return whether it was new and the logical ``fields`` of the row now there (locked
    until commit)."""
    wanted = [scope.column(field).label(field) for field in fields]
    inserted = scope.connection.execute(
        dialect_insert(scope.connection, scope.users)
        .values(dict(values))
        .on_conflict_do_nothing(index_elements=[conflict], index_where=conflict_where)
        .returning(*wanted)
    ).mappings().one_or_none()
    if inserted is not None:
        return True, dict(inserted)
    # FOR SHARE: the row cannot change before this transaction's audit row commits, yet
    # concurrent runs that all found it may read it at once instead of queuing.
    existing = scope.connection.execute(
        select(*wanted).where(match).with_for_update(read=True)).mappings().one_or_none()
    if existing is None:
        raise DatabaseFailed("the conflicting account was removed while this run seeded it: run again")
    return False, dict(existing)


def seed_admin(scope: Scope, email: str) -> Decision:
    """Seed ``email`` (already validated and lower-cased) as an active admin."""
    c = scope.profile.users.column
    written = {"email": email, "role": scope.profile.admin_role, "isActive": True,
               "emailVerified": True, "createdAt": scope.now}
    values = {**new_id_values(scope.profile.users), **{c(k): v for k, v in written.items()}}
    was_new, row = insert_or_lock(
        scope, values, conflict=func.lower(scope.column("email")),
        conflict_where=scope.column("deletedAt").is_(None), match=live_with_email(scope, email),
        fields=ROLE_FIELDS)
    user, subject = role_user(row), {"email": email}
    if was_new:
        return Decision("created", "admin_account_seeded", f"created admin {email}", user,
                        Changes(None, written), subject)
    if row["role"] == scope.profile.admin_role and row["isActive"]:
        return Decision.unchanged("exists", "admin_seed_noop",
                                  f"{email} is already an active admin; nothing changed", user,
                                  subject)
    state = f"role {row['role']!r}" + ("" if row["isActive"] else ", inactive")
    fix = ("reactivate it with reactivate-admin" if row["role"] == scope.profile.admin_role
           else "change that account in the application")
    return Decision.unchanged(
        "refused", "admin_seed_refused",
        f"{email} belongs to an existing account ({state}); refusing to elevate or reactivate "
        f"it: {fix}, or seed another address", user, subject)
