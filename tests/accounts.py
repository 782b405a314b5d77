"""Rows and records the account-command tests set up and read back."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import Database
from tests.test_seed_admin import CREATED_AT, insert_user

__all__ = ["APPROVALS", "CREATED_AT", "admins", "audit_metadata", "insert_superuser",
           "insert_user", "superusers", "without_times"]

#: What the launcher sets for a reviewed run, so every test sees it carried into the record.
APPROVALS = {"ADMIN_TASK_APPROVED_BY": "bob-dba,carol",
             "ADMIN_TASK_APPROVAL_COMMENT": "checked with the owner"}
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")


def insert_superuser(db: Database, username: str, *, superuser: bool = True, active: bool = True,
                     email: str = "", first_name: str = "", last_name: str = "",
                     password: str = "!unusable") -> None:
    db.execute(
        "insert into auth_user (password, is_superuser, username, first_name, last_name, email, "
        "is_staff, is_active, date_joined) values (:password, :su, :username, :first, :last, "
        ":email, :su, :active, :joined)",
        password=password, su=superuser, username=username, first=first_name, last=last_name,
        email=email or f"{username}@example.com", active=active, joined=CREATED_AT,
    )


def admins(db: Database) -> list[str]:
    """The emails of the active, live admins: what the invariant is about."""
    return sorted(u["email"] for u in db.rows("users")
                  if u["role"] == "admin" and u["is_active"] and u["deleted_at"] is None)


def superusers(db: Database) -> list[str]:
    return sorted(u["username"] for u in db.rows("auth_user")
                  if u["is_superuser"] and u["is_active"])


def audit_metadata(row: dict[str, Any]) -> dict[str, Any]:
    metadata = row["metadata"]
    parsed: dict[str, Any] = metadata if isinstance(metadata, dict) else json.loads(metadata)
    return parsed


def without_times(value: Any) -> Any:
    """``value`` with every timestamp replaced, to compare what two runs did at different times."""
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return "<timestamp>"
    return value
