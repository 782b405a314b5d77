"""The naive seeding script a bastion session would run, kept as the benchmark's baseline.

    DATABASE_URL=postgresql://... python benchmarks/naive_seed.py you@example.com

Select, and insert if nothing was found: no unique index to lean on, no row lock, no
validation, no statement timeout. It writes the same user row and audit row as
``seed-admin`` so that the comparison measures the mechanism, not a smaller write.
Needs only psycopg, like a hand-written script would.
"""

from __future__ import annotations

import json
import os
import sys

import psycopg

FIND_LIVE_USER = (
    "select id, role from users where lower(email) = lower(%s) and deleted_at is null"
)
INSERT_USER = (
    "insert into users (email, role, is_active, email_verified, created_at) "
    "values (%s, 'admin', true, true, now()) returning id"
)
INSERT_AUDIT = (
    "insert into audit_events (event_type, resource_type, resource_id, actor, metadata, "
    "timestamp) values ('admin_account_seeded', 'user', %s, 'bastion', %s, now())"
)


def seed_naively(dsn: str, email: str) -> str:
    """Return ``created`` or ``exists``; commits when the connection block ends."""
    with psycopg.connect(dsn) as connection:
        found = connection.execute(FIND_LIVE_USER, (email,)).fetchone()
        if found is not None:
            return "exists"
        inserted = connection.execute(INSERT_USER, (email.lower(),)).fetchone()
        assert inserted is not None
        metadata = json.dumps({"email": email.lower(), "source": "bastion"})
        connection.execute(INSERT_AUDIT, (str(inserted[0]), metadata))
        return "created"


if __name__ == "__main__":
    print(json.dumps({"outcome": seed_naively(os.environ["DATABASE_URL"], sys.argv[1])}))
