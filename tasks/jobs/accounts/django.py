"""``deactivate-superuser`` and ``reset-superuser-password`` on the ``django`` profile.

``deactivate-superuser`` locks like ``remove-admin`` (see :mod:`tasks.jobs.accounts.role`):
every active superuser row and the target, FOR UPDATE in id order in one statement, and
it counts the other active superusers among them, so concurrent runs never leave none.
``reset-superuser-password`` locks the target row, checks the new password against the
row's own username, names and email as stored, and replaces the hash; Django then
refuses the old password, and every session made with it (a session carries an HMAC of
the password hash).
"""

from __future__ import annotations

from typing import Any

from tasks.contract.outcome import Changes, Decision
from tasks.jobs.operation import Scope
from tasks.jobs.passwords import check_password_policy
from tasks.jobs.users import DJANGO_FIELDS, active_superusers, django_user, with_username

SEED_INSTEAD = "to create a superuser, use seed-superuser"
#: What the audit record says of a password: never the password, its hash or any part.
PASSWORD_CHANGE = Changes({"password": "redacted"}, {"password": "changed"})


def _refused(event: str, message: str, row: dict[str, Any] | None, username: str) -> Decision:
    return Decision.unchanged("refused", event, message, django_user(row), {"username": username})


def deactivate_superuser(scope: Scope, username: str) -> Decision:
    """Set the superuser ``username`` inactive, never the last active one."""
    row, other_superusers = scope.lock_target(DJANGO_FIELDS, with_username(scope, username),
                                              counted=active_superusers(scope))
    event = "superuser_deactivate_refused"
    if row is None:
        return _refused(event, f"no user has the username {username}; nothing to deactivate",
                        None, username)
    if not row["isSuperuser"]:
        return _refused(event, f"user {username} is not a superuser; deactivate-superuser "
                        "deactivates only superusers: change that user in the application",
                        row, username)
    if not row["isActive"]:
        return Decision.unchanged("exists", "superuser_deactivate_noop",
                                  f"superuser {username} is already inactive; nothing changed",
                                  django_user(row), {"username": username})
    if not other_superusers:
        return _refused(event, f"{username} is the only active superuser: deactivating it would "
                        "leave none. Create another first (seed-superuser), then deactivate "
                        "this one", row, username)
    scope.update_user(row["id"], {"isActive": False})
    return Decision("deactivated", "superuser_deactivated", f"deactivated superuser {username}",
                    django_user({**row, "isActive": False}),
                    Changes({"isActive": True}, {"isActive": False}), {"username": username})


def reset_superuser_password(scope: Scope, *, username: str, password: str,
                             password_hash: str) -> Decision:
    """Replace the active superuser's password hash with ``password_hash`` (of ``password``,
    which is checked here against the stored row; InvalidInput if the policy refuses it)."""
    row, _ = scope.lock_target((*DJANGO_FIELDS, "firstName", "lastName"),
                               with_username(scope, username))
    event = "superuser_password_reset_refused"
    if row is None:
        return _refused(event, f"no user has the username {username}; {SEED_INSTEAD}", None,
                        username)
    if not row["isSuperuser"]:
        return _refused(event, f"user {username} is not a superuser; reset-superuser-password "
                        "sets only superusers' passwords: change that user in the application",
                        row, username)
    if not row["isActive"]:
        return _refused(event, f"superuser {username} is inactive, so a new password would not "
                        "let anyone in: reactivate it in the application first", row, username)
    check_password_policy(password, {"username": row["username"], "email": row["email"],
                                     "first_name": row["firstName"], "last_name": row["lastName"]})
    scope.update_user(row["id"], {"password": password_hash})
    return Decision("password-reset", "superuser_password_reset",
                    f"set a new password for superuser {username} (from DJANGO_SUPERUSER_PASSWORD)",
                    django_user(row), PASSWORD_CHANGE, {"username": username})
