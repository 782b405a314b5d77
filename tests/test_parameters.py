"""Parameter rules: what a value must be, and what a declaration may say."""

from __future__ import annotations

import time

import pytest

from tasks.contract.errors import InvalidInput
from tasks.contract.parameters import ParameterSpec, parse_parameter


def string(pattern: str, **extra: object) -> ParameterSpec:
    return parse_parameter("schema", {"type": "string", "description": "the schema",
                                      "pattern": pattern, **extra},
                           env_var="ADMIN_TASK_PARAM_SCHEMA")


@pytest.mark.parametrize("spec", [
    string("[a-z]*", required=False),
    parse_parameter("n", {"type": "integer", "description": "n"}, env_var="ADMIN_TASK_PARAM_N"),
    parse_parameter("c", {"type": "choice", "description": "c", "choices": ["a"]},
                    env_var="ADMIN_TASK_PARAM_C"),
    parse_parameter("e", {"type": "email", "description": "e"}, env_var="ADMIN_TASK_PARAM_E"),
], ids=["string", "integer", "choice", "email"])
def test_an_empty_value_is_refused_whatever_the_pattern(spec: ParameterSpec) -> None:
    """ECS may drop an empty environment value: what runs would differ from what was shown."""
    with pytest.raises(InvalidInput, match="is empty: give a value, or leave an optional "
                                           "parameter out"):
        spec.validate("")


@pytest.mark.parametrize(("pattern", "value"), [
    (r"\d{1,4}", "\u09ea0"),      # Bengali four looks like an 8 and int() reads it as 4
    (r"[\w-]{1,63}", "acm\u0435"),  # a Cyrillic e
    (r"\w+", "routine\u3164"),     # a Hangul filler, which renders as blank
])
def test_character_classes_match_ascii_only(pattern: str, value: str) -> None:
    with pytest.raises(InvalidInput, match="must match the pattern"):
        string(pattern).validate(value)


def test_a_pattern_that_backtracks_is_stopped_in_bounded_time() -> None:
    spec = string("([a-z0-9]+-?)+", maxLength=256)
    started = time.monotonic()
    with pytest.raises(InvalidInput, match=r"could not be checked against its pattern .* within 2 s"):
        spec.validate("a" * 40 + "!")
    assert time.monotonic() - started < 5
    assert spec.validate("acme-eu-1") == "acme-eu-1"


@pytest.mark.parametrize("env", ["DATABASE_HOST", "PGHOSTADDR", "PYTHONWARNINGS", "PATH",
                                 "ADMIN_TASKS_PROFILE", "ADMIN_TASKS_DATABASE_AUTH",
                                 "ADMIN_TASK_ACTOR", "ADMIN_TASK_PREVIEW", "ADMIN_TASK_REASON"])
def test_a_parameter_may_not_fill_a_variable_outside_its_namespace(env: str) -> None:
    with pytest.raises(InvalidInput, match="env must be ADMIN_TASK_PARAM_<NAME>, ADMIN_EMAIL or "
                                           "ADMIN_USERNAME"):
        parse_parameter("x", {"type": "email", "description": "x", "required": True, "env": env})


@pytest.mark.parametrize("env", ["ADMIN_TASK_PARAM_DAYS", "ADMIN_EMAIL", "ADMIN_USERNAME"])
def test_the_parameter_namespace(env: str) -> None:
    spec = parse_parameter("x", {"type": "email", "description": "x", "required": True,
                                 "env": env})
    assert spec.env_var == env


@pytest.mark.parametrize(("bounds", "rule"), [
    ({"min": 30, "max": 3650}, "whole number from 30 to 3650"),
    ({"min": -5}, "whole number, at least -5"),
    ({"max": 7}, "whole number, at most 7"),
    ({}, "whole number"),
], ids=["both", "min", "max", "none"])
def test_an_integer_rule_reads_in_plain_ascii(bounds: dict[str, int], rule: str) -> None:
    """The approval request shows a rule in a code span, where a non-ASCII character (such
    as a less-or-equal sign) would be followed by its escapes as if an operator typed it."""
    spec = parse_parameter("n", {"type": "integer", "description": "n", **bounds},
                           env_var="ADMIN_TASK_PARAM_N")
    assert spec.rule() == rule
