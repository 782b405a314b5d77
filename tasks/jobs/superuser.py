"""``seed-superuser``: an idempotent, validated replacement for ``createsuperuser --noinput``.

Django's command exits 1 when the user exists, skips password validation and silently
does nothing without a TTY. Here an existing active superuser is ``exists`` (password
untouched), anything else with that username is ``refused``, and a new row gets every
NOT NULL column of ``auth_user`` (which has no database defaults).
"""

from __future__ import annotations

import re
import unicodedata

from tasks.contract.errors import InvalidInput
from tasks.contract.outcome import Changes, Decision
from tasks.jobs.operation import Scope, new_id_values
from tasks.jobs.passwords import check_password_policy, pbkdf2_sha256
from tasks.jobs.seeding import insert_or_lock
from tasks.jobs.users import DJANGO_FIELDS, django_user, with_username

_USERNAME = re.compile(r"[\w.@+-]{1,150}", re.ASCII)


def validate_username(raw: str, variable: str = "DJANGO_SUPERUSER_USERNAME") -> str:
    """Django's ASCII username rule, after its NFKC normalisation; ``variable`` is where
    the command reads the username when ``--username`` is not given."""
    username = unicodedata.normalize("NFKC", raw)
    if not _USERNAME.fullmatch(username):
        raise InvalidInput(
            "username must be 1-150 characters of letters, digits and @.+-_ "
            f"(set --username or {variable})"
        )
    return username


def checked_hash(password: str, attributes: dict[str, str], iterations: int) -> str:
    """The PBKDF2 hash of ``password`` once the policy accepts it against ``attributes``
    (the user's username, first_name, last_name and email as stored); InvalidInput if not."""
    check_password_policy(password, attributes)
    return pbkdf2_sha256(password, iterations=iterations)


def seed_superuser(scope: Scope, *, username: str, email: str, password_hash: str) -> Decision:
    """Inputs are validated, and the password checked and hashed, by the caller."""
    c = scope.profile.users.column
    written = {"username": username, "email": email, "password": password_hash,
               "isSuperuser": True, "isStaff": True, "isActive": True, "firstName": "",
               "lastName": "", "lastLogin": None, "dateJoined": scope.now}
    values = {**new_id_values(scope.profile.users), **{c(k): v for k, v in written.items()}}
    was_new, row = insert_or_lock(
        scope, values, conflict=scope.column("username"), conflict_where=None,
        match=with_username(scope, username), fields=DJANGO_FIELDS)
    # The schema, when one was given, is named in the record and in every message.
    user, subject = django_user(row), {"username": username}
    where = ""
    if scope.schema is not None:
        subject["schema"], where = scope.schema, f" in schema {scope.schema}"
    if was_new:
        # The audit record says a password was set, never what it or its hash is.
        return Decision("created", "superuser_seeded", f"created superuser {username}{where}",
                        user, Changes(None, {**written, "password": "set"}), subject)
    if row["isSuperuser"] and row["isActive"]:
        return Decision.unchanged("exists", "superuser_seed_noop",
                                  f"{username} is already an active superuser{where}; password "
                                  "left unchanged", user, subject)
    state = "inactive" if row["isSuperuser"] else "not a superuser"
    return Decision.unchanged(
        "refused", "superuser_seed_refused",
        f"user {username} exists{where} and is {state}; refusing to elevate or reactivate it. "
        "Change that account in the application, or choose another username", user, subject)
