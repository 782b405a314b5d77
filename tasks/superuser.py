"""``seed-superuser``: an idempotent, validated replacement for ``createsuperuser --noinput``.

Django's command exits 1 when the user exists, skips password validation and silently
does nothing without a TTY. Here an existing active superuser is ``exists`` (password
untouched), anything else with that username is ``refused``, and a new row gets every
NOT NULL column of ``auth_user`` (which has no database defaults).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from sqlalchemy import Engine

from tasks.context import RunContext
from tasks.database import DatabaseTarget
from tasks.errors import InvalidInput
from tasks.outcome import Outcome, SeedResult
from tasks.passwords import check_password_policy, pbkdf2_sha256
from tasks.profiles import Profile
from tasks.schema import build_tables
from tasks.seeding import audit_name, insert_or_lock, new_id_values, transaction, write_audit

_USERNAME = re.compile(r"[\w.@+-]{1,150}", re.ASCII)


def validate_username(raw: str) -> str:
    """Django's ASCII username rule, after its NFKC normalisation."""
    username = unicodedata.normalize("NFKC", raw)
    if not _USERNAME.fullmatch(username):
        raise InvalidInput(
            "username must be 1-150 characters of letters, digits and @.+-_ "
            "(set --username or DJANGO_SUPERUSER_USERNAME)"
        )
    return username


def seed_superuser(engine: Engine, target: DatabaseTarget, profile: Profile, *, username: str,
                   email: str, password: str, context: RunContext,
                   iterations: int) -> SeedResult:
    """Inputs are validated by the caller; the hash is computed before any connection."""
    # The new row's first and last names are empty, so these are all it can resemble.
    check_password_policy(password, {"username": username, "email": email})
    password_hash = pbkdf2_sha256(password, iterations=iterations)
    tables = build_tables(profile)
    users, spec = tables.users, profile.users
    c = spec.column
    now = datetime.now(UTC)
    values = {**new_id_values(spec), c("password"): password_hash, c("lastLogin"): None,
              c("isSuperuser"): True, c("username"): username, c("firstName"): "",
              c("lastName"): "", c("email"): email, c("isStaff"): True, c("isActive"): True,
              c("dateJoined"): now}
    username_column = users.c[c("username")]
    with transaction(engine, target) as connection:
        was_new, row = insert_or_lock(
            connection, users, values, conflict=username_column, conflict_where=None,
            match=username_column == username,
            columns=[c("id"), c("isSuperuser"), c("isActive"), c("email")],
        )
        user_id, superuser, active, stored_email = row[0], bool(row[1]), bool(row[2]), row[3]
        outcome: Outcome
        if was_new:
            outcome, event, message = "created", "superuser_seeded", f"created superuser {username}"
        elif superuser and active:
            outcome, event = "exists", "superuser_seed_noop"
            message = f"{username} is already an active superuser; password left unchanged"
        else:
            outcome, event = "refused", "superuser_seed_refused"
            state = "inactive" if superuser else "not a superuser"
            message = (
                f"user {username} exists and is {state}; refusing to elevate or reactivate "
                "it. Change that account in the application, or choose another username"
            )
        write_audit(
            connection, tables.audit, profile.audit, event_type=event, user_id=user_id,
            context=context, details={"username": username, "outcome": outcome}, now=now,
        )
    user = {"id": user_id, "username": username, "email": stored_email,
            "isSuperuser": superuser, "isActive": active}
    return SeedResult(outcome, event, user, context, audit_name(profile), message)
