"""The one hierarchy of expected failures, each carrying its documented exit code.

The CLI turns any of these into one stderr line, the JSON result line and the exit
code; nothing else in the package calls ``sys.exit``.
"""

from __future__ import annotations

from typing import ClassVar


class AdminTaskError(Exception):
    """An expected failure that the operator can act on (never shown as a traceback)."""

    exit_code: ClassVar[int] = 1
    outcome: ClassVar[str] = "error"


class InvalidInput(AdminTaskError):
    """Bad input or configuration: nothing was written and no AWS call was made."""

    exit_code = 2
    outcome = "invalid"


class Refused(AdminTaskError):
    """The request is well-formed but doing it would be unsafe (e.g. elevating a user)."""

    exit_code = 3
    outcome = "refused"


class DatabaseFailed(AdminTaskError):
    """The database was unreachable or a statement failed; the transaction rolled back."""

    exit_code = 4
    outcome = "error"


class TaskFailedToStart(AdminTaskError):
    """The ECS task never ran its container (the launcher; the recorder of an application
    task when the application container cannot start)."""

    exit_code = 1
    outcome = "failed-to-start"


class TaskTimedOut(AdminTaskError):
    """The ECS task ran past its timeout and was stopped (launcher only)."""

    exit_code = 124
    outcome = "timeout"


class Cancelled(AdminTaskError):
    """The launcher was interrupted and stopped the task (launcher only)."""

    exit_code = 130
    outcome = "cancelled"
