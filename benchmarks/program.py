"""Program evaluation: wall time and peak memory of building each
stack under Pulumi mocks, with the real catalog and with 10, 50 and 200 entries.

    .venv/bin/python benchmarks/program.py [--repeats N]

Synthetic entries are copies of ``seed-admin`` under other names, patched into
``tasks.contract.catalog.CATALOG`` in this process only; the stack config's ``tasks`` list is
dropped so every entry is enabled (the config caps an explicit list at 16). Each build
is ``tests.infra.harness.run_stack``: fresh mocks, the whole program, outputs resolved.
Time is measured without tracing; peak memory in a separate build under tracemalloc
(Python allocations only).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # for tests.infra's harness

from harness import describe_host, summary_row, table

from tasks.contract import catalog
from tests.infra.harness import STACKS, run_stack, stack_config

SHIPPED = catalog.CATALOG
SIZES = (len(SHIPPED), 10, 50, 200)


def with_entries(count: int) -> tuple[catalog.CatalogEntry, ...]:
    copies = tuple(dataclasses.replace(SHIPPED[0], name=f"bench-task-{number:03d}")
                   for number in range(count - len(SHIPPED)))
    return SHIPPED + copies


def build(stack: str) -> int:
    """Run the program once; the number of resources it registered."""
    config = stack_config(stack)
    config.pop("admin-tasks:tasks", None)
    return len(run_stack(config, stack).resources)


def traced_peak(action: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def fit(points: list[tuple[int, float]]) -> tuple[float, float, float]:
    """Least-squares slope and intercept, and R² (1.0 = a straight line)."""
    sizes, values = zip(*points, strict=True)
    slope, intercept = statistics.linear_regression(sizes, values)
    return slope, intercept, statistics.correlation(sizes, values) ** 2


def measure(stack: str, repeats: int) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    times, peaks, rows = [], [], []
    for size in SIZES:
        catalog.CATALOG = with_entries(size)
        build(stack)  # warm-up: imports and first-use caches are not per-entry cost
        samples = []
        for _ in range(repeats):
            began = time.perf_counter()
            resources = build(stack)
            samples.append(time.perf_counter() - began)
        peak = traced_peak(lambda: build(stack))
        rows.append(summary_row(f"{stack}: {size} entries, {resources} resources", samples))
        times.append((size, statistics.median(samples) * 1000))
        peaks.append((size, peak / 1024))
    catalog.CATALOG = SHIPPED
    table(f"{stack}: building the stack under mocks (wall time)", "ms", rows)
    print(f"\n| {stack}: entries | peak traced memory KiB |\n|---:|---:|")
    for size, kib in peaks:
        print(f"| {size} | {kib:,.0f} |")
    return times, peaks


def report_growth(stack: str, times: list[tuple[int, float]], peaks: list[tuple[int, float]]) -> None:
    for what, points, unit in (("time", times, "ms"), ("peak memory", peaks, "KiB")):
        slope, intercept, r_squared = fit(points)
        steps = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in itertools.pairwise(points)]
        print(f"- {stack} {what}: {slope:.2f} {unit} per entry + {intercept:.1f} {unit} "
              f"(least squares over {[size for size, _ in points]} entries, R² {r_squared:.4f}); "
              f"per-entry cost between successive sizes: "
              f"{', '.join(f'{step:.2f}' for step in steps)} {unit}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed builds per stack and size")
    args = parser.parse_args()
    began = time.perf_counter()
    describe_host()
    print("\n### Results")
    growth = {stack: measure(stack, args.repeats) for stack in STACKS}
    print("\n#### Growth with the number of catalog entries (medians; peaks)\n")
    for stack, (times, peaks) in growth.items():
        report_growth(stack, times, peaks)
    print(f"\nProcess peak RSS (ru_maxrss, whole run): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    print(f"Whole benchmark: {time.perf_counter() - began:.0f} s (wall clock)")


if __name__ == "__main__":
    main()
