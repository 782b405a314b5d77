"""Seeding on PostgreSQL: admin-tasks against the naive select-then-insert, in one run.

    .venv/bin/python benchmarks/seeding.py [--sequential 1000] [--concurrency 32] ...

Two throw-away schemas on the same server, created with ``init-db`` (identical tables);
the naive one has the partial unique index on ``lower(email)`` dropped, because a
hand-written bastion script relies on its SELECT rather than on an index. Both schemas
are dropped at the end. Prints Markdown tables (min/median/p95/max) for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from harness import (
    Schema,
    environment,
    heaviest_imports,
    import_seconds,
    load_average,
    loaded_modules,
    machine,
    medians,
    p95s,
    ratio,
    schema,
    summary_row,
    table,
)
from naive_seed import seed_naively

from tasks.cli import main

HERE = Path(__file__).resolve().parent
DEFAULT_URL = os.environ.get(
    "ADMIN_TASKS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def seed_with_admin_tasks(target: Schema) -> Callable[[str], int]:
    env = environment(target)

    def seed(email: str) -> int:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return main(["seed-admin", "--email", email], env)

    return seed


def seed_with_naive_script(target: Schema) -> Callable[[str], int]:
    def seed(email: str) -> int:
        seed_naively(target.url, email)
        return 0

    return seed


def time_calls(seeds: dict[str, Callable[[str], int]], emails: Sequence[str],
               ) -> dict[str, list[float]]:
    """Per-call latencies of each contender, interleaved call by call so that both see
    the same server state; every call must succeed."""
    latencies: dict[str, list[float]] = {name: [] for name in seeds}
    for email in emails:
        for name, seed in seeds.items():
            before = time.perf_counter()
            code = seed(email)
            latencies[name].append(time.perf_counter() - before)
            assert code == 0, f"{name} seeding {email} exited {code}"
    return latencies


def time_processes(command: Callable[[str], list[str]], target: Schema, emails: Sequence[str],
                   ) -> list[float]:
    env = environment(target)
    latencies = []
    for email in emails:
        before = time.perf_counter()
        completed = subprocess.run(command(email), env=env, capture_output=True, text=True,
                                   check=False)
        latencies.append(time.perf_counter() - before)
        assert completed.returncode == 0, completed.stderr
    return latencies


@dataclass(frozen=True)
class RaceRound:
    wall: float
    latencies: list[float]
    exit_codes: list[int]
    users: int
    seeded_events: int


def race(contender: str, target: Schema, emails: list[str]) -> RaceRound:
    """One process per email in ``emails``, released together (see race_worker.py)."""
    workers = [subprocess.Popen([sys.executable, str(HERE / "race_worker.py"), contender, email],
                                env=environment(target), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for email in emails]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    # The round ends when the last run has reported, not when its interpreter has exited.
    reports = [json.loads(worker.stdout.readline()) for worker in workers if worker.stdout]
    wall = time.perf_counter() - started
    for worker in workers:
        _, errors = worker.communicate()
        assert worker.returncode == 0, errors
    distinct = sorted(set(emails))
    with psycopg.connect(target.url) as connection:
        users = connection.execute("select count(*) from users where email = any(%s)", (distinct,))
        events = connection.execute(
            "select count(*) from audit_events where event_type = 'admin_account_seeded' "
            "and resource_id in (select id::text from users where email = any(%s))", (distinct,))
        user_count, event_count = users.fetchone()[0], events.fetchone()[0]  # type: ignore[index]
    return RaceRound(wall, [r["seconds"] for r in reports], [r["code"] for r in reports],
                     user_count, event_count)


def in_process(args: argparse.Namespace, admin: Schema, naive: Schema) -> None:
    seeds = {"admin-tasks": seed_with_admin_tasks(admin), "naive": seed_with_naive_script(naive)}
    emails = [f"seq-{i}@bench.example.com" for i in range(args.sequential)]
    created = time_calls(seeds, emails)
    repeated = time_calls(seeds, ["seq-0@bench.example.com"] * args.repeats)
    table("Function call, one connection per call (latency)", "ms", [
        summary_row(f"{name}: {len(emails):,} distinct emails, sequential (created)", created[name])
        for name in seeds] + [
        summary_row(f"{name}: the same email again (exists)", repeated[name]) for name in seeds])
    throughput = {name: len(emails) / sum(created[name]) for name in seeds}
    print(f"\nThroughput, {len(emails):,} distinct emails: " + "; ".join(
        f"{name} {value:,.0f} seeds/s" for name, value in throughput.items()))
    print("Ratios admin-tasks / naive: " + ", ".join([
        f"median created {ratio(*medians(created))}", f"p95 created {ratio(*p95s(created))}",
        f"median exists {ratio(*medians(repeated))}",
        f"throughput {ratio(throughput['admin-tasks'], throughput['naive'])}"]))


def cold_starts(args: argparse.Namespace, admin: Schema, naive: Schema) -> None:
    emails = [f"cold-{i}@bench.example.com" for i in range(args.cold_starts)]
    admin_tasks = time_processes(
        lambda email: [sys.executable, "-m", "tasks", "seed-admin", "--email", email], admin, emails)
    script = time_processes(
        lambda email: [sys.executable, str(HERE / "naive_seed.py"), email], naive, emails)
    table("Whole process, cold start (wall time from spawn to exit)", "ms", [
        summary_row("admin-tasks: `python -m tasks seed-admin --email E`", admin_tasks),
        summary_row("naive: `python benchmarks/naive_seed.py E`", script)])
    both = {"admin-tasks": admin_tasks, "naive": script}
    print(f"\nRatio admin-tasks / naive: median {ratio(*medians(both))}, "
          f"p95 {ratio(*p95s(both))}")


def races(args: argparse.Namespace, admin: Schema, naive: Schema) -> None:
    rounds: dict[str, list[RaceRound]] = {"admin-tasks": [], "naive": []}
    for number in range(args.rounds):
        email = f"race-{number}@bench.example.com"
        rounds["admin-tasks"].append(race("admin-tasks", admin, [email] * args.concurrency))
        rounds["naive"].append(race("naive", naive, [email] * args.concurrency))
    # The same start-up work without contention: how much of the above is waiting on
    # the row lock, and how much is 32 interpreters sharing the CPUs.
    own = race("admin-tasks", admin,
               [f"own-{n}@bench.example.com" for n in range(args.concurrency)])
    table(f"{args.concurrency} processes released together on one email, {args.rounds} rounds",
          "ms", [row for name, results in rounds.items() for row in (
              summary_row(f"{name}: wall time of a round", [r.wall for r in results]),
              summary_row(f"{name}: one run's latency", [s for r in results for s in r.latencies]),
          )] + [summary_row("admin-tasks, each process on its own email (no contention): "
                            "one run's latency, 1 round", own.latencies)])
    print(f"\nadmin-tasks, each process on its own email: wall time of the round "
          f"{own.wall * 1000:,.1f} ms, {own.users} rows for {args.concurrency} emails")
    print("\n| what | rows left per email, each round | duplicate rows in total | "
          "`admin_account_seeded` events per round | exit codes |")
    print("|---|---|---:|---|---|")
    for name, results in rounds.items():
        codes = sorted({code for r in results for code in r.exit_codes})
        print(f"| {name} | {', '.join(str(r.users) for r in results)} | "
              f"{sum(r.users - 1 for r in results)} | "
              f"{', '.join(str(r.seeded_events) for r in results)} | {codes} |")
    admin_rows = sum(r.users for r in rounds["admin-tasks"])
    naive_rows = sum(r.users for r in rounds["naive"])
    walls = {name: [r.wall for r in results] for name, results in rounds.items()}
    print(f"\nRatios: rows left per email, naive / admin-tasks {naive_rows / admin_rows:.1f}x; "
          f"median wall time of a round, admin-tasks / naive {ratio(*medians(walls))}")


def import_cost(args: argparse.Namespace) -> None:
    paths = {"`import tasks.cli`": "tasks.cli",
             # psycopg is loaded by SQLAlchemy at the first connect: part of the path too.
             "`import tasks.cli, tasks.jobs.seeding, psycopg` (everything seed-admin loads)":
                 "tasks.cli, tasks.jobs.seeding, psycopg",
             "`import psycopg` (what the naive script imports)": "psycopg"}
    table("Import cost in a fresh interpreter (time.perf_counter around the import)", "ms", [
        summary_row(label, import_seconds(modules, args.import_samples))
        for label, modules in paths.items()])
    seeding_path = "tasks.cli, tasks.jobs.seeding, psycopg"
    count, forbidden = loaded_modules(seeding_path)
    print(f"\nThe seed-admin path loads {count} modules; pulumi/boto3/botocore among them: "
          f"{forbidden or 'none'}")
    print("Heaviest top-level imports (`python -X importtime`, cumulative, one run): " + ", ".join(
        f"{name} {micros / 1000:.0f} ms" for name, micros in heaviest_imports(seeding_path)))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=DEFAULT_URL,
                        help="server to use (default: ADMIN_TASKS_TEST_POSTGRES_URL or local)")
    parser.add_argument("--sequential", type=int, default=1000, help="distinct emails, in-process")
    parser.add_argument("--repeats", type=int, default=100, help="seeds of an existing admin")
    parser.add_argument("--cold-starts", type=int, default=10, help="whole processes each")
    parser.add_argument("--concurrency", type=int, default=32, help="processes per race round")
    parser.add_argument("--rounds", type=int, default=3, help="race rounds per contender")
    parser.add_argument("--import-samples", type=int, default=5, help="fresh interpreters")
    return parser.parse_args(argv)


def run(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    machine(args.postgres_url)
    print("\n### Results")
    with schema(args.postgres_url, "admin", unique_index=True) as admin, \
            schema(args.postgres_url, "naive", unique_index=False) as naive:
        in_process(args, admin, naive)
        cold_starts(args, admin, naive)
        races(args, admin, naive)
    import_cost(args)
    print(f"\nWhole benchmark: {time.perf_counter() - started:.0f} s; "
          f"load average at the end: {load_average()}")


if __name__ == "__main__":
    run()
