"""Regenerate docs/BENCHMARKS.md from the benchmarks' own output (``make bench``).

Each benchmark prints Markdown: its machine (date, command, CPUs, RAM, software, load)
and its results. This runs them one after another and writes each one's output into
its section of docs/BENCHMARKS.md, between the markers that name it; the prose around
the markers (how to reproduce, what is compared, what it means) is written by hand and
quotes no figure, so a re-run never leaves it saying something the tables contradict.

    python benchmarks/report.py                  # every benchmark (about 15 minutes)
    python benchmarks/report.py tenants launcher # only these sections

A benchmark that fails (or prints nothing) leaves its section as it was, the others are still written, and
the exit code is 1. Extra arguments for one benchmark go after ``--``:
``python benchmarks/report.py tenants -- --tenants 200``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "BENCHMARKS.md"
#: section name → the benchmark script that fills it, in the document's order.
SECTIONS = {
    "seeding": "benchmarks/seeding.py",
    "launcher": "benchmarks/launcher.py",
    "program": "benchmarks/program.py",
    "cold-start": "benchmarks/cold_start.py",
    "tenants": "benchmarks/tenants.py",
}


def begin(name: str) -> str:
    return (f"<!-- make bench: {name} begins. Written by benchmarks/report.py from "
            f"{SECTIONS[name]}'s output; an edit here is overwritten. -->")


def end(name: str) -> str:
    return f"<!-- make bench: {name} ends -->"


def replace_section(document: str, name: str, output: str) -> str:
    """The document with ``name``'s generated block holding ``output``; a document that
    lacks the block's markers (or has them twice) is refused, not appended to."""
    pattern = re.compile(re.escape(begin(name)) + r"\n.*?" + re.escape(end(name)), re.S)
    if not document.count(begin(name)) == document.count(end(name)) == 1 \
            or len(pattern.findall(document)) != 1:
        raise SystemExit(f"report: {DOCUMENT.name} must hold the markers of section "
                         f"{name!r} exactly once:\n  {begin(name)}\n  {end(name)}")
    block = f"{begin(name)}\n\n{output.strip()}\n\n{end(name)}"
    return pattern.sub(lambda _: block, document)


def run_benchmark(name: str, extra: Sequence[str]) -> str | None:
    """The benchmark's stdout, or None when it failed (its stderr is passed through)."""
    command = [sys.executable, SECTIONS[name], *extra]
    print(f"report: running {' '.join(command[1:])}", file=sys.stderr, flush=True)
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0 or not done.stdout.strip():
        print(f"report: {SECTIONS[name]} exited {done.returncode}"
              f"{'' if done.stdout.strip() else ' and printed nothing'}; section {name!r} is "
              "left as it was", file=sys.stderr)
        return None
    return done.stdout


def write(document: str) -> None:
    """All of it or nothing: a killed run never leaves half a document."""
    partial = DOCUMENT.with_name(DOCUMENT.name + ".partial")
    partial.write_text(document, encoding="utf-8")
    partial.replace(DOCUMENT)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in arguments:
        extra = arguments[arguments.index("--") + 1:]
        arguments = arguments[:arguments.index("--")]
    unknown = [name for name in arguments if name not in SECTIONS]
    if unknown or (extra and len(arguments) != 1):
        print(f"usage: report.py [{'|'.join(SECTIONS)} ...] [-- ARGS for one benchmark]"
              + (f"; unknown section {unknown[0]!r}" if unknown else ""), file=sys.stderr)
        return 2
    names = arguments or list(SECTIONS)
    document = DOCUMENT.read_text(encoding="utf-8")
    for name in names:  # every marker present before anything runs for minutes
        replace_section(document, name, "")
    failed = False
    for name in names:
        output = run_benchmark(name, extra)
        if output is None:
            failed = True
            continue
        write(replace_section(DOCUMENT.read_text(encoding="utf-8"), name, output))
        print(f"report: section {name!r} of {DOCUMENT.relative_to(ROOT)} rewritten",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
