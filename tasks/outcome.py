"""What a seeding command did, shaped for the audit row and the JSON result line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tasks.context import RunContext

Outcome = Literal["created", "exists", "refused"]
EXIT_CODES: dict[Outcome, int] = {"created": 0, "exists": 0, "refused": 3}


@dataclass(frozen=True)
class SeedResult:
    """The outcome of one seeding transaction (already committed when this exists)."""

    outcome: Outcome
    event_type: str
    user: dict[str, Any]
    context: RunContext
    audit_table: str | None
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]

    def result_line(self) -> dict[str, Any]:
        line: dict[str, Any] = {
            "ok": self.outcome != "refused",
            "outcome": self.outcome,
            "wasNew": self.outcome == "created",
            "user": self.user,
            # Where the profile has no audit table this object is the audit record.
            "audit": {
                "event": self.event_type,
                **self.context.as_metadata(),
                "recordedIn": self.audit_table or "result-line",
            },
        }
        if self.outcome == "refused":
            line["error"] = self.message
        return line


def error_line(outcome: str, message: str) -> dict[str, Any]:
    return {"ok": False, "outcome": outcome, "wasNew": False, "error": message}
