"""Hypothesis strategies and inputs shared by the reliability tests."""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import strategies as st

from tasks.contract.validation import MAX_EMAIL_LENGTH, MAX_LOCAL_PART_LENGTH

ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
LABEL_INNER = string.ascii_letters + string.digits + "-"

atoms = st.text(ATEXT, min_size=1, max_size=12)
local_parts = st.lists(atoms, min_size=1, max_size=4).map(".".join).filter(
    lambda local: len(local) <= MAX_LOCAL_PART_LENGTH)
ALNUM = string.ascii_letters + string.digits

labels = st.one_of(
    st.sampled_from(ALNUM),
    st.builds(lambda first, middle, last: first + middle + last, st.sampled_from(ALNUM),
              st.text(LABEL_INNER, max_size=10), st.sampled_from(ALNUM)),
)
top_level_labels = st.builds(lambda first, rest: first + rest,
                             st.sampled_from(string.ascii_letters),
                             st.text(string.ascii_letters + string.digits, max_size=6))
domains = st.builds(lambda inner, top: ".".join([*inner, top]),
                    st.lists(labels, min_size=1, max_size=3), top_level_labels)
#: Addresses built from the grammar the validator documents: all must be accepted.
valid_addresses = st.builds(lambda local, domain: f"{local}@{domain}", local_parts,
                            domains).filter(lambda address: len(address) <= MAX_EMAIL_LENGTH)
#: Whitespace and control characters an operator could paste along with an address.
unwanted_characters = st.sampled_from(
    [" ", "\t", "\n", "\r", "\x00", "\x0b", "\x1b", "\x7f", "\u00a0", "\u2028", "\u200b",
     "\u3000", "\ufeff"])

#: A password the superuser policy accepts, and the cheapest iteration count it allows.
SUPERUSER_DEFAULTS = {"DJANGO_SUPERUSER_PASSWORD": "Ok-for-tests-7f3b9c2e1d",
                      "ADMIN_TASKS_PBKDF2_ITERATIONS": "600000"}

#: JSON as Python's json module writes it, NaN and the infinities included.
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20)


def _nested(depth: int, inner: str, opener: str) -> str:
    closer = {"[": "]", '{"k": ': "}"}[opener]
    return opener * depth + inner + closer * depth


#: Text shaped like JSON, and like the JSON that crashes or fools Python's json: deep
#: nesting, numbers of thousands of digits, a key twice, raw bytes that are not UTF-8.
json_texts = st.one_of(
    json_values.map(json.dumps),
    st.builds(_nested, st.integers(0, 3000), json_values.map(json.dumps),
              st.sampled_from(["[", '{"k": '])),
    st.integers(1, 6000).map(lambda digits: '{"ok": true, "n": ' + "9" * digits + "}"),
    st.builds(lambda key, first, second: f"{{{json.dumps(key)}: {first}, {json.dumps(key)}: "
                                         f"{second}}}",
              st.sampled_from(["ok", "environment", "tasks"]), json_values.map(json.dumps),
              json_values.map(json.dumps)),
    st.binary(max_size=200).map(lambda raw: raw.decode("utf-8", "surrogateescape")),
    st.text(),
)

#: A launch settings document the launcher accepts (the stack's shape for staging).
VALID_SETTINGS: dict[str, Any] = {
    "environment": "staging", "region": "eu-west-1",
    "cluster": "arn:aws:ecs:eu-west-1:111111111111:cluster/app-staging",
    "subnets": ["subnet-0a1b2c3d4e5f60718"], "securityGroups": ["sg-0c3d4e5f607182930"],
    "assignPublicIp": False, "logGroup": "/admin-tasks/staging",
    "tasks": {"seed-admin": {"taskDefinition": "admin-tasks-staging-seed-admin",
                             "container": "seed-admin", "logStreamPrefix": "admin-tasks",
                             "timeoutSeconds": 600}}}


def _replaced(document: dict[str, Any], path: list[str], value: object) -> dict[str, Any]:
    """A copy of ``document`` with the value at ``path`` replaced (or removed, for None)."""
    copy: dict[str, Any] = json.loads(json.dumps(document))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    if value is None:
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = value
    return copy


_SETTINGS_PATHS = [[key] for key in VALID_SETTINGS] + [
    ["tasks", "seed-admin", key] for key in VALID_SETTINGS["tasks"]["seed-admin"]] + [
    ["tasks", "migrate"], ["extra"]]
#: Launch settings documents one value away from a valid one, as JSON text.
settings_texts = st.builds(_replaced, st.just(VALID_SETTINGS), st.sampled_from(_SETTINGS_PATHS),
                           json_values).map(json.dumps)
