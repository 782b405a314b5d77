"""The run context written into every audit record: who, which run, and why.

Inside ECS the launcher always sets ``ADMIN_TASK_ACTOR``, ``ADMIN_TASK_RUN_ID`` and
``ADMIN_TASK_REASON``; a task there without one of them was not started by the launcher
and is refused rather than audited as ``unknown``/``local``. Elsewhere they default.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tasks.contract.errors import InvalidInput
from tasks.contract.validation import validate_reason

MAX_ACTOR_LENGTH = 255
MAX_RUN_ID_LENGTH = 128
ECS_MARKERS = ("ECS_CONTAINER_METADATA_URI_V4", "ECS_CONTAINER_METADATA_URI")
#: Set in-process by the task definitions' entry point (tasks.container), never read
#: from the real environment alone: an override cannot blank it.
CONTAINER_MARKER = "ADMIN_TASKS_IN_TASK_DEFINITION"
CONTEXT_VARIABLES = ("ADMIN_TASK_ACTOR", "ADMIN_TASK_RUN_ID", "ADMIN_TASK_REASON")
APPROVED_BY_VARIABLE = "ADMIN_TASK_APPROVED_BY"
APPROVAL_COMMENT_VARIABLE = "ADMIN_TASK_APPROVAL_COMMENT"
MAX_APPROVAL_COMMENT_LENGTH = 500
MAX_APPROVERS = 20
#: A GitHub login (a user; apps cannot approve an environment), including Enterprise
#: Managed Users' `name_shortcode`.
GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|[-_](?=[A-Za-z0-9])){0,38}")


@dataclass(frozen=True)
class RunContext:
    """Set by the launcher as ADMIN_TASK_* variables; local defaults otherwise."""

    actor: str
    run_id: str
    reason: str
    approved_by: tuple[str, ...] | None = None
    """GitHub logins that approved the run's environment; None: nobody reviewed it."""
    approval_comment: str | None = None

    def as_metadata(self) -> dict[str, Any]:
        return {"actor": self.actor, "runId": self.run_id, "reason": self.reason,
                "approvedBy": list(self.approved_by) if self.approved_by else None,
                "approvalComment": self.approval_comment}


def running_in_ecs(environ: Mapping[str, str]) -> bool:
    return any(environ.get(marker) for marker in (*ECS_MARKERS, CONTAINER_MARKER)) or environ.get(
        "AWS_EXECUTION_ENV", ""
    ).startswith("AWS_ECS")


def local_user() -> str:
    """The OS user, for runs outside GitHub Actions."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        # A container user with no passwd entry.
        return "unknown"


def bounded_line(name: str, value: str, limit: int) -> str:
    """``value`` if it is one printable line of at most ``limit`` characters; else
    InvalidInput naming ``name``."""
    if len(value) > limit or any(not ch.isprintable() for ch in value):
        raise InvalidInput(f"{name} must be at most {limit} printable characters on one line")
    return value


def _require_in_ecs(values: Mapping[str, str]) -> None:
    missing = [name for name in CONTEXT_VARIABLES if not values[name].strip()]
    if missing:
        names = (f"{', '.join(missing[:-1])} and {missing[-1]} are" if len(missing) > 1
                 else f"{missing[0]} is")
        raise InvalidInput(
            f"{names} empty, blank or not set: inside ECS every audit record "
            "needs the actor, run id and reason that the launcher (`python -m tasks run`) "
            "sets; nothing was written"
        )


def context_from_environment(environ: Mapping[str, str], reason: str | None = None) -> RunContext:
    """``reason`` (a command-line flag) overrides ADMIN_TASK_REASON."""
    given = {name: environ.get(name, "") for name in CONTEXT_VARIABLES}
    if reason is not None:
        given["ADMIN_TASK_REASON"] = reason
    if running_in_ecs(environ):
        _require_in_ecs(given)
    return RunContext(
        actor=bounded_line("ADMIN_TASK_ACTOR", given["ADMIN_TASK_ACTOR"] or local_user(),
                       MAX_ACTOR_LENGTH),
        run_id=bounded_line("ADMIN_TASK_RUN_ID", given["ADMIN_TASK_RUN_ID"] or "local",
                        MAX_RUN_ID_LENGTH),
        reason=validate_reason(given["ADMIN_TASK_REASON"], required=False),
        approved_by=approvers_from(environ.get(APPROVED_BY_VARIABLE, "")),
        approval_comment=bounded_line(APPROVAL_COMMENT_VARIABLE, environ.get(
            APPROVAL_COMMENT_VARIABLE, ""), MAX_APPROVAL_COMMENT_LENGTH) or None,
    )


def approvers_from(raw: str) -> tuple[str, ...] | None:
    """ADMIN_TASK_APPROVED_BY: GitHub logins, comma-separated (empty: not reviewed)."""
    if not raw:
        return None
    logins = tuple(raw.split(","))
    if not all(GITHUB_LOGIN.fullmatch(login) for login in logins) or len(logins) > MAX_APPROVERS:
        raise InvalidInput(f"{APPROVED_BY_VARIABLE} must be GitHub logins separated by commas "
                           "(the launcher sets it from the run's approvals)")
    return logins
