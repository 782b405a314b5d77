"""SQLAlchemy Core tables built from a profile, and ``init-db``.

The column types matter only when ``init-db`` creates the tables (local development
and tests); against an application's own schema the seeding code only binds values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine

from tasks.jobs.profiles import Profile, TableSpec


@dataclass(frozen=True)
class Tables:
    """The profile's tables, bound to one MetaData."""

    metadata: MetaData
    users: Table
    audit: Table | None


def _id_column(spec: TableSpec) -> Column[object]:
    if spec.id_strategy == "uuid":
        return Column(spec.column("id"), String(36), primary_key=True)
    return Column(spec.column("id"), Integer, primary_key=True, autoincrement=True)


def _timestamp(name: str, *, nullable: bool) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


def _flag(name: str) -> Column[object]:
    return Column(name, Boolean, nullable=False)


def _role_users(metadata: MetaData, spec: TableSpec) -> Table:
    c = spec.column
    table = Table(
        spec.name,
        metadata,
        _id_column(spec),
        Column(c("email"), String(254), nullable=False),
        Column(c("role"), String(64), nullable=False),
        _flag(c("isActive")),
        _flag(c("emailVerified")),
        _timestamp(c("createdAt"), nullable=False),
        _timestamp(c("deletedAt"), nullable=True),
    )
    # The partial unique index the seeding INSERT ... ON CONFLICT infers: at most one
    # live (not soft-deleted) account per address, whatever its case.
    active = table.c[c("deletedAt")].is_(None)
    Index(
        f"uq_{spec.name}_active_email",
        func.lower(table.c[c("email")]),
        unique=True,
        postgresql_where=active,
        sqlite_where=active,
    )
    return table


def _django_users(metadata: MetaData, spec: TableSpec) -> Table:
    c = spec.column
    return Table(
        spec.name,
        metadata,
        _id_column(spec),
        Column(c("password"), String(128), nullable=False),
        _timestamp(c("lastLogin"), nullable=True),
        _flag(c("isSuperuser")),
        Column(c("username"), String(150), nullable=False, unique=True),
        Column(c("firstName"), String(150), nullable=False),
        Column(c("lastName"), String(150), nullable=False),
        Column(c("email"), String(254), nullable=False),
        _flag(c("isStaff")),
        _flag(c("isActive")),
        _timestamp(c("dateJoined"), nullable=False),
    )


def _audit(metadata: MetaData, spec: TableSpec) -> Table:
    c = spec.column
    metadata_type: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")
    return Table(
        spec.name,
        metadata,
        _id_column(spec),
        Column(c("eventType"), String(64), nullable=False),
        Column(c("resourceType"), String(64), nullable=False),
        Column(c("resourceId"), String(64), nullable=False),
        Column(c("actor"), String(255), nullable=False),
        Column(c("metadata"), metadata_type, nullable=False),
        _timestamp(c("timestamp"), nullable=False),
    )


def build_tables(profile: Profile) -> Tables:
    metadata = MetaData()
    builder = _role_users if profile.kind == "role" else _django_users
    users = builder(metadata, profile.users)
    audit = _audit(metadata, profile.audit) if profile.audit else None
    return Tables(metadata=metadata, users=users, audit=audit)


def create_tables(engine: Engine, profile: Profile) -> list[str]:
    """Create the profile's tables and indexes that do not exist yet; return their names."""
    tables = build_tables(profile)
    with engine.begin() as connection:
        existing = {
            name
            for name in (t.name for t in tables.metadata.sorted_tables)
            if connection.dialect.has_table(connection, name)
        }
        tables.metadata.create_all(connection, checkfirst=True)
    return [t.name for t in tables.metadata.sorted_tables if t.name not in existing]
