"""Input validators shared by the container commands, the launcher and the stack.

Each validator returns the normalised value or raises :class:`InvalidInput` with a
message that names what is wrong and how to fix it. They reject rather than repair:
an email with a trailing newline is an error, not something to strip.
"""

from __future__ import annotations

import re
import unicodedata

from tasks.contract.errors import InvalidInput

MAX_EMAIL_LENGTH = 254
MAX_LOCAL_PART_LENGTH = 64
MAX_REASON_LENGTH = 500

# RFC 5322 dot-atom: atext characters, dots only between atoms.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_DOT_ATOM = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")
# RFC 1035 label (letters, digits, hyphen; no leading/trailing hyphen; 1-63 chars).
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_TOP_LEVEL_LABEL = re.compile(r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_ENVIRONMENT_NAME = re.compile(r"[a-z][a-z0-9-]{0,30}[a-z0-9]|[a-z]")


def _has_control_or_space(text: str) -> bool:
    return any(ch.isspace() or unicodedata.category(ch)[0] in "CZ" for ch in text)


def validate_email(raw: str) -> str:
    """Return ``raw`` lower-cased if it is an acceptable address, else raise InvalidInput."""
    if not isinstance(raw, str) or raw == "":
        raise InvalidInput("email is empty: pass an address such as --email you@example.com")
    if _has_control_or_space(raw):
        raise InvalidInput(
            "email contains whitespace or a control character: pass the bare address, "
            "without spaces, quotes or newlines"
        )
    if len(raw) > MAX_EMAIL_LENGTH:
        raise InvalidInput(
            f"email is {len(raw)} characters long: at most {MAX_EMAIL_LENGTH} are allowed"
        )
    if raw.count("@") != 1:
        raise InvalidInput(
            f"email must contain exactly one '@' (found {raw.count('@')}): "
            "use the form name@example.com"
        )
    local, domain = raw.split("@")
    if not local or len(local) > MAX_LOCAL_PART_LENGTH:
        raise InvalidInput(
            f"the part before '@' must be 1 to {MAX_LOCAL_PART_LENGTH} characters long"
        )
    if not _DOT_ATOM.fullmatch(local):
        raise InvalidInput(
            "the part before '@' may hold only letters, digits and !#$%&'*+/=?^_`{|}~- "
            "with single dots between them (no leading, trailing or double dots)"
        )
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidInput(
            "the domain after '@' must be dot-separated labels of letters, digits and "
            "inner hyphens, with at least one dot (e.g. example.com)"
        )
    if not _TOP_LEVEL_LABEL.fullmatch(labels[-1]):
        raise InvalidInput("the top-level domain must start with a letter (e.g. .com)")
    return raw.lower()


def validate_reason(raw: str, *, required: bool) -> str:
    """A free-text reason for the audit trail: printable, one line, bounded."""
    if raw == "":
        if required:
            raise InvalidInput(
                "a reason is required: say why this privileged task runs (--reason TEXT)"
            )
        return raw
    if any(unicodedata.category(ch)[0] == "C" for ch in raw):
        raise InvalidInput("reason contains a control character or newline: keep it to one line")
    if len(raw) > MAX_REASON_LENGTH:
        raise InvalidInput(
            f"reason is {len(raw)} characters long: at most {MAX_REASON_LENGTH} are allowed"
        )
    if raw.strip() == "":
        raise InvalidInput("reason is blank: say why this privileged task runs")
    return raw


def validate_environment_name(raw: str) -> str:
    """Environment names appear in IAM subjects, secret paths and log groups."""
    if not _ENVIRONMENT_NAME.fullmatch(raw):
        raise InvalidInput(
            f"environment name {raw!r} is not valid: use 1-32 lower-case letters, digits "
            "and inner hyphens, starting with a letter (e.g. staging, prod)"
        )
    return raw
