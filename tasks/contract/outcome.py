"""What a command did, shaped for the audit record and the JSON result line.

Every command that writes (the seeds and the account commands) decides inside its
transaction with a :class:`Decision`: the outcome, the event, the user as it is after
the change, and the :class:`Changes` of that row's columns. The audit record and the
result line are both built from it, in one place, for real runs and previews alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Outcome = Literal["created", "exists", "refused", "removed", "absent", "reactivated",
                  "deactivated", "password-reset"]
EXIT_CODES: dict[Outcome, int] = {"created": 0, "exists": 0, "refused": 3, "removed": 0,
                                  "absent": 0, "reactivated": 0, "deactivated": 0,
                                  "password-reset": 0}
#: Logical column name -> value, as JSON can carry it (timestamps as ISO 8601 text).
Columns = dict[str, Any]


def json_value(value: object) -> object:
    """A column value as the result line and the audit metadata (JSON) carry it."""
    return value.isoformat() if isinstance(value, datetime) else value


@dataclass(frozen=True)
class Changes:
    """The affected row's changed columns before and after; ``None`` where there is no
    row (before a creation; when no live row matched), ``{}`` where a row is left as it was."""

    before: Columns | None
    after: Columns | None

    @classmethod
    def none(cls, row_exists: bool) -> Changes:
        return cls({}, {}) if row_exists else cls(None, None)

    def as_json(self) -> dict[str, Columns | None]:
        def convert(columns: Columns | None) -> Columns | None:
            return None if columns is None else {k: json_value(v) for k, v in columns.items()}

        return {"before": convert(self.before), "after": convert(self.after)}


@dataclass(frozen=True)
class Decision:
    """What one command found and did inside its transaction (before commit or rollback)."""

    outcome: Outcome
    event_type: str
    message: str
    #: The user as it is after the change, or None when no live row matched.
    user: dict[str, Any] | None
    changes: Changes
    #: What the operator named ({"email": …} or {"username": …}), for the audit record.
    subject: dict[str, str]

    @classmethod
    def unchanged(cls, outcome: Outcome, event_type: str, message: str,
                  user: dict[str, Any] | None, subject: dict[str, str]) -> Decision:
        """A decision that changed no row: ``user`` as found (None: no row matched)."""
        return cls(outcome, event_type, message, user, Changes.none(user is not None), subject)

    @property
    def resource_id(self) -> str:
        """The audit row's resource id: the user's id, empty when there is no user."""
        return "" if self.user is None or self.user.get("id") is None else str(self.user["id"])


@dataclass(frozen=True)
class TaskResult:
    """A finished command: committed (a real run) or rolled back (a preview)."""

    decision: Decision
    #: The audit record: the audit row's metadata, or (no audit table) the result line's.
    record: dict[str, Any]
    audit_table: str | None
    preview: bool

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.decision.outcome]

    @property
    def message(self) -> str:
        if self.preview:
            return f"preview: a real run would say: {self.decision.message}"
        return self.decision.message

    def _user(self) -> dict[str, Any] | None:
        user = self.decision.user
        if user is None:
            return None
        shown = {k: json_value(v) for k, v in user.items()}
        if self.preview and self.decision.outcome == "created":
            # The row was rolled back: its id is not the one a real run will get (a
            # PostgreSQL sequence does not roll back; a uuid is drawn anew).
            shown["id"] = None
        return shown

    def result_line(self) -> dict[str, Any]:
        decision = self.decision
        recorded_in = None if self.preview else self.audit_table or "result-line"
        line: dict[str, Any] = {
            "ok": decision.outcome != "refused",
            "outcome": decision.outcome,
            "wasNew": decision.outcome == "created",
            "preview": self.preview,
            "user": self._user(),
            "changes": decision.changes.as_json(),
            # Where the profile has no audit table this object is the audit record.
            "audit": {"event": decision.event_type, **self.record, "recordedIn": recorded_in},
        }
        if decision.outcome == "refused":
            line["error"] = decision.message
        return line


@dataclass(frozen=True)
class CommandResult:
    """Any finished command: its result line, exit code and the line it logs."""

    line: dict[str, Any]
    exit_code: int
    message: str

    @classmethod
    def from_task(cls, result: TaskResult) -> CommandResult:
        return cls(result.result_line(), result.exit_code, result.message)


def error_line(outcome: str, message: str, preview: bool | None = None) -> dict[str, Any]:
    line: dict[str, Any] = {"ok": False, "outcome": outcome, "wasNew": False}
    if preview is not None:
        line["preview"] = preview
    return {**line, "error": message}


#: Sent by the launcher to a built-in task (never to an application's command): a value
#: drawn for this one request, which the task package's result line repeats.
RESULT_KEY_VARIABLE = "ADMIN_TASK_RESULT_KEY"


def bound_to_run(line: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """``line`` with ``runId`` and ``resultKey`` when the launcher sent a result key: the
    launcher takes only a line carrying both of its own values for the task's result, so
    a line another program in the container prints cannot pass for it."""
    key = environ.get(RESULT_KEY_VARIABLE)
    if not key:
        return line
    return {**line, "runId": environ.get("ADMIN_TASK_RUN_ID", ""), "resultKey": key}
