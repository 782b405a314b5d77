"""``run`` and ``stop``: the launcher's two commands, checked here, carried out elsewhere.

Everything up to the first AWS call (``run --check``, ``run --dry-run``, and every
exit-2 check) needs no boto3; :mod:`tasks.launcher.follow` and :mod:`tasks.launcher.stop`,
which call AWS, are imported only once a command gets that far. ``default_runtime`` is
the seam tests replace: the AWS clients, the clock and the output stream.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from tasks.context import context_from_environment
from tasks.errors import AdminTaskError, InvalidInput
from tasks.launcher.clock import Clock, SystemClock
from tasks.launcher.request import actor_from, build_request, check_inputs
from tasks.launcher.results import (
    CHECKED,
    DRY_RUN,
    LauncherFailed,
    LauncherResult,
    failure_description,
)
from tasks.launcher.settings_input import load_launch_settings
from tasks.validation import validate_environment_name

if TYPE_CHECKING:
    from tasks.launcher.aws import Clients

INSTALL_HINT = ("pip install -e '.[launcher]', or the hash-pinned requirements as the workflow "
                "does: pip install --require-hashes --no-deps -r requirements/launcher.txt")


@dataclass(frozen=True)
class Runtime:
    """Where the launcher gets AWS clients and time, and where it writes."""

    clients: Callable[[str], Clients]
    clock: Clock
    out: TextIO
    log_page_size: int | None = None


def _make_clients(region: str) -> Clients:
    from tasks.launcher.aws import make_clients

    return make_clients(region)


def default_runtime() -> Runtime:
    return Runtime(clients=_make_clients, clock=SystemClock(), out=sys.stdout)


def require_aws() -> None:
    """Exit 2 with what to install when boto3 is missing (the container's install)."""
    try:
        import boto3  # noqa: F401
        import botocore  # noqa: F401
    except ImportError as error:
        raise InvalidInput(f"this command calls AWS and needs boto3, which cannot be imported "
                           f"({error}): {INSTALL_HINT}") from None


def dispatch(args: argparse.Namespace, environ: Mapping[str, str]) -> LauncherResult:
    """Run the command; a failure of the launcher itself is one line (outcome launcher-error)."""
    try:
        if args.command == "stop":
            return stop_run(args, environ, default_runtime())
        return run_task(args, environ, default_runtime())
    except AdminTaskError:
        raise
    except Exception as error:
        raise LauncherFailed(f"the launcher failed ({failure_description(error)})") from None


def run_task(args: argparse.Namespace, environ: Mapping[str, str],
             runtime: Runtime) -> LauncherResult:
    if args.check:
        checked = check_inputs(task_name=args.task, environment=args.environment,
                               raw_params=args.param, reason=args.reason, timeout=args.timeout,
                               environ=environ)
        return LauncherResult.of(CHECKED, f"the inputs for {checked.entry.name} on "
                                 f"{args.environment} are valid (checked without launch "
                                 "settings; nothing was called)")
    request = build_request(task_name=args.task, environment=args.environment,
                            raw_params=args.param, reason=args.reason, timeout=args.timeout,
                            settings_file=args.settings, environ=environ)
    if args.dry_run:
        runtime.out.write(json.dumps(request.run_task_request(), indent=2) + "\n")
        return LauncherResult.of(DRY_RUN, "dry run: printed the RunTask request, called nothing")
    require_aws()
    from tasks.launcher.follow import follow_task

    return follow_task(request, runtime, environ, wait=not args.no_wait)


def stop_run(args: argparse.Namespace, environ: Mapping[str, str],
             runtime: Runtime) -> LauncherResult:
    """Stop every task the run started that ECS still has running (the cancel backstop)."""
    validate_environment_name(args.environment)
    settings = load_launch_settings(args.settings, environ, args.environment)
    if not args.run_id:
        raise InvalidInput("--run-id is empty: pass GITHUB_RUN_ID-GITHUB_RUN_ATTEMPT")
    context = context_from_environment({"ADMIN_TASK_ACTOR": actor_from(environ),
                                        "ADMIN_TASK_RUN_ID": args.run_id})
    require_aws()
    from tasks.launcher.stop import stop_tasks

    return stop_tasks(settings, context, runtime.clients(settings.region).ecs,
                      runtime.out, runtime.clock)
