"""The task parameters of a ``run``: ``--param KEY=VALUE`` and the workflow's ``params``
query, parsed and validated against the task's contract (its parameter types are the
container's own, :mod:`tasks.contract.parameters`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote

from tasks.contract.errors import InvalidInput
from tasks.contract.task_settings import TaskContract

MAX_PARAMS_LENGTH = 4096
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class GivenParameter:
    """A validated parameter value and the variable it travels in."""

    name: str
    env_var: str
    value: str


def params_query(query: str) -> list[str]:
    """The workflow's ``params`` input: ``name=value`` pairs joined by ``&``; inside a name
    or value ``%XX`` is a UTF-8 escape, so ``&`` is ``%26``, ``%`` is ``%25`` (``+`` and
    ``=`` in a value are themselves). Returns ``--param`` strings."""
    if query == "":
        return []
    if len(query) > MAX_PARAMS_LENGTH:
        raise InvalidInput(f"the params input is {len(query)} characters long; at most "
                           f"{MAX_PARAMS_LENGTH}")
    pairs = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if not equals or not name:
            raise InvalidInput(f"the params input has {part!r}, not name=value: separate pairs "
                               "with & and write a literal & as %26, e.g. days=90&schema=acme")
        pairs.append(f"{_unescape(name)}={_unescape(value)}")
    return pairs


def _unescape(text: str) -> str:
    if _LONE_PERCENT.search(text):
        raise InvalidInput("the params input has a % that starts no escape: write a literal % "
                           "as %25 (and & as %26)")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise InvalidInput("the params input has %-escapes that are not UTF-8") from None


def parse_parameters(task_name: str, contract: TaskContract,
                     raw_params: Sequence[str]) -> tuple[GivenParameter, ...]:
    """``KEY=VALUE`` strings → validated parameters, each given once, none unknown."""
    given: dict[str, str] = {}
    for raw in raw_params:
        name, equals, value = raw.partition("=")
        if not equals or not name:
            raise InvalidInput(f"--param {raw!r} is malformed: use --param KEY=VALUE")
        if name in given:
            raise InvalidInput(f"--param {name} is given twice: pass each parameter once")
        if name not in {p.name for p in contract.parameters}:
            known = ", ".join(p.name for p in contract.parameters) or "none"
            raise InvalidInput(f"task {task_name} has no parameter {name!r} (its parameters: "
                               f"{known})")
        given[name] = value
    found = []
    for parameter in contract.parameters:
        if parameter.name in given:
            found.append(GivenParameter(parameter.name, parameter.env_var,
                                        parameter.validate(given[parameter.name])))
        elif parameter.required:
            raise InvalidInput(f"task {task_name} needs --param {parameter.name}=… "
                               f"({parameter.description})")
    return tuple(found)


