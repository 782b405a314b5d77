"""Django-compatible password hashes and the password policy ``seed-superuser`` enforces.

Django's ``createsuperuser --noinput`` skips password validation; this package does
not. The hash format is Django's ``pbkdf2_sha256$<iterations>$<salt>$<base64 hash>``,
so the application verifies it with its own ``check_password``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import string
from functools import cache
from importlib import resources

from tasks.errors import InvalidInput

DEFAULT_ITERATIONS = 1_000_000  # Django 5.2's PBKDF2PasswordHasher.iterations
MINIMUM_ITERATIONS = 600_000  # OWASP's floor for PBKDF2-HMAC-SHA256
MAXIMUM_ITERATIONS = 20_000_000  # ~10 s of hashing: a typo must not run until the task timeout
MINIMUM_LENGTH = 12
_SALT_ALPHABET = string.ascii_letters + string.digits
_SALT_LENGTH = 22  # Django's default: ~131 bits of entropy


def pbkdf2_sha256(password: str, *, iterations: int = DEFAULT_ITERATIONS, salt: str | None = None) -> str:
    if not MINIMUM_ITERATIONS <= iterations <= MAXIMUM_ITERATIONS:
        raise InvalidInput(
            f"PBKDF2 iterations must be from {MINIMUM_ITERATIONS:,} to {MAXIMUM_ITERATIONS:,}, "
            f"got {iterations:,}"
        )
    salt = salt or "".join(secrets.choice(_SALT_ALPHABET) for _ in range(_SALT_LENGTH))
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode('ascii')}"


@cache
def common_passwords() -> frozenset[str]:
    """Django's common-password list, read on first use; its header is the leading ``#`` lines."""
    source = resources.files("tasks").joinpath("data/common-passwords.txt")
    with source.open("r", encoding="utf-8") as lines:
        # Read as Django reads its copy: text mode, every remaining line stripped, none skipped
        # (entries such as "#1pimp" start with "#", so only the leading block is the header).
        return frozenset(line.strip() for line in itertools.dropwhile(_is_header, lines))


def _is_header(line: str) -> bool:
    return line.startswith("#")


def check_password_policy(password: str, *, username: str, email: str) -> None:
    """Raise InvalidInput naming the first rule the password breaks (never the password)."""
    fix = "; set a stronger DJANGO_SUPERUSER_PASSWORD"
    if len(password) < MINIMUM_LENGTH:
        raise InvalidInput(f"the password is shorter than {MINIMUM_LENGTH} characters{fix}")
    if password.isdigit():
        raise InvalidInput(f"the password is entirely numeric{fix}")
    lowered = password.lower()
    local_part = email.partition("@")[0].lower()
    for name, value in (("username", username.lower()), ("email's local part", local_part)):
        if len(value) >= 3 and value in lowered:
            raise InvalidInput(f"the password contains the {name}{fix}")
    if lowered.strip() in common_passwords():
        raise InvalidInput(f"the password is in the list of common passwords{fix}")
    if any(not ch.isprintable() for ch in password):
        raise InvalidInput(f"the password contains a control character or newline{fix}")
