"""Launch settings: the one JSON document the stack produces and the launcher reads.

The stack exports it (output ``launchSettings``, GitHub environment variable
``ADMIN_TASKS_SETTINGS``) through :func:`settings_document`; the launcher parses it
with :func:`parse_settings`. One schema, so the two cannot drift apart.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from tasks.contract.errors import InvalidInput
from tasks.contract.task_settings import TaskSettings, parse_task
from tasks.contract.validation import validate_environment_name

# The AWS formats below are shared with the stack config (infra/config_rules.py) and the
# policy pack, so a value the stack accepts is one the launcher accepts.
PARTITION = r"aws(?:-[a-z]+)*"
REGION = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d")
CLUSTER_ARN = re.compile(
    rf"arn:(?P<partition>{PARTITION}):ecs:(?P<region>[a-z0-9-]+):(?P<account>\d{{12}}):"
    r"cluster/(?P<name>[A-Za-z0-9_-]{1,255})"
)
SUBNET = re.compile(r"subnet-[0-9a-f]{8,17}")
SECURITY_GROUP = re.compile(r"sg-[0-9a-f]{8,17}")
_LOG_GROUP = re.compile(r"[A-Za-z0-9_./#-]{1,512}")
#: A settings document is a few KiB; anything past this is not one (and is not read whole).
MAX_SETTINGS_BYTES = 1 << 20
#: Deeper than any document here; far below where Python's json would recurse too deep.
MAX_JSON_DEPTH = 32
MAX_NUMBER_DIGITS = 100
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_TOP_KEYS = {"environment", "region", "cluster", "subnets", "securityGroups", "assignPublicIp",
             "logGroup", "requireApproval", "requiredApprovals", "tasks"}
#: How many distinct people may be required to approve one run (stack config
#: requiredApprovals): one GitHub environment per approval (approval_environments).
MAX_REQUIRED_APPROVALS = 6

__all__ = ["LaunchSettings", "TaskSettings", "approval_environments", "load_settings",
           "parse_settings", "settings_document"]


def approval_environments(environment: str, required: int) -> tuple[str, ...]:
    """The GitHub environments whose approvals count for a run of ``environment``: its own,
    then ``<environment>-approval-2`` … ``-approval-<required>``. GitHub lets any one
    reviewer approve an environment, so each further approval is one more environment
    (same reviewers), each gating one job of the workflow."""
    return (environment, *(f"{environment}-approval-{n}" for n in range(2, required + 1)))


@dataclass(frozen=True)
class LaunchSettings:
    """Where and how admin tasks of one environment run."""

    environment: str
    region: str
    cluster: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    assign_public_ip: bool
    log_group: str
    require_approval: bool
    required_approvals: int
    """Distinct people, none of them a requester, who must approve a run (when
    ``require_approval``), one per environment of :func:`approval_environments`."""
    tasks: Mapping[str, TaskSettings]
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The validated document itself: what a request digest binds (tasks.launcher.inputs)."""

    def binding(self, task: str) -> dict[str, Any]:
        """Everything the settings say about starting ``task``: its entry, where it runs
        and whether it needs an approval (the other tasks' entries left out)."""
        return {**{k: v for k, v in self.document.items() if k != "tasks"},
                "task": self.document["tasks"][task]}


def settings_document(*, environment: str, region: str, cluster: str, subnets: list[str],
                      security_groups: list[str], assign_public_ip: bool, log_group: str,
                      require_approval: bool, required_approvals: int,
                      tasks: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The JSON-ready document (keys in the contract's spelling), validated on the way out."""
    document = {
        "environment": environment, "region": region, "cluster": cluster,
        "subnets": subnets, "securityGroups": security_groups,
        "assignPublicIp": assign_public_ip, "logGroup": log_group,
        "requireApproval": require_approval, "requiredApprovals": required_approvals,
        "tasks": {name: dict(task) for name, task in tasks.items()},
    }
    parse_settings(document)
    return document


def _bad(where: str, problem: str) -> InvalidInput:
    return InvalidInput(
        f"launch settings: {where} {problem}. Re-export them from the stack "
        "(`pulumi stack output launchSettings`) or fix ADMIN_TASKS_SETTINGS"
    )


def _string(document: Mapping[str, Any], key: str, pattern: re.Pattern[str], where: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _bad(f"{where}{key}", f"is missing or malformed (got {value!r})")
    return value


def _ids(document: Mapping[str, Any], key: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
    value = document.get(key)
    if (not isinstance(value, list) or not value or len(value) > 16
            or not all(isinstance(v, str) and pattern.fullmatch(v) for v in value)):
        raise _bad(key, f"must be a list of 1-16 ids like {pattern.pattern[:7]}… (got {value!r})")
    return tuple(value)


def parse_settings(document: object) -> LaunchSettings:
    """Validate a decoded launch-settings document; raise InvalidInput naming the bad key."""
    if not isinstance(document, dict):
        raise _bad("the document", "must be a JSON object")
    unknown, missing = set(document) - _TOP_KEYS, _TOP_KEYS - set(document)
    if unknown or missing:
        raise _bad("the document", f"has unknown keys {sorted(unknown)} / lacks {sorted(missing)}")
    try:
        environment = validate_environment_name(str(document["environment"]))
    except InvalidInput as error:
        raise _bad("environment", str(error)) from None
    for key in ("assignPublicIp", "requireApproval"):
        if not isinstance(document[key], bool):
            raise _bad(key, "must be true or false")
    required = document["requiredApprovals"]
    if not isinstance(required, int) or isinstance(required, bool) \
            or not 1 <= required <= MAX_REQUIRED_APPROVALS:
        raise _bad("requiredApprovals", f"must be a whole number from 1 to "
                   f"{MAX_REQUIRED_APPROVALS} (got {required!r})")
    tasks = document["tasks"]
    if not isinstance(tasks, dict) or not tasks:
        raise _bad("tasks", "must map at least one task name to its settings")
    return LaunchSettings(
        environment=environment,
        region=_string(document, "region", REGION, ""),
        cluster=_string(document, "cluster", CLUSTER_ARN, ""),
        subnets=_ids(document, "subnets", SUBNET),
        security_groups=_ids(document, "securityGroups", SECURITY_GROUP),
        assign_public_ip=document["assignPublicIp"],
        log_group=_string(document, "logGroup", _LOG_GROUP, ""),
        require_approval=document["requireApproval"],
        required_approvals=required,
        tasks={str(name): parse_task(str(name), raw, _bad) for name, raw in tasks.items()},
        document=document,
    )


def _nesting_depth(text: str) -> int:
    """How deep arrays and objects nest, brackets inside strings not counted: at least as
    deep as Python's json recurses on ``text``, valid or not."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_JSON_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"the key {key[:60]!r} appears twice in one object")
        seen.add(key)
    return dict(pairs)


def _integer(digits: str) -> int:
    count = len(digits.lstrip("-"))
    if count > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number has {count} digits (at most {MAX_NUMBER_DIGITS})")
    return int(digits)


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is out of range")
    return number


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON value")


def strict_json(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> object:
    """``json.loads`` for text from outside: raise ValueError (saying why) for what is not
    JSON although Python accepts it (NaN, Infinity, a key twice in one object) and for
    what would crash it (nesting past ``max_depth``, numbers of thousands of digits)."""
    if _nesting_depth(text) > max_depth:
        raise ValueError(f"arrays and objects nest deeper than {max_depth} levels")
    return json.loads(text, object_pairs_hook=_unique_keys, parse_int=_integer,
                      parse_float=_finite, parse_constant=_no_constant)


def too_large(source: str) -> InvalidInput:
    return InvalidInput(f"launch settings from {source} are larger than "
                        f"{MAX_SETTINGS_BYTES >> 20} MiB: that is not a launch settings "
                        "document (`pulumi stack output launchSettings`)")


def load_settings(text: str, source: str) -> LaunchSettings:
    """Parse the JSON text of ``source`` (the variable or file it came from)."""
    if len(text) > MAX_SETTINGS_BYTES:
        raise too_large(source)
    try:
        document = strict_json(text)
    except ValueError as error:
        raise InvalidInput(f"launch settings from {source} are not valid JSON ({error})") from None
    return parse_settings(document)
