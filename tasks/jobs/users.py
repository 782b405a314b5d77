"""The user rows every account command reads: which columns, which rows count as an
active admin or superuser, and the ``user`` object of the result line."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func

from tasks.jobs.operation import Scope

#: Logical columns read from a ``role`` user row, and from a ``django`` one.
ROLE_FIELDS = ("id", "email", "role", "isActive", "deletedAt")
DJANGO_FIELDS = ("id", "username", "email", "isSuperuser", "isActive")


def live_with_email(scope: Scope, email: str) -> ColumnElement[bool]:
    """The live (not soft-deleted) row for an address already lower-cased, whatever the
    stored case: at most one, by the partial unique index ``init-db`` creates."""
    return (func.lower(scope.column("email")) == email) & scope.column("deletedAt").is_(None)


def active_admins(scope: Scope) -> ColumnElement[bool]:
    return ((scope.column("role") == scope.profile.admin_role)
            & scope.column("isActive").is_(True) & scope.column("deletedAt").is_(None))


def with_username(scope: Scope, username: str) -> ColumnElement[bool]:
    return scope.column("username") == username


def active_superusers(scope: Scope) -> ColumnElement[bool]:
    return scope.column("isSuperuser").is_(True) & scope.column("isActive").is_(True)


def role_user(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """The result line's ``user`` for a ``role`` row (None for no row)."""
    if row is None:
        return None
    return {"id": row["id"], "email": row["email"], "role": row["role"],
            "isActive": bool(row["isActive"]), "deletedAt": row["deletedAt"]}


def django_user(row: dict[str, Any] | None) -> dict[str, Any] | None:
    """The result line's ``user`` for an ``auth_user`` row (None for no row)."""
    if row is None:
        return None
    return {"id": row["id"], "username": row["username"], "email": row["email"],
            "isSuperuser": bool(row["isSuperuser"]), "isActive": bool(row["isActive"])}
