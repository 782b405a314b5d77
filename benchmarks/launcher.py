"""Launcher efficiency: AWS calls, stop detection and log delay
of ``python -m tasks run`` against botocore's ``tasks_stopped`` waiter plus 5 s log
polling, on the same simulated 1, 10 and 30-minute tasks, in moto, on a virtual clock.

    .venv/bin/python benchmarks/launcher.py [--repeats N]

Prints Markdown: the machine, then per task length the calls by operation, the delay
from the task reaching STOPPED to the follower exiting, the delay from a log event's
timestamp to its line being printed (virtual seconds), the ratios, and whether each of
the launcher's goals was met in this run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # for tests.launcher's helpers

from harness import describe_host, percentile, ratio, summary_row, table
from launcher_simulation import (
    Follow,
    Workload,
    follow_with_admin_tasks,
    follow_with_waiter,
)
from moto import mock_aws
from moto.moto_api import state_manager

from tasks.launcher.clock import duration
from tests.launcher.conftest import REGION, SESSION, World, create_network, reset_account

MINUTES = (1, 10, 30)
CONTENDERS: dict[str, Callable[[World, Workload], Follow]] = {
    "admin-tasks": follow_with_admin_tasks, "baseline": follow_with_waiter}
OPERATIONS = ("RunTask", "DescribeTasks", "GetLogEvents", "StopTask")


def measure(repeats: int) -> dict[tuple[int, str], list[Follow]]:
    """Every contender follows the same generated workloads, each in a fresh account."""
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION})
    results: dict[tuple[int, str], list[Follow]] = {}
    with mock_aws():
        network = create_network()
        try:
            for minutes in MINUTES:
                for repeat in range(repeats):
                    workload = Workload.generate(minutes, random.Random(f"{minutes}-{repeat}"))
                    for name, follow in CONTENDERS.items():
                        world = World(settings=reset_account(network),
                                      ecs=SESSION.client("ecs", region_name=REGION),
                                      logs=SESSION.client("logs", region_name=REGION))
                        outcome = follow(world, workload)
                        assert len(outcome.printed) <= workload.lines
                        results.setdefault((minutes, name), []).append(outcome)
        finally:
            state_manager.unset_transition("ecs::task")
    return results


def per_minute(follow: Follow, *, followed: bool) -> float:
    """Calls per minute of the task's life, or per minute of actually following it."""
    minutes = (follow.exited_at if followed else follow.stopped_at) / 60
    return sum(follow.calls.values()) / minutes


def report(minutes: int, runs: dict[str, list[Follow]], lines: int) -> dict[str, float]:
    print(f"\n#### {minutes}-minute task ({len(runs['baseline'])} runs each)")
    rows = []
    for name, follows in runs.items():
        for operation in OPERATIONS:
            rows.append(summary_row(f"{name}: {operation}",
                                    [f.calls[operation] for f in follows], 1.0))
        rows.append(summary_row(f"{name}: **all calls**",
                                [sum(f.calls.values()) for f in follows], 1.0))
        rows.append(summary_row(f"{name}: calls per task-minute",
                                [per_minute(f, followed=False) for f in follows], 1.0))
        rows.append(summary_row(f"{name}: calls per minute followed",
                                [per_minute(f, followed=True) for f in follows], 1.0))
    table(f"AWS API calls per run, {minutes}-minute task", "calls", rows, level=5)
    rows, gave_up = [], {}
    for name, follows in runs.items():
        detected = [f.exited_at - f.stopped_at for f in follows if not f.gave_up]
        gave_up[name] = [f for f in follows if f.gave_up]
        if detected:
            rows.append(summary_row(f"{name}: STOPPED → exit", detected, 1.0))
    table(f"Stop detection, {minutes}-minute task (virtual seconds)", "s", rows, level=5)
    for name, lost in gave_up.items():
        if lost:
            print(f"\n{name}: gave up in {len(lost)} of {len(runs[name])} runs, after "
                  f"{duration(lost[0].exited_at)} while the task ran on (stopped at "
                  f"{duration(lost[0].stopped_at)}); exit code unknown")
    rows = []
    for name, follows in runs.items():
        delays = [delay for f in follows for delay in f.printed.values()]
        rows.append(summary_row(f"{name}: event timestamp → line printed", delays, 1.0))
    table(f"Log delay, {minutes}-minute task (virtual seconds)", "s", rows, level=5)
    for name, follows in runs.items():
        shown = sum(len(f.printed) for f in follows)
        print(f"- {name}: {shown} of {lines} lines shown; exit codes reported: "
              f"{sorted({str(f.exit_code) for f in follows})}")
    return ratios(runs)


def ratios(runs: dict[str, list[Follow]]) -> dict[str, float]:
    ours, theirs = runs["admin-tasks"], runs["baseline"]

    def median(follows: list[Follow], figure: Callable[[Follow], float]) -> float:
        return statistics.median(figure(f) for f in follows)

    found = [f for f in theirs if not f.gave_up]
    figures = {
        "calls per task-minute": (median(ours, lambda f: per_minute(f, followed=False)),
                                  median(theirs, lambda f: per_minute(f, followed=False))),
        "calls per minute followed": (median(ours, lambda f: per_minute(f, followed=True)),
                                      median(theirs, lambda f: per_minute(f, followed=True))),
        "median log delay": (statistics.median(d for f in ours for d in f.printed.values()),
                             statistics.median(d for f in theirs for d in f.printed.values())),
    }
    if found:
        figures["median stop detection"] = (median(ours, lambda f: f.exited_at - f.stopped_at),
                                            median(found, lambda f: f.exited_at - f.stopped_at))
    print("\nRatios admin-tasks / baseline (medians): " + "; ".join(
        f"{label} {a:.2f} / {b:.2f} = {ratio(a, b)}" for label, (a, b) in figures.items()))
    return {label: a / b for label, (a, b) in figures.items() if b}


def goals(results: dict[tuple[int, str], list[Follow]]) -> None:
    """The launcher's goals against the baseline, each judged from this run's figures."""
    ours = {m: results[(m, "admin-tasks")] for m in MINUTES}
    theirs = {m: results[(m, "baseline")] for m in MINUTES}
    lost = [f for m in MINUTES for f in ours[m] if f.gave_up or f.exit_code is None]
    long_runs = [f for m in MINUTES if m >= 10 for f in theirs[m]]
    runs = sum(map(len, ours.values()))
    ceiling = (not lost, f"{runs - len(lost)} of {runs} runs followed to STOPPED with an "
               "exit code",
               f"the waiter gave up in {sum(f.gave_up for f in long_runs)} of "
               f"{len(long_runs)} runs of 10 minutes or more")

    def stop(follows: list[Follow]) -> float:
        return statistics.median(f.exited_at - f.stopped_at for f in follows)

    found = [m for m in MINUTES if any(not f.gave_up for f in theirs[m])]
    detection = [(stop(ours[m]), stop([f for f in theirs[m] if not f.gave_up])) for m in found]
    delays = {name: [d for m in MINUTES for f in results[(m, name)] for d in f.printed.values()]
              for name in CONTENDERS}
    figures = {name: (statistics.median(d), percentile(d, 0.95)) for name, d in delays.items()}
    calls = [(statistics.median(per_minute(f, followed=True) for f in ours[m]),
              statistics.median(per_minute(f, followed=True) for f in theirs[m]))
             for m in MINUTES]
    rows = [
        ("no 10-minute ceiling", *ceiling),
        ("shorter stop detection (median)", all(a < b for a, b in detection),
         ", ".join(f"{a:.1f} s" for a, _ in detection),
         ", ".join(f"{b:.1f} s" for _, b in detection) + " (the lengths it detected)"),
        ("shorter log delay (median, p95)",
         all(a < b for a, b in zip(figures["admin-tasks"], figures["baseline"], strict=True)),
         "{:.1f} s, {:.1f} s".format(*figures["admin-tasks"]),
         "{:.1f} s, {:.1f} s".format(*figures["baseline"])),
        ("no more calls per minute followed (median per length)",
         all(a <= b for a, b in calls), ", ".join(f"{a:.1f}" for a, _ in calls),
         ", ".join(f"{b:.1f}" for _, b in calls)),
    ]
    print("\n#### Against the launcher's goals\n")
    print("| goal | met? | admin-tasks | baseline |\n|---|---|---|---|")
    for goal, met, mine, baseline in rows:
        print(f"| {goal} | {'**yes**' if met else '**no**'} | {mine} | {baseline} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="workloads per task length")
    args = parser.parse_args()
    began = time.perf_counter()
    describe_host()
    print("\n### Results")
    results = measure(args.repeats)
    for minutes in MINUTES:
        lines = sum(Workload.generate(minutes, random.Random(f"{minutes}-{r}")).lines
                    for r in range(args.repeats))
        report(minutes, {name: results[(minutes, name)] for name in CONTENDERS}, lines)
    goals(results)
    print(f"\nWhole benchmark: {time.perf_counter() - began:.0f} s (wall clock)")


if __name__ == "__main__":
    main()
