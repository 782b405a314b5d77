"""One contender in the concurrency race: import everything, say ``ready``, wait for
``go`` on stdin, seed one email, print ``{"code": ..., "seconds": ...}``.

    python benchmarks/race_worker.py admin-tasks|naive EMAIL   (DATABASE_URL set)

The barrier makes the 32 runs hit the database together instead of being spread out by
their interpreters' start-up, which is the worst case for a select-then-insert script.
``admin-tasks`` runs ``tasks.cli.main`` (the code ``python -m tasks seed-admin`` runs);
``naive`` runs ``naive_seed.seed_naively``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import time

WARM_IMPORTS = {
    "admin-tasks": ["tasks.cli", "tasks.jobs.seeding", "psycopg", "sqlalchemy.dialects.postgresql.psycopg"],
    "naive": ["naive_seed"],
}


def _admin_tasks(email: str) -> int:
    from tasks.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        return main(["seed-admin", "--email", email], os.environ)


def _naive(email: str) -> int:
    from naive_seed import seed_naively

    seed_naively(os.environ["DATABASE_URL"], email)
    return 0


def run() -> None:
    contender, email = sys.argv[1], sys.argv[2]
    seed = {"admin-tasks": _admin_tasks, "naive": _naive}[contender]
    # Warm the imports before the barrier (including the dialect SQLAlchemy loads on its
    # first connect, and psycopg): the race is about the database, not interpreter start-up.
    for module in WARM_IMPORTS[contender]:
        importlib.import_module(module)
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    try:
        code = seed(email)
    except Exception as error:  # the naive script has no error handling of its own
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        code = 1
    print(json.dumps({"code": code, "seconds": time.perf_counter() - started}), flush=True)


if __name__ == "__main__":
    run()
