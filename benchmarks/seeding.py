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
import datetime
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from naive_seed import seed_naively

from tasks.cli import main

HERE = Path(__file__).resolve().parent
DEFAULT_URL = os.environ.get(
    "ADMIN_TASKS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
FORBIDDEN_ON_SEEDING_PATH = ("pulumi", "boto3", "botocore")


@dataclass(frozen=True)
class Schema:
    """One throw-away schema, addressed by a URL whose search_path points at it."""

    name: str
    url: str


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (statistics' inclusive method)."""
    if len(samples) == 1:
        return samples[0]
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[round(fraction * 100) - 1]


def summary_row(label: str, samples: Sequence[float], scale: float = 1000.0) -> str:
    figures = [min(samples), statistics.median(samples), percentile(samples, 0.95), max(samples)]
    cells = " | ".join(f"{value * scale:,.1f}" for value in figures)
    return f"| {label} | {len(samples)} | {cells} |"


def table(title: str, unit: str, rows: list[str]) -> None:
    print(f"\n#### {title}\n")
    print(f"| what | n | min {unit} | median {unit} | p95 {unit} | max {unit} |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(row)


def medians(samples: dict[str, list[float]]) -> tuple[float, float]:
    return statistics.median(samples["admin-tasks"]), statistics.median(samples["naive"])


def p95s(samples: dict[str, list[float]]) -> tuple[float, float]:
    return percentile(samples["admin-tasks"], 0.95), percentile(samples["naive"], 0.95)


def ratio(admin_tasks: float, naive: float) -> str:
    return f"{admin_tasks / naive:.2f}x" if naive else "n/a"


@contextlib.contextmanager
def schema(base_url: str, label: str, *, unique_index: bool) -> Iterator[Schema]:
    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    separator = "&" if "?" in base_url else "?"
    target = Schema(name, f"{base_url}{separator}options=-csearch_path%3D{name}")
    with psycopg.connect(base_url, autocommit=True) as connection:
        connection.execute(f'create schema "{name}"')
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert main(["init-db", "--profile", "role"], environment(target)) == 0
        if not unique_index:
            with psycopg.connect(target.url, autocommit=True) as connection:
                connection.execute("drop index uq_users_active_email")
        yield target
    finally:
        with psycopg.connect(base_url, autocommit=True) as connection:
            connection.execute(f'drop schema "{name}" cascade')


def environment(target: Schema) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ADMIN_TASK", "DATABASE_"))}
    return {**base, "DATABASE_URL": target.url, "ADMIN_TASK_ACTOR": "benchmark",
            "ADMIN_TASK_RUN_ID": "bench"}


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


def import_seconds(modules: str, samples: int) -> list[float]:
    code = (f"import time; t = time.perf_counter(); import {modules}; "
            "print(time.perf_counter() - t)")
    return [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(samples)]


def loaded_modules(modules: str) -> tuple[int, list[str]]:
    code = (f"import sys, json; import {modules}; "
            "print(json.dumps(sorted(sys.modules)))")
    names = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                      text=True, check=True).stdout)
    forbidden = [n for n in names if n.split(".")[0] in FORBIDDEN_ON_SEEDING_PATH]
    return len(names), forbidden


def heaviest_imports(modules: str, top: int = 5) -> list[tuple[str, int]]:
    """The top-level packages that cost most, from ``python -X importtime``."""
    stderr = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {modules}"],
                            capture_output=True, text=True, check=True).stderr
    costs: dict[str, int] = {}
    for line in stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[0].isdigit() and not parts[2].startswith(" "):
            name = parts[2]
            if "." not in name and name not in costs:
                costs[name] = int(parts[1])
    return sorted(costs.items(), key=lambda item: -item[1])[:top]


def machine(base_url: str) -> None:
    cpu = next((line.split(":", 1)[1].strip() for line in
                subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
                if line.startswith("Model name")), platform.processor())
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal"))
    with psycopg.connect(base_url) as connection:
        server = connection.execute("show server_version").fetchone()[0]  # type: ignore[index]
    print("### Machine\n")
    print(f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"- command: {' '.join(['python', *sys.argv])}")
    print(f"- CPUs (nproc): {os.cpu_count()}; model: {cpu}; RAM: {memory_kb / 2**20:.1f} GiB")
    print(f"- PostgreSQL {server} (same host, TCP 127.0.0.1); Python {platform.python_version()}")
    print(f"- load average at start (1/5/15 min): {load_average()}")


def load_average() -> str:
    """The machine may be shared (other test suites): say how busy it was."""
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


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
             "`import tasks.cli, tasks.seeding, psycopg` (everything seed-admin loads)":
                 "tasks.cli, tasks.seeding, psycopg",
             "`import psycopg` (what the naive script imports)": "psycopg"}
    table("Import cost in a fresh interpreter (time.perf_counter around the import)", "ms", [
        summary_row(label, import_seconds(modules, args.import_samples))
        for label, modules in paths.items()])
    seeding_path = "tasks.cli, tasks.seeding, psycopg"
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
    print("\n### Seeding on PostgreSQL: admin-tasks vs naive select-then-insert")
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
