"""Every way a launcher command ends: its outcome, its exit code, and the errors carrying them.

:data:`OUTCOMES` is the one list: docs/LAUNCHER.md ("Outcomes and exit codes") documents
each entry, and a test keeps the two equal. A launcher result line takes its ``outcome``
from here (never a string literal), and every error the launcher raises is listed.
No boto3 here: ``--check`` and ``--dry-run`` end through this module too.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks.contract.errors import (
    AdminTaskError,
    Cancelled,
    InvalidInput,
    Refused,
    TaskFailedToStart,
    TaskTimedOut,
)
from tasks.contract.outcome import CommandResult

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class Outcome:
    """One documented ending: its name in the result line and its exit code."""

    name: str
    exit_code: int | None  # None: the container's own (non-zero) exit code, passed through

    @classmethod
    def of(cls, error: type[AdminTaskError]) -> Outcome:
        return cls(error.outcome, error.exit_code)

    @property
    def code(self) -> int:
        if self.exit_code is None:
            raise ValueError(f"outcome {self.name} passes the container's exit code through")
        return self.exit_code


CHECKED = Outcome("checked", 0)
DRY_RUN = Outcome("dry-run", 0)
STARTED = Outcome("started", 0)
SUCCEEDED = Outcome("succeeded", 0)
FAILED = Outcome("failed", None)
STOPPED = Outcome("stopped", 0)
AWS_ERROR = Outcome("aws-error", 1)
LOST = Outcome("lost", 1)
LOST_CONTACT = Outcome("lost-contact", 1)
LAUNCHER_ERROR = Outcome("launcher-error", 1)
APPROVALS_UNREADABLE = Outcome("approvals-unreadable", 1)
REQUEST_UNPUBLISHED = Outcome("request-unpublished", 1)


class AwsCallFailed(AdminTaskError):
    """An AWS call failed after botocore's retries (exit 1)."""

    outcome, exit_code = AWS_ERROR.name, AWS_ERROR.code


class TaskLost(AdminTaskError):
    """DescribeTasks kept answering MISSING: ECS no longer knows the task (exit 1)."""

    outcome, exit_code = LOST.name, LOST.code


class TaskUnwatched(AdminTaskError):
    """DescribeTasks kept failing: the launcher gave up following a task it did not stop."""

    outcome, exit_code = LOST_CONTACT.name, LOST_CONTACT.code


class LauncherFailed(AdminTaskError):
    """The launcher itself failed (a bug, not the task's doing); it never stops the task."""

    outcome, exit_code = LAUNCHER_ERROR.name, LAUNCHER_ERROR.code


class ApprovalsUnreadable(AdminTaskError):
    """GitHub's record of the run (who started it, who approved it) could not be read:
    nothing was started (exit 1)."""

    outcome, exit_code = APPROVALS_UNREADABLE.name, APPROVALS_UNREADABLE.code


GithubUnreadable = ApprovalsUnreadable


class RequestUnpublished(AdminTaskError):
    """``--check`` could not write the approval request or its digest (exit 1): a reviewer
    would approve a request they never saw, so the check fails."""

    outcome, exit_code = REQUEST_UNPUBLISHED.name, REQUEST_UNPUBLISHED.code


OUTCOMES: tuple[Outcome, ...] = (
    CHECKED, DRY_RUN, REQUEST_UNPUBLISHED, STARTED, SUCCEEDED, FAILED, STOPPED, Outcome.of(InvalidInput),
    Outcome.of(Refused), APPROVALS_UNREADABLE, Outcome.of(TaskFailedToStart), AWS_ERROR, LOST,
    LOST_CONTACT, LAUNCHER_ERROR, Outcome.of(TaskTimedOut), Outcome.of(Cancelled),
)


@dataclass(frozen=True)
class LauncherResult(CommandResult):
    """A finished launcher command: a command's result, built from a listed outcome."""

    @classmethod
    def of(cls, outcome: Outcome, message: str, *, exit_code: int | None = None,
           was_new: bool = False, **fields: Any) -> LauncherResult:
        """The result line ``{"ok", "outcome", "wasNew", **fields}`` for ``outcome``; a
        FAILED outcome takes the container's ``exit_code``."""
        code = outcome.exit_code if outcome.exit_code is not None else exit_code
        if code is None:
            raise ValueError(f"outcome {outcome.name} needs the container's exit code")
        line = {"ok": code == 0, "outcome": outcome.name, "wasNew": was_new, **fields}
        return cls(line, code, message)


def failure_description(error: BaseException) -> str:
    """``Type at tasks/…/module.py:LINE: message``: where in this package it went wrong."""
    place = ""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(_PACKAGE_ROOT / "tasks"):
            place = f" at {path.relative_to(_PACKAGE_ROOT).as_posix()}:{frame.lineno}"
            break
    text = " ".join(str(error).split())[:300]
    return f"{type(error).__name__}{place}" + (f": {text}" if text else "")
