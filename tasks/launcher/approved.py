"""What the check job hands the gated job, and why a request is not the approved one.

The check job's ``request`` output is the request digest, then a short digest of each
part of the request: what the operator gave (task, environment, parameters, reason,
preview flag, a timeout other than the task's) and each value of the launch settings. The
digest alone decides: the gated job starts nothing unless it recomputes the same one.
The parts only explain a refusal, by naming what differs; they never allow a run.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

_PART = r"\.([A-Za-z][A-Za-z_:]{0,63})-([0-9a-f]{16})"
TOKEN = re.compile(rf"(?P<digest>[0-9a-f]{{64}})(?P<parts>(?:{_PART}){{1,96}})?")
SETTINGS = "settings:"
TASK_SETTINGS = "settings:task:"
#: The operator's inputs, in the order a refusal names them.
INPUTS = {"task": "the task", "environment": "the environment", "parameters": "the parameters",
          "reason": "the reason", "preview": "the preview flag", "timeout": "the timeout",
          "tenantRun": "the tenant controls (--tenants, --resume, --canary, --on-failure, "
                       "--parallel)"}


def request_token(digest: str, parts: Mapping[str, Any]) -> str:
    """The check job's ``request`` output for a request's digest and parts."""
    return digest + "".join(f".{name}-{value}" for name, value in _digests(parts).items())


def _digests(parts: Mapping[str, Any]) -> dict[str, str]:
    return {name: hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]
            for name, value in parts.items()}


def refusal(approved: str, digest: str, parts: Mapping[str, Any], *, task: str,
            environment: str) -> str | None:
    """Why this request (its digest and parts) is not the approved one; None if it is."""
    match = TOKEN.fullmatch(approved)
    assert match is not None  # checked when the arguments were read
    if match["digest"] == digest:
        return None
    head = (f"what would run differs from the approval request the reviewer saw "
            f"({approved[:12]}… was approved, this is {digest[:12]}…)")
    if not match["parts"]:
        return (f"{head}; the approved digest alone cannot say what differs (pass the check's "
                "whole request output to see it); nothing was started")
    given = dict(re.findall(_PART, match["parts"]))
    mine = _digests(parts)
    differ = [name for name in [*mine, *(n for n in given if n not in mine)]
              if given.get(name) != mine.get(name)]
    return f"{head}: {'; and '.join(_causes(differ, task, environment))}; nothing was started"


def _causes(differ: list[str], task: str, environment: str) -> list[str]:
    """What to tell the operator: the inputs that differ, else the launch settings (which
    differ anyway for another task or environment), else that nothing explains it."""
    causes = []
    inputs = [words for name, words in INPUTS.items() if name in differ]
    if inputs:
        verb = "differ" if len(inputs) > 1 or inputs[0].endswith("s") else "differs"
        causes.append(f"{_and(inputs)} {verb} from what was approved: this run was given "
                      "other inputs than its check (in GitHub, only an edited workflow does "
                      "that); start a new run from the unchanged workflow")
    settings = [_setting(name, task) for name in differ if name.startswith(SETTINGS)]
    if settings and not {"task", "environment"} & set(differ):
        causes.append(f"the launch settings differ in {', '.join(settings)}: the deployed "
                      f"{environment} stack is not what its stack file on main renders, or it "
                      f"changed since the request was shown; run `pulumi up` for {environment}, "
                      "then start a new run")
    return causes or ["none of its parts does, so the check and this run computed the request "
                      "differently (another version of the launcher); start a new run"]


def _setting(name: str, task: str) -> str:
    """A part's name as the launch settings spell the value (LAUNCH-SETTINGS.md)."""
    if name.startswith(TASK_SETTINGS):
        return f"tasks.{task}.{name.removeprefix(TASK_SETTINGS)}"
    return name.removeprefix(SETTINGS)


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
