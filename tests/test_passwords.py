"""The password policy breaks exactly the rules Django 5.2's four default validators break,
plus this project's two stricter ones: at least 12 characters, and no non-printable ones.

Django (a test dependency; tasks/ never imports it) is the oracle: hand-picked edge cases
and generated corpora go through both, and the rules each names must match.
"""

from __future__ import annotations

import re
import string
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from functools import cache
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tasks.contract.errors import InvalidInput
from tasks.jobs import passwords
from tasks.jobs.passwords import check_password_policy, common_passwords
from tests.conftest import PROJECT_ROOT

STRICTER_LENGTH = 12
#: A phrase of our message for each rule, by the code Django's validator raises for it.
PHRASES = {"password_too_short": "shorter than 12 characters",
           "password_entirely_numeric": "is entirely numeric",
           "password_too_similar": "is too similar to",
           "password_too_common": "list of common passwords",
           "non_printable": "non-printable character"}  # ours only
ATTRIBUTE_PHRASES = {"username": "the username", "first_name": "the first name",
                     "last_name": "the last name", "email": "the email address"}
FIX = "; set a stronger DJANGO_SUPERUSER_PASSWORD"
ADMIN = {"username": "administrator", "email": "ops@contoso-widgets.com"}


@cache
def django_validators() -> list[Any]:
    import django
    from django.conf import settings as django_settings
    from django.contrib.auth import password_validation as v

    if not django_settings.configured:
        django_settings.configure()
    django.setup()  # the validators' messages are translated, which needs the app registry
    return [v.UserAttributeSimilarityValidator(), v.MinimumLengthValidator(),
            v.CommonPasswordValidator(), v.NumericPasswordValidator()]


class _Meta:
    """What the similarity validator asks of a model: no field, so it names the attribute."""

    @staticmethod
    def get_field(name: str) -> Any:
        from django.core.exceptions import FieldDoesNotExist

        raise FieldDoesNotExist(name)


def django_rules(password: str, attributes: Mapping[str, str | None]) -> dict[str, Any]:
    """Django's verdict: each broken rule's code, with the attribute it named (if any)."""
    from django.core.exceptions import ValidationError

    rules = {}
    for validator in django_validators():
        try:
            # A missing attribute is skipped, as on a model without that field.
            validator.validate(password, SimpleNamespace(**attributes, _meta=_Meta()))
        except ValidationError as error:
            rules[error.code] = (error.params or {}).get("verbose_name")
    return rules


def our_message(password: str, attributes: Mapping[str, str | None]) -> str:
    try:
        check_password_policy(password, attributes)
    except InvalidInput as error:
        assert error.exit_code == 2
        return str(error)
    return ""


def assert_agrees(password: str, attributes: Mapping[str, str | None]) -> set[str]:
    """Ours names Django's rules, plus the stricter length and the printable rule: so with 12+
    printable characters ours rejects iff Django does, and under 12 ours always rejects."""
    django = django_rules(password, attributes)
    message = our_message(password, attributes)
    ours = {code for code, phrase in PHRASES.items() if phrase in message}
    expected = set(django) - {"password_too_short"}
    expected |= {"password_too_short"} if len(password) < STRICTER_LENGTH else set()
    expected |= set() if password.isprintable() else {"non_printable"}
    assert ours == expected, message
    if "password_too_similar" in django:
        assert ATTRIBUTE_PHRASES[django["password_too_similar"]] in message
    assert message.endswith(FIX) if message else not ours
    return ours


@pytest.mark.parametrize(("password", "attributes", "rules"), [
    ("Administrat0r!", ADMIN, {"password_too_similar"}),  # the three examples
    ("contoso-widgets!", ADMIN, {"password_too_similar"}),  # the whole email
    (" password123 ", ADMIN, {"password_too_common"}),  # stripped before the lookup
    ("Contoso-Ltd!", {"email": "it@contoso-ltd.example"}, {"password_too_similar"}),  # a part
    ("Mailbox-2024!", {"username": "mailbox"}, {"password_too_similar"}),  # exactly 0.7
    ("Rotartsinimda!", ADMIN, {"password_too_similar"}),  # quick_ratio ignores the order
    ("Bartholomew-42", {"first_name": "Bartholomew"}, {"password_too_similar"}),
    ("Featherstone!9", {"last_name": "Featherstonehaugh"}, {"password_too_similar"}),
    ("\tQWERTYUIOP\u3000", ADMIN, {"password_too_common", "non_printable"}),
    ("  #1stunna   ", ADMIN, {"password_too_common"}),  # an entry that looks like a comment
    ("friend of emily", ADMIN, {"password_too_common"}),
    ("908172635409182736", ADMIN, {"password_entirely_numeric"}),
    ("\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662", ADMIN,
     {"password_entirely_numeric"}),  # Arabic-Indic digits: str.isdigit, as in Django
    ("Zq8!wLm#2pX", ADMIN, {"password_too_short"}),  # 11 characters: Django accepts it
    ("line-one\nline-two", ADMIN, {"non_printable"}),
    ("kwyjibo\n", {"username": "kwyjibo"},
     {"password_too_short", "password_too_similar", "non_printable"}),
    ("correct-horse-battery-staple", ADMIN, set()),
])
def test_each_rule_is_named_as_django_names_it(password: str, attributes: dict[str, str],
                                               rules: set[str]) -> None:
    assert assert_agrees(password, attributes) == rules
    message = our_message(password, attributes)
    assert password not in message and password.strip() not in message


@pytest.mark.parametrize(("password", "attributes"), [
    ("ab-cd-ef-gh-ij", {"username": "ab", "email": "a@b.co"}),  # attributes under 3 characters
    ("xyxyxyxyxyxy", {"username": "xy", "first_name": "", "last_name": "x"}),
    ("abcdefghijkl", {}),
    ("", {"username": "", "first_name": ""}),  # empty attributes are not compared
    ("op.s@op.s@ops", {"email": "op.s@op.s"}),  # "\W+" splits off an empty part
    ("STRASSE-strasse", {"first_name": "Straße"}),
    ("\u0130stanbul-\u0130stanbul", {"first_name": "istanbul-istanbul"}),  # lower() lengthens İ
    ("M\u00dcLLER-L\u00dcDENSCHEIDT", {"last_name": "M\u00fcller-L\u00fcdenscheidt"}),
    ("x" * 10_000, {"username": "x" * 150}),  # Django's length-ratio shortcut skips it
    ("a" * 149 + "!", {"username": "a" * 150}),
    ("administrator" * 9, ADMIN), ("administrator" * 10, ADMIN),  # either side of the shortcut
    ("\u00b2\u00b3" * 6, ADMIN), ("1234567890 1", ADMIN), (" 123456789012 ", ADMIN),
    # NULL columns of a legacy or custom user table are skipped, as Django skips None
    ("Administrat0r!", {"username": "administrator", "first_name": None, "last_name": None,
                        "email": None}),
    ("correct-horse-battery-staple", {"username": "ops", "email": None}),
])
def test_edge_cases_agree_with_django(password: str,
                                      attributes: dict[str, str | None]) -> None:
    assert_agrees(password, attributes)


USERNAME_CHARACTERS = string.ascii_letters + string.digits + "_.@+-"
words = st.text(string.ascii_lowercase, min_size=1, max_size=12)
attributes_strategy = st.fixed_dictionaries(
    {"username": st.text(USERNAME_CHARACTERS, min_size=1, max_size=20)
     | st.text(USERNAME_CHARACTERS, min_size=100, max_size=150),
     "email": st.builds("{}@{}.{}".format, words, st.lists(words, min_size=1, max_size=3)
                        .map("-".join), st.sampled_from(["com", "co.uk"])) | st.emails()},
    optional={name: st.text(st.characters(categories=["L", "Zs", "Pd"]), max_size=20)
              for name in ("first_name", "last_name")},
)
#: Mostly spaces (printable, so only Django's rules apply), sometimes other whitespace.
padding = st.text(" ", max_size=5) | st.text(" \t\u00a0\u3000", max_size=3)
LEET = str.maketrans("aeiost", "4310$7")


@cache
def django_common_list() -> list[str]:
    return sorted(django_validators()[2].passwords)


@st.composite
def with_case_changes(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.swapcase() if flip else c for c, flip in zip(text, flips, strict=True))


@st.composite
def resembling(draw: st.DrawFn, attributes: Mapping[str, str]) -> str:
    """A piece of an attribute: cut, repeated, re-cased, maybe leet, with a little around it."""
    value = draw(st.sampled_from([v for v in attributes.values() if v]))
    piece = draw(st.sampled_from([*re.split(r"\W+", value), value]))
    start, cut = draw(st.integers(0, len(piece) // 4)), draw(st.integers(0, len(piece) // 4))
    piece = piece[start:len(piece) - cut] * draw(st.integers(1, 2))
    piece = piece.translate(LEET) if draw(st.booleans()) else piece
    return draw(padding) + draw(with_case_changes(piece)) + draw(st.text(string.printable, max_size=5))


def assert_agrees_in_corpus(password: str, attributes: Mapping[str, str]) -> None:
    rules = assert_agrees(password, attributes)
    # --hypothesis-show-statistics shows how a corpus spreads over the rules.
    event(f"{'under' if len(password) < STRICTER_LENGTH else 'from'} 12: {sorted(rules)}")


CORPUS = settings(max_examples=300, deadline=None)


@CORPUS
@given(attributes=attributes_strategy, data=st.data())
def test_passwords_built_from_the_attributes_agree(attributes: dict[str, str],
                                                   data: st.DataObject) -> None:
    assert_agrees_in_corpus(data.draw(resembling(attributes)), attributes)


@CORPUS
@given(attributes=attributes_strategy, entry=st.deferred(lambda: st.sampled_from(django_common_list())),
       data=st.data())
def test_common_passwords_recased_and_padded_agree(attributes: dict[str, str], entry: str,
                                                   data: st.DataObject) -> None:
    suffix = data.draw(st.sampled_from(["", "", "1", "!"]))
    password = data.draw(padding) + data.draw(with_case_changes(entry)) + suffix + data.draw(padding)
    assert_agrees_in_corpus(password, attributes)


@CORPUS
@given(attributes=attributes_strategy,
       password=st.text(max_size=40) | st.text(string.printable, min_size=10, max_size=40)
       | st.text(st.characters(categories=["Nd"]), min_size=10, max_size=20))
def test_random_strings_agree(attributes: dict[str, str], password: str) -> None:
    assert_agrees_in_corpus(password, attributes)


def test_the_shipped_list_is_djangos_whole_list() -> None:
    assert common_passwords() == django_validators()[2].passwords
    with (PROJECT_ROOT / "tasks/jobs/data/common-passwords.txt").open(encoding="utf-8") as lines:
        header = "".join(next(lines) for _ in range(3))
    assert "django/contrib/auth/common-passwords.txt.gz" in header and "BSD-3-Clause" in header


def test_the_list_is_read_on_first_use_only() -> None:
    probe = textwrap.dedent("""
        import sys
        opened = []
        sys.addaudithook(lambda event, args: opened.append(args) if event == "open"
                         and "common-passwords" in str(args[0]) else None)
        import tasks.cli, tasks.jobs.superuser, tasks.jobs.passwords
        print(len(opened))
        for _ in range(2):
            tasks.jobs.passwords.check_password_policy("a fine passphrase", {})
        print(len(opened))
    """)
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=PROJECT_ROOT, check=True, timeout=60)
    assert run.stdout.split() == ["0", "1"]


def test_parts_far_shorter_than_the_password_are_not_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    """Django's shortcut: such a part cannot reach the threshold, so it is not worth a comparison."""
    compared: list[str] = []
    matcher = passwords.SequenceMatcher

    def spy(*, a: str, b: str) -> Any:
        compared.append(b)
        return matcher(a=a, b=b)

    monkeypatch.setattr(passwords, "SequenceMatcher", spy)
    check_password_policy("k" * 160, {"username": "y" * 15, "email": "ops@example.com"})
    assert compared == []
    check_password_policy("k" * 149, {"username": "y" * 15})
    assert compared == ["y" * 15, "y" * 15]  # the value's one part, then the whole value


def test_an_unknown_attribute_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="firstname"):
        check_password_policy("correct-horse-battery-staple", {"firstname": "Ada"})
