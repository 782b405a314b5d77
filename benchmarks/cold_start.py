"""The README's two set-up commands from a fresh clone, cold: wall time and what they left.

Each command runs in its own new ``git clone`` of this repository's HEAD (uncommitted
changes are not in it), with no virtualenv and, unless ``--warm-caches``, empty package
caches: pip and uv get new cache directories, so every wheel is downloaded again. The
goal it checks: ``make test`` (``CI=true .ci/run``) under three minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness import describe_host

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 180
SEED = ["make", "seed", "EMAIL=you@example.com"]
TEST = ["bash", ".ci/run"]


@dataclass(frozen=True)
class Timed:
    seconds: float
    user: float
    system: float
    code: int
    output: str
    venv_bytes: int


def duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{seconds:.1f} s"


def size(path: Path) -> int:
    done = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True)
    return int(done.stdout.split()[0]) if done.returncode == 0 else 0


#: What would make a clone's run use something of this checkout's: its virtualenv and
#: make's variables (``make bench VENV=…`` reaches a sub-make through MAKEFLAGS). The
#: machine's own pip and uv settings (certificates, an index) stay: a newcomer has them.
LEAKS = ("VIRTUAL_ENV", "PYTHONPATH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES",
         "UV_PROJECT_ENVIRONMENT", "PIP_CACHE_DIR", "UV_CACHE_DIR")


def environment(caches: Path | None) -> dict[str, str]:
    """This process's environment without anything of this checkout's; new cache
    directories (``caches``) unless they are to stay warm."""
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep)
            if not p.rstrip("/").endswith(".venv/bin")]
    env = {k: v for k, v in os.environ.items() if k not in LEAKS}
    env.update(PATH=os.pathsep.join(path), CI="true")
    if caches is not None:
        env.update(UV_CACHE_DIR=str(caches / "uv"), PIP_CACHE_DIR=str(caches / "pip"))
    return env


def timed(command: list[str], clone: Path, env: dict[str, str]) -> Timed:
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(command, cwd=clone, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Timed(seconds, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime,
                 done.returncode, done.stdout, size(clone / ".venv"))


def pytest_line(output: str) -> str:
    """``2123 passed, 3 skipped; pytest itself 2 min 46 s`` from pytest's last line."""
    found = re.findall(r"^=* ?(\d+ \w+.*? in ([\d.]+)s)", output, re.M)
    if not found:
        return "no pytest summary line"
    summary, seconds = found[-1]
    counts = summary.rsplit(" in ", 1)[0]
    return f"{counts}; pytest itself {duration(float(seconds))}"


def row(command: str, result: Timed, left: str) -> str:
    return (f"| `{command}` | {duration(result.seconds)} | {duration(result.user)} / "
            f"{duration(result.system)} | {result.code} | {left}; a "
            f"{result.venv_bytes / 2**20:,.0f} MiB `.venv` |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-caches", action="store_true",
                        help="keep pip's and uv's own caches (downloads are not timed)")
    args = parser.parse_args()
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.strip()
    describe_host()
    print(f"- commit {commit}, a fresh `git clone` per command; package caches: "
          + ("warm (the user's own)" if args.warm_caches else
             "empty (new `UV_CACHE_DIR` and `PIP_CACHE_DIR`: every wheel downloaded)"))
    with tempfile.TemporaryDirectory(prefix="admin-tasks-cold-") as scratch:
        base = Path(scratch)
        def env(name: str) -> dict[str, str]:  # each command its own empty caches
            return environment(None if args.warm_caches else base / f"{name}-caches")

        seed = timed(SEED, base / "seed", env("seed"))
        test = timed(TEST, base / "test", env("test"))
    print("\n### Results\n")
    print("| command, from a fresh clone | wall time | user / sys (all processes) | exit "
          "| what it left |\n|---|---:|---:|---:|---|")
    print(row(" ".join(SEED), seed, "`./admin-tasks.db` with its admin"))
    print(row("CI=true .ci/run", test, pytest_line(test.output)))
    verdict = "met" if test.code == 0 and test.seconds < GOAL_SECONDS else "not met"
    print(f"\nGoal, `make test` cold in under {duration(GOAL_SECONDS)}: **{verdict}** "
          f"({duration(test.seconds)}).")
    for name, result in (("make seed", seed), (".ci/run", test)):
        if result.code != 0:
            print(f"{name} failed (exit {result.code}); its last lines:\n", file=sys.stderr)
            print("\n".join(result.output.splitlines()[-30:]), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
