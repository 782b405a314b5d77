"""Task parameters: what an operator may pass to a task, and the one validator per type.

A parameter is declared once — in code for the built-in tasks (:mod:`tasks.contract.catalog`),
in stack config for application tasks (:mod:`tasks.contract.app_tasks`) — and travels to the
launcher inside the launch settings as :meth:`ParameterSpec.to_document`. The launcher
validates every value with :meth:`ParameterSpec.validate` before any AWS call and hands
it to the container as the environment variable ``env_var``, never inside a shell string.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

from tasks.contract.bounded_match import PATTERN_SECONDS, bounded_full_match
from tasks.contract.errors import InvalidInput
from tasks.contract.validation import validate_email

ParameterType = Literal["string", "email", "integer", "choice"]
TYPES: tuple[ParameterType, ...] = ("string", "email", "integer", "choice")
MAX_STRING_LENGTH = 256
MAX_CHOICES = 64
MAX_DESCRIPTION_LENGTH = 200
PARAMETER_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
# Parameters may only fill variables of their own namespace: ADMIN_TASK_PARAM_<NAME>
# (every application task's, and a built-in task's newer ones such as seed-superuser's
# schema), or the two inputs the built-in commands read since before it. Never
# DATABASE_*, PG*, PYTHON*, PATH, the package's own settings (ADMIN_TASKS_*) or the
# run context.
PARAMETER_ENV = re.compile(r"ADMIN_TASK_PARAM_[A-Z0-9_]{1,40}|ADMIN_EMAIL|ADMIN_USERNAME")

_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_TYPE_KEYS: dict[str, set[str]] = {"string": {"pattern", "maxLength"}, "email": set(),
                                   "integer": {"min", "max"}, "choice": {"choices"}}


def app_parameter_env(name: str) -> str:
    """The variable an application task's parameter travels in: ADMIN_TASK_PARAM_<NAME>."""
    return f"ADMIN_TASK_PARAM_{name.upper()}"


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of one task, with the rule its values must follow."""

    name: str
    type: ParameterType
    description: str
    env_var: str
    required: bool = True
    pattern: str | None = None
    max_length: int = MAX_STRING_LENGTH
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()

    def validate(self, raw: str) -> str:
        """The value as it reaches the container, or InvalidInput naming the rule."""
        if raw == "":
            raise self._refuse("is empty: give a value, or leave an optional parameter out")
        if self.type == "email":
            try:
                return validate_email(raw)
            except InvalidInput as error:
                raise InvalidInput(f"parameter {self.name}: {error}") from None
        if any(unicodedata.category(ch)[0] == "C" for ch in raw):
            raise self._refuse("contains a control character or a line break")
        if self.type == "integer":
            return self._integer(raw)
        if self.type == "choice":
            if raw not in self.choices:
                raise self._refuse(f"must be one of {', '.join(self.choices)}")
            return raw
        if len(raw) > self.max_length:
            raise self._refuse(f"is {len(raw)} characters long; at most {self.max_length}")
        if self.pattern is None or not self._matches(self.pattern, raw):
            raise self._refuse(f"must match the pattern {self.pattern}")
        return raw

    def _matches(self, pattern: str, raw: str) -> bool:
        try:
            return bounded_full_match(pattern, raw)
        except TimeoutError:
            raise self._refuse(f"could not be checked against its pattern {pattern} within "
                               f"{PATTERN_SECONDS:g} s: the pattern backtracks on this value; "
                               "simplify the pattern in the stack config") from None
        except ValueError:
            raise self._refuse(f"could not be checked against its pattern {pattern}") from None

    def _integer(self, raw: str) -> str:
        if not _INTEGER.fullmatch(raw):
            raise self._refuse("must be a whole number written in ASCII digits, e.g. 90")
        value = int(raw)
        if self.minimum is not None and value < self.minimum:
            raise self._refuse(f"must be at least {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise self._refuse(f"must be at most {self.maximum}")
        return str(value)

    def _refuse(self, rule: str) -> InvalidInput:
        return InvalidInput(f"parameter {self.name} {rule} ({self.description})")

    def rule(self) -> str:
        """The rule in words, for the approval request and the docs: plain ASCII, so that
        only a value the operator gave is ever shown with escapes."""
        if self.type == "string":
            return f"matches {self.pattern}, at most {self.max_length} characters"
        if self.type == "integer":
            low, high = self.minimum, self.maximum
            bounds = (f" from {low} to {high}" if low is not None and high is not None
                      else f", at least {low}" if low is not None
                      else f", at most {high}" if high is not None else "")
            return f"whole number{bounds}"
        if self.type == "choice":
            return "one of " + ", ".join(self.choices)
        return "an email address (ASCII only, lower-cased)"

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {"type": self.type, "description": self.description,
                                    "required": self.required, "env": self.env_var}
        if self.type == "string":
            document |= {"pattern": self.pattern, "maxLength": self.max_length}
        elif self.type == "integer":
            document |= {k: v for k, v in (("min", self.minimum), ("max", self.maximum))
                         if v is not None}
        elif self.type == "choice":
            document["choices"] = list(self.choices)
        return document


def parse_parameter(name: str, raw: object, *, env_var: str | None = None) -> ParameterSpec:
    """A parameter from its document (stack config or launch settings); InvalidInput names
    the field. ``env_var`` is given for declarations (stack config), read from ``env``
    in the launch settings."""
    if not PARAMETER_NAME.fullmatch(name):
        raise InvalidInput(f"parameter name {name!r} must be 1-32 lower-case letters, digits "
                           "and underscores, starting with a letter")
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"parameter {name} must be an object with at least type and "
                           "description")
    kind = raw.get("type")
    if kind not in TYPES:
        raise InvalidInput(f"parameter {name}: type must be one of {', '.join(TYPES)} "
                           f"(got {kind!r})")
    allowed = {"type", "description", "required"} | _TYPE_KEYS[kind] | (
        set() if env_var else {"env"})
    unknown = set(raw) - allowed
    if unknown:
        raise InvalidInput(f"parameter {name}: unknown field(s) {sorted(unknown)} for type "
                           f"{kind}; allowed: {sorted(allowed)}")
    spec = ParameterSpec(name=name, type=cast(ParameterType, kind),
                         description=_description(name, raw.get("description")),
                         env_var=_env(name, env_var if env_var else raw.get("env")),
                         required=_flag(name, raw.get("required", True)))
    return _with_type_rules(spec, raw)


def _with_type_rules(spec: ParameterSpec, raw: Mapping[str, Any]) -> ParameterSpec:
    name = spec.name
    if spec.type == "string":
        return replace(spec, pattern=_pattern(spec, raw.get("pattern")),
                       max_length=_bounded_int(name, "maxLength", raw.get(
                           "maxLength", MAX_STRING_LENGTH), 1, MAX_STRING_LENGTH))
    if spec.type == "integer":
        low, high = (None if raw.get(k) is None else _bounded_int(name, k, raw[k], -10**18, 10**18)
                     for k in ("min", "max"))
        if low is not None and high is not None and low > high:
            raise InvalidInput(f"parameter {name}: min {low} is greater than max {high}")
        return replace(spec, minimum=low, maximum=high)
    if spec.type == "choice":
        choices = raw.get("choices")
        if (not isinstance(choices, list) or not 0 < len(choices) <= MAX_CHOICES
                or not all(isinstance(c, str) and c and len(c) <= MAX_STRING_LENGTH
                           and c.isprintable() for c in choices)
                or len(set(choices)) != len(choices)):
            raise InvalidInput(f"parameter {name}: choices must be a list of 1-{MAX_CHOICES} "
                               "different, non-empty printable strings")
        return replace(spec, choices=tuple(choices))
    return spec


def _description(name: str, raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_DESCRIPTION_LENGTH \
            or not raw.isprintable():
        raise InvalidInput(f"parameter {name}: description must be one printable line of 1-"
                           f"{MAX_DESCRIPTION_LENGTH} characters")
    return raw


def _env(name: str, raw: object) -> str:
    if not isinstance(raw, str) or not PARAMETER_ENV.fullmatch(raw):
        raise InvalidInput(f"parameter {name}: env must be ADMIN_TASK_PARAM_<NAME>, ADMIN_EMAIL or "
                           f"ADMIN_USERNAME (got {raw!r})")
    return raw


def _flag(name: str, raw: object) -> bool:
    if not isinstance(raw, bool):
        raise InvalidInput(f"parameter {name}: required must be true or false")
    return raw


def _bounded_int(name: str, key: str, raw: object, low: int, high: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise InvalidInput(f"parameter {name}: {key} must be a whole number from {low} to {high}")
    return raw


def _pattern(spec: ParameterSpec, raw: object) -> str:
    if not isinstance(raw, str) or not raw:
        raise InvalidInput(f"parameter {spec.name}: a string parameter needs a pattern (a "
                           "regular expression its whole value must match), e.g. [a-z0-9_]{1,63}")
    try:
        compiled = re.compile(raw, re.ASCII)
    except (re.error, RecursionError, OverflowError) as error:
        raise InvalidInput(f"parameter {spec.name}: pattern {raw!r} does not compile ({error})") \
            from None
    if spec.required and compiled.fullmatch(""):
        raise InvalidInput(f"parameter {spec.name}: pattern {raw!r} matches the empty string, so "
                           "a required value could be empty; make it match at least one character")
    return raw
