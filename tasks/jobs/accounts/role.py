"""``remove-admin`` and ``reactivate-admin`` on the ``role`` profile.

Locking (PostgreSQL; on SQLite ``BEGIN IMMEDIATE`` already runs one writer at a time):
``remove-admin`` locks, in one ``SELECT … ORDER BY id FOR UPDATE``, every active admin row
and the target row, then counts the *other* active admins among them. Two removals queue
on the first row they share; the second re-reads that row once the first commits (READ
COMMITTED re-checks a locked row), so it no longer counts an admin the first removed. A
row it locked cannot stop being an active admin before it commits, so the admins it
counted are still there when it does. An admin that a concurrent ``seed-admin`` has
inserted but not committed is not counted: that errs towards refusing, never towards none
left. ``reactivate-admin`` locks its target row, so concurrent runs change it once and
the others then see it active (``exists``).
"""

from __future__ import annotations

from typing import Any

from tasks.contract.outcome import Changes, Decision
from tasks.jobs.operation import Scope
from tasks.jobs.users import ROLE_FIELDS, active_admins, live_with_email, role_user

SEED_INSTEAD = "to make a new admin, use seed-admin with an address no live account has"


def _refused(event: str, message: str, row: dict[str, Any] | None, email: str) -> Decision:
    return Decision.unchanged("refused", event, message, role_user(row), {"email": email})


def remove_admin(scope: Scope, email: str) -> Decision:
    """Soft-delete the admin ``email`` (validated, lower-cased), never the last active one."""
    row, other_admins = scope.lock_target(ROLE_FIELDS, live_with_email(scope, email),
                                          counted=active_admins(scope))
    if row is None:
        return Decision.unchanged("absent", "admin_remove_noop",
                                  f"no live account has the address {email}; nothing to remove",
                                  None, {"email": email})
    if row["role"] != scope.profile.admin_role:
        return _refused("admin_remove_refused",
                        f"{email} belongs to an account with role {row['role']!r}, not an admin; "
                        "remove-admin removes only admins: change that account in the "
                        "application", row, email)
    if row["isActive"] and not other_admins:
        return _refused("admin_remove_refused",
                        f"{email} is the only active admin: removing it would leave no active "
                        "admin. Seed another admin first (seed-admin), then remove this one",
                        row, email)
    scope.update_user(row["id"], {"deletedAt": scope.now})
    return Decision("removed", "admin_removed",
                    f"removed admin {email} (soft-deleted: the address can be seeded again)",
                    role_user({**row, "deletedAt": scope.now}),
                    Changes({"deletedAt": None}, {"deletedAt": scope.now}), {"email": email})


def reactivate_admin(scope: Scope, email: str) -> Decision:
    """Set the inactive admin ``email`` active again; never elevates a non-admin."""
    row, _ = scope.lock_target(ROLE_FIELDS, live_with_email(scope, email))
    if row is None:
        return _refused("admin_reactivate_refused",
                        f"no live account has the address {email}, so there is nothing to "
                        f"reactivate; {SEED_INSTEAD}", None, email)
    if row["role"] != scope.profile.admin_role:
        return _refused("admin_reactivate_refused",
                        f"{email} belongs to an account with role {row['role']!r}, not an admin; "
                        f"refusing to elevate it: {SEED_INSTEAD}", row, email)
    if row["isActive"]:
        return Decision.unchanged("exists", "admin_reactivate_noop",
                                  f"{email} is already an active admin; nothing changed",
                                  role_user(row), {"email": email})
    scope.update_user(row["id"], {"isActive": True})
    return Decision("reactivated", "admin_reactivated", f"reactivated admin {email}",
                    role_user({**row, "isActive": True}),
                    Changes({"isActive": False}, {"isActive": True}), {"email": email})
