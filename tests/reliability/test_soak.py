"""Soak: 200 sequential seeds of a seeded-random mix against one database, and the rows
and audit events exactly as an independent model of the outcome table predicts."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import Database
from tests.test_seed_admin import insert_user

RUNS = 200
#: Hand-picked malformed addresses: the model knows they are invalid without the validator.
INVALID = ["", "no-at-sign.example.com", "two@@example.com", "a@b@example.com",
           "dot.@example.com", ".dot@example.com", "space in@example.com",
           "new\nline@example.com", "tab\t@example.com", "a@localhost", "a@-bad.com",
           "a@example.123", "x" * 65 + "@example.com", "'; drop table users;--@x.com",
           "a@example.com\n", "\u00e9@example.com"]
EXISTING = {  # email -> (role, active, soft-deleted), inserted before the soak
    "member.one@example.com": ("member", True, False),
    "member.two@example.com": ("member", True, False),
    "inactive.admin@example.com": ("admin", False, False),
    "live.admin@example.com": ("admin", True, False),
    "gone.admin@example.com": ("admin", True, True),
    "gone.member@example.com": ("member", True, True),
}


@dataclass
class Model:
    """The outcome table of ``seed-admin`` (docs/TASK-PACKAGE.md), for the ``role`` profile,
    computed without the code."""

    live: dict[str, tuple[str, bool]] = field(default_factory=dict)  # email -> (role, active)
    rows: int = 0
    events: Counter[str] = field(default_factory=Counter)

    def seed(self, email: str, valid: bool) -> tuple[int, str]:
        if not valid:
            return 2, "invalid"
        key = email.lower()
        if key not in self.live:
            self.live[key] = ("admin", True)
            self.rows += 1
            self.events["admin_account_seeded"] += 1
            return 0, "created"
        if self.live[key] == ("admin", True):
            self.events["admin_seed_noop"] += 1
            return 0, "exists"
        self.events["admin_seed_refused"] += 1
        return 3, "refused"


def random_case(rng: random.Random, email: str) -> str:
    return "".join(ch.upper() if rng.random() < 0.3 else ch for ch in email)


def plan(rng: random.Random) -> list[tuple[str, bool]]:
    """(email as typed, whether it is valid) for each run: new, repeated, pre-existing,
    invalid."""
    fresh = [f"user{n}.{rng.choice(['ops', 'dev', 'sec'])}@team{n % 7}.example.org"
             for n in range(60)]
    runs: list[tuple[str, bool]] = []
    for _ in range(RUNS):
        kind = rng.choices(["fresh", "existing", "invalid"], weights=[60, 15, 25])[0]
        if kind == "invalid":
            runs.append((rng.choice(INVALID), False))
        else:
            pool = fresh if kind == "fresh" else list(EXISTING)
            runs.append((random_case(rng, rng.choice(pool)), True))
    return runs


def test_two_hundred_mixed_seeds_leave_exactly_the_predicted_rows_and_audit_events(
    database: Database, cli: Any,
) -> None:
    assert cli(["init-db", "--profile", "role"], database.env()).code == 0
    model = Model()
    for email, (role, active, deleted) in EXISTING.items():
        insert_user(database, email, role=role, active=active, deleted=deleted)
        model.rows += 1
        if not deleted:
            model.live[email] = (role, active)
    runs = plan(random.Random(20261121))
    env = database.env()

    predicted, observed = [], []
    for email, valid in runs:
        predicted.append(model.seed(email, valid))
        run = cli(["seed-admin", "--email", email], env)
        observed.append((run.code, run.result["outcome"]))

    assert observed == predicted
    assert Counter(outcome for _, outcome in predicted).keys() == {
        "created", "exists", "refused", "invalid"}, "the mix must exercise every outcome"
    users = database.rows("users")
    assert len(users) == model.rows
    live_admins = {u["email"] for u in users
                   if u["deleted_at"] is None and u["role"] == "admin" and u["is_active"]}
    assert live_admins == {e for e, state in model.live.items() if state == ("admin", True)}
    assert Counter(e["event_type"] for e in database.rows("audit_events")) == model.events
