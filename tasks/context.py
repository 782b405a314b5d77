"""The run context written into every audit record: who, which run, and why."""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass

from tasks.errors import InvalidInput
from tasks.validation import validate_reason

MAX_ACTOR_LENGTH = 255
MAX_RUN_ID_LENGTH = 128


@dataclass(frozen=True)
class RunContext:
    """Set by the launcher as ADMIN_TASK_* variables; local defaults otherwise."""

    actor: str
    run_id: str
    reason: str

    def as_metadata(self) -> dict[str, str]:
        return {"actor": self.actor, "runId": self.run_id, "reason": self.reason}


def local_user() -> str:
    """The OS user, for runs outside GitHub Actions."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        # A container user with no passwd entry.
        return "unknown"


def _bounded(name: str, value: str, limit: int) -> str:
    if len(value) > limit or any(not ch.isprintable() for ch in value):
        raise InvalidInput(f"{name} must be at most {limit} printable characters on one line")
    return value


def context_from_environment(environ: Mapping[str, str], reason: str | None = None) -> RunContext:
    """``reason`` (a command-line flag) overrides ADMIN_TASK_REASON."""
    actor = environ.get("ADMIN_TASK_ACTOR") or local_user()
    run_id = environ.get("ADMIN_TASK_RUN_ID") or "local"
    raw_reason = reason if reason is not None else environ.get("ADMIN_TASK_REASON", "")
    return RunContext(
        actor=_bounded("ADMIN_TASK_ACTOR", actor, MAX_ACTOR_LENGTH),
        run_id=_bounded("ADMIN_TASK_RUN_ID", run_id, MAX_RUN_ID_LENGTH),
        reason=validate_reason(raw_reason, required=False),
    )
