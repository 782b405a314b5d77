"""The email validator shared by the container and the launcher."""

from __future__ import annotations

import pytest

from tasks.contract.errors import InvalidInput
from tasks.contract.validation import validate_email, validate_environment_name, validate_reason


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Ops@Example.com", "ops@example.com"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("`id`@example.com", "`id`@example.com"),  # valid atext: data, never a shell word
        ("a@x-y.example", "a@x-y.example"),
        ("x" * 64 + "@example.com", "x" * 64 + "@example.com"),
    ],
)
def test_valid_addresses_are_accepted_and_lower_cased(raw: str, stored: str) -> None:
    assert validate_email(raw) == stored


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "email is empty"),
        ("a@example.com\n", "whitespace or a control character"),
        ("a\u200b@example.com", "whitespace or a control character"),
        ("a@b@example.com", "exactly one '@' (found 2)"),
        ("x" * 65 + "@example.com", "1 to 64 characters"),
        ("a@" + "b" * 250 + ".com", "at most 254 are allowed"),
        ("a..b@example.com", "single dots"),
        ("a@example", "at least one dot"),
        ("a@example.123", "top-level domain must start with a letter"),
    ],
)
def test_invalid_addresses_say_what_is_wrong(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_email(raw)


def test_reason_is_one_bounded_printable_line() -> None:
    assert validate_reason("rotate the first admin", required=True) == "rotate the first admin"
    assert validate_reason("", required=False) == ""
    for bad in ("", "   ", "line\nbreak", "x" * 501):
        with pytest.raises(InvalidInput):
            validate_reason(bad, required=True)


@pytest.mark.parametrize("name", ["Prod", "my env", "prod*", "-prod", "prod-", "", "a" * 33])
def test_environment_names_are_lower_case_words(name: str) -> None:
    with pytest.raises(InvalidInput, match="environment name"):
        validate_environment_name(name)
    assert validate_environment_name("staging-eu") == "staging-eu"
