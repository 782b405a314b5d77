"""Profiles: which tables and columns the seeding commands write.

Two are built in — ``role`` (an app with passwordless sign-in: ``users`` with a role
column, ``audit_events``) and ``django`` (``auth_user``, no audit table). An app whose
schema differs describes it in a JSON file, chosen with ``--profile FILE`` (or the
variable ``ADMIN_TASKS_PROFILE``) on every command::

    {"kind": "role",
     "users": {"table": "accounts", "columns": {"isActive": "active"}},
     "adminRole": "owner",
     "audit": {"table": "audit_log", "columns": {"timestamp": "created_at"}}}

Columns not named keep their default physical names; ``"audit": null`` means the app
has no audit table and the JSON result line is the audit record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tasks.contract.errors import InvalidInput

ProfileKind = Literal["role", "django"]
IdStrategy = Literal["database", "uuid"]

# Logical column name -> default physical name, per table kind.
ROLE_USER_COLUMNS = {
    "id": "id",
    "email": "email",
    "role": "role",
    "isActive": "is_active",
    "emailVerified": "email_verified",
    "createdAt": "created_at",
    "deletedAt": "deleted_at",
}
DJANGO_USER_COLUMNS = {
    "id": "id",
    "password": "password",
    "lastLogin": "last_login",
    "isSuperuser": "is_superuser",
    "username": "username",
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "isStaff": "is_staff",
    "isActive": "is_active",
    "dateJoined": "date_joined",
}
AUDIT_COLUMNS = {
    "id": "id",
    "eventType": "event_type",
    "resourceType": "resource_type",
    "resourceId": "resource_id",
    "actor": "actor",
    "metadata": "metadata",
    "timestamp": "timestamp",
}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_TABLE_KEYS = {"table", "columns", "idStrategy"}
_PROFILE_KEYS = {"kind", "users", "audit", "adminRole"}


@dataclass(frozen=True)
class TableSpec:
    """Where one logical table lives in the application's database."""

    name: str
    columns: Mapping[str, str]
    id_strategy: IdStrategy = "database"

    def column(self, logical: str) -> str:
        return self.columns[logical]


@dataclass(frozen=True)
class Profile:
    """The tables a seeding command writes and the role value that means "admin"."""

    name: str
    kind: ProfileKind
    users: TableSpec
    audit: TableSpec | None
    admin_role: str = "admin"


ROLE = Profile(
    name="role",
    kind="role",
    users=TableSpec("users", ROLE_USER_COLUMNS),
    audit=TableSpec("audit_events", AUDIT_COLUMNS),
)
DJANGO = Profile(
    name="django",
    kind="django",
    users=TableSpec("auth_user", DJANGO_USER_COLUMNS),
    audit=None,
)
BUILT_IN = {"role": ROLE, "django": DJANGO}


def _fail(source: str, problem: str) -> InvalidInput:
    return InvalidInput(f"profile {source}: {problem}")


def _identifier(source: str, where: str, value: object) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise _fail(
            source,
            f"{where} must be an SQL identifier (letters, digits, underscore; not starting "
            f"with a digit; at most 63 characters), got {value!r}",
        )
    return value


def _table_spec(source: str, key: str, raw: object, defaults: Mapping[str, str]) -> TableSpec:
    if not isinstance(raw, dict):
        raise _fail(source, f'"{key}" must be an object with "table" and optional "columns"')
    unknown = set(raw) - _TABLE_KEYS
    if unknown:
        raise _fail(source, f'"{key}" has unknown keys {sorted(unknown)}; allowed: {sorted(_TABLE_KEYS)}')
    table = _identifier(source, f'"{key}.table"', raw.get("table"))
    columns_raw = raw.get("columns", {})
    if not isinstance(columns_raw, dict):
        raise _fail(source, f'"{key}.columns" must map logical names to column names')
    unknown_columns = set(columns_raw) - set(defaults)
    if unknown_columns:
        raise _fail(
            source,
            f'"{key}.columns" names unknown columns {sorted(unknown_columns)}; '
            f"the logical names are {sorted(defaults)}",
        )
    columns = {
        logical: _identifier(source, f'"{key}.columns.{logical}"', columns_raw.get(logical, default))
        for logical, default in defaults.items()
    }
    if len(set(columns.values())) != len(columns):
        raise _fail(source, f'"{key}.columns" maps two logical columns to the same column')
    id_strategy = raw.get("idStrategy", "database")
    if id_strategy not in ("database", "uuid"):
        raise _fail(
            source,
            f'"{key}.idStrategy" must be "database" (the database assigns ids) or "uuid" '
            f"(a random UUID string), got {id_strategy!r}",
        )
    return TableSpec(table, columns, id_strategy)


def parse_profile(document: object, source: str = "document") -> Profile:
    """Validate a custom profile document and return it, or raise InvalidInput."""
    if not isinstance(document, dict):
        raise _fail(source, "must be a JSON object")
    unknown = set(document) - _PROFILE_KEYS
    if unknown:
        raise _fail(source, f"unknown keys {sorted(unknown)}; allowed: {sorted(_PROFILE_KEYS)}")
    kind = document.get("kind")
    if kind not in ("role", "django"):
        raise _fail(source, f'"kind" must be "role" or "django", got {kind!r}')
    defaults = ROLE_USER_COLUMNS if kind == "role" else DJANGO_USER_COLUMNS
    if "users" not in document:
        raise _fail(source, '"users" is missing: name at least {"table": "..."}')
    users = _table_spec(source, "users", document["users"], defaults)
    audit_raw = document.get("audit", None)
    audit = None if audit_raw is None else _table_spec(source, "audit", audit_raw, AUDIT_COLUMNS)
    admin_role = document.get("adminRole", "admin")
    if kind == "django" and "adminRole" in document:
        raise _fail(source, '"adminRole" applies only to kind "role"')
    if not isinstance(admin_role, str) or not admin_role or len(admin_role) > 64:
        raise _fail(source, '"adminRole" must be a non-empty string of at most 64 characters')
    if audit is not None and audit.name == users.name:
        raise _fail(source, '"audit.table" must differ from "users.table"')
    return Profile(name=source, kind=kind, users=users, audit=audit, admin_role=admin_role)


def load_profile(selector: str, source: str = "ADMIN_TASKS_PROFILE") -> Profile:
    """``role``, ``django``, or the path of a JSON profile file; ``source`` names where the
    selector came from (the flag or the variable) in error messages."""
    if selector in BUILT_IN:
        return BUILT_IN[selector]
    path = Path(selector)
    if not path.is_file():
        raise InvalidInput(
            f"{source} {selector!r} is neither a built-in profile (role, django) nor a "
            "readable JSON file: name one of those"
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidInput(f"profile {path}: cannot be read as JSON ({exc})") from None
    return parse_profile(document, source=str(path))


def choose_profile(flag: str | None, environ: Mapping[str, str],
                   kind: ProfileKind | None) -> Profile:
    """The one way every command picks its profile: ``--profile``, else the variable
    ADMIN_TASKS_PROFILE, else the built-in profile of the command's ``kind`` (``init-db``,
    which takes any kind, defaults to ``role``)."""
    if flag:
        profile = load_profile(flag, "--profile")
    elif environ.get("ADMIN_TASKS_PROFILE"):
        profile = load_profile(environ["ADMIN_TASKS_PROFILE"])
    else:
        return BUILT_IN[kind or "role"]
    if kind is not None and profile.kind != kind:
        raise InvalidInput(
            f"profile {profile.name} is of kind {profile.kind!r} but this command needs a "
            f"{kind!r} profile: pass --profile {kind} (or a {kind} profile file), or unset "
            "ADMIN_TASKS_PROFILE"
        )
    return profile
