"""Property tests of ``validate_email``: the one gate every seeding command and the
launcher put in front of the database."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tasks.contract.errors import InvalidInput
from tasks.contract.validation import MAX_EMAIL_LENGTH, MAX_LOCAL_PART_LENGTH, validate_email
from tests.reliability.strategies import (
    ATEXT,
    domains,
    local_parts,
    unwanted_characters,
    valid_addresses,
)

FAST = settings(max_examples=300, deadline=None)

anything = st.one_of(
    st.text(),
    st.text(ATEXT + "@.", max_size=80),
    valid_addresses,
    st.none(), st.integers(), st.binary(), st.lists(st.text(), max_size=2),
)


def outcome(raw: object) -> str | None:
    """The accepted address, or None when rejected with InvalidInput (anything else raises)."""
    try:
        return validate_email(raw)  # type: ignore[arg-type]
    except InvalidInput as error:
        assert str(error), "a rejection must say what is wrong"
        return None


def has_whitespace_or_control(text: str) -> bool:
    return any(ch.isspace() or unicodedata.category(ch)[0] in "CZ" for ch in text)


@FAST
@given(anything)
@example("")
@example("a@b.co\n")
@example("a@b@c.co")
@example("x" * 65 + "@example.com")
@example("a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 61)
@example("'; drop table users; --@example.com")
def test_anything_is_either_rejected_cleanly_or_accepted_in_canonical_form(raw: object) -> None:
    accepted = outcome(raw)
    if accepted is None:
        return
    assert accepted == accepted.lower()
    assert len(accepted) <= MAX_EMAIL_LENGTH
    assert accepted.count("@") == 1
    assert len(accepted.split("@")[0]) <= MAX_LOCAL_PART_LENGTH
    assert not has_whitespace_or_control(accepted)
    assert validate_email(accepted) == accepted


@FAST
@given(valid_addresses)
def test_every_address_of_the_documented_grammar_is_accepted_lower_cased(address: str) -> None:
    assert validate_email(address) == address.lower()
    assert validate_email(address.upper()) == validate_email(address)


@FAST
@given(valid_addresses, unwanted_characters, st.data())
def test_whitespace_or_control_anywhere_is_rejected_not_stripped(
    address: str, unwanted: str, data: st.DataObject,
) -> None:
    position = data.draw(st.integers(0, len(address)), label="position")
    assert outcome(address[:position] + unwanted + address[position:]) is None


@FAST
@given(local_parts, domains)
def test_a_second_at_sign_is_always_rejected(local: str, domain: str) -> None:
    assert outcome(f"{local}@{local}@{domain}") is None


def address_of_length(length: int) -> str:
    """A 64-character local part and valid labels, padded to exactly ``length``."""
    address = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * (length - 197) + ".com"
    assert len(address) == length
    return address


def test_the_length_limits_are_exact() -> None:
    assert outcome(address_of_length(MAX_EMAIL_LENGTH)) == address_of_length(MAX_EMAIL_LENGTH)
    assert outcome(address_of_length(MAX_EMAIL_LENGTH + 1)) is None
    assert outcome("a" * (MAX_LOCAL_PART_LENGTH + 1) + "@example.com") is None
