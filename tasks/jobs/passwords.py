"""Django-compatible password hashes and the password policy ``seed-superuser`` enforces.

Django's ``createsuperuser --noinput`` skips password validation; this package does
not. The hash format is Django's ``pbkdf2_sha256$<iterations>$<salt>$<base64 hash>``,
so the application verifies it with its own ``check_password``.

The policy rejects every password that Django 5.2's four default validators reject for
the same user attributes (UserAttributeSimilarityValidator, MinimumLengthValidator,
CommonPasswordValidator, NumericPasswordValidator), mirroring their algorithms without
importing Django (the container installs only SQLAlchemy and psycopg), and is stricter in
two ways: at least 12 characters instead of 8, and no non-printable characters.
tests/test_passwords.py checks the agreement against Django itself.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import secrets
import string
from collections.abc import Mapping
from difflib import SequenceMatcher
from functools import cache
from importlib import resources

from tasks.contract.binding import DEFAULT_ITERATIONS
from tasks.contract.errors import InvalidInput

MINIMUM_ITERATIONS = 600_000  # OWASP's floor for PBKDF2-HMAC-SHA256
MAXIMUM_ITERATIONS = 20_000_000  # ~10 s of hashing: a typo must not run until the task timeout
MINIMUM_LENGTH = 12  # stricter than Django's MinimumLengthValidator (8)
# UserAttributeSimilarityValidator's defaults: the attributes in its order, and the threshold.
USER_ATTRIBUTES = ("username", "first_name", "last_name", "email")
MAX_SIMILARITY = 0.7
_VERBOSE_NAMES = {"username": "username", "first_name": "first name",  # Django's User fields
                  "last_name": "last name", "email": "email address"}
_FIX = "set a stronger DJANGO_SUPERUSER_PASSWORD"
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
    source = resources.files("tasks.jobs").joinpath("data/common-passwords.txt")
    with source.open("r", encoding="utf-8") as lines:
        # Read as Django reads its copy: text mode, every remaining line stripped, none skipped
        # (entries such as "#1pimp" start with "#", so only the leading block is the header).
        return frozenset(line.strip() for line in itertools.dropwhile(_is_header, lines))


def _is_header(line: str) -> bool:
    return line.startswith("#")


def _exceeds_maximum_length_ratio(password: str, part: str) -> bool:
    """Django's shortcut: a part this much shorter than the password cannot be similar to it
    (its quick ratio is at most 2/11), so it is not compared."""
    return len(password) >= 10 * len(part) and len(part) < MAX_SIMILARITY / 2 * len(password)


def _similar_attributes(password: str, attributes: Mapping[str, str | None]) -> list[str]:
    """UserAttributeSimilarityValidator's test, for every attribute instead of the first."""
    lowered = password.lower()
    similar = []
    for name in USER_ATTRIBUTES:
        stored = attributes.get(name)
        if not stored or not isinstance(stored, str):
            continue  # Django skips missing, empty, NULL and non-text attributes
        value = stored.lower()
        # The whole value and its parts, so "contoso" in "ops@contoso.com" counts on its own.
        parts = [*re.split(r"\W+", value), value]
        if any(not _exceeds_maximum_length_ratio(lowered, part)
               and SequenceMatcher(a=lowered, b=part).quick_ratio() >= MAX_SIMILARITY
               for part in parts):
            similar.append(f"the {_VERBOSE_NAMES[name]}")
    return similar


def _broken_rules(password: str, attributes: Mapping[str, str | None]) -> list[str]:
    rules = []
    if len(password) < MINIMUM_LENGTH:
        rules.append(f"is shorter than {MINIMUM_LENGTH} characters")
    if password.isdigit():
        rules.append("is entirely numeric")
    if similar := _similar_attributes(password, attributes):
        rules.append(f"is too similar to {' and '.join(similar)}")
    if password.lower().strip() in common_passwords():
        rules.append("is in Django's list of common passwords (ignoring case and surrounding whitespace)")
    if not password.isprintable():
        rules.append("contains a non-printable character such as a newline or tab")
    return rules


def check_password_policy(password: str, attributes: Mapping[str, str | None]) -> None:
    """Raise InvalidInput naming every rule the password breaks (never the password itself).

    ``attributes`` holds the user's ``username``, ``first_name``, ``last_name`` and ``email``
    as stored (absent, empty or NULL ones are not compared, as in Django).
    """
    unknown = sorted(set(attributes) - set(USER_ATTRIBUTES))
    if unknown:
        # A programming error, not bad input: a misspelt key would silently skip a comparison.
        raise ValueError(f"unknown user attributes {unknown}; expected some of {USER_ATTRIBUTES}")
    rules = _broken_rules(password, attributes)
    if rules:
        listed = rules[0] if len(rules) == 1 else f"{', '.join(rules[:-1])} and {rules[-1]}"
        raise InvalidInput(f"the password {listed}; {_FIX}")
