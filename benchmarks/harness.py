"""Measurement helpers for the benchmarks: throw-away schemas, percentiles, Markdown
tables, the machine description and import-cost probes in fresh interpreters."""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tasks.cli import main

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


def table(title: str, unit: str, rows: list[str], level: int = 4) -> None:
    print(f"\n{'#' * level} {title}\n")
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
    with psycopg.connect(base_url) as connection:
        server = connection.execute("show server_version").fetchone()[0]  # type: ignore[index]
    describe_host(f"PostgreSQL {server} (same host, TCP 127.0.0.1); "
                  f"Python {platform.python_version()}")


def describe_host(software: str | None = None) -> None:
    """The "Machine" section: date, command, CPUs, RAM, ``software`` (default: Python), load."""
    cpu = next((line.split(":", 1)[1].strip() for line in
                subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
                if line.startswith("Model name")), platform.processor())
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                     if line.startswith("MemTotal"))
    print("### Machine\n")
    print(f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"- command: {' '.join(['python', *sys.argv])}")
    print(f"- CPUs (nproc): {os.cpu_count()}; model: {cpu}; RAM: {memory_kb / 2**20:.1f} GiB")
    print(f"- {software or 'Python ' + platform.python_version()}")
    print(f"- load average at start (1/5/15 min): {load_average()}")


def load_average() -> str:
    """The machine may be shared (other test suites): say how busy it was."""
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())
