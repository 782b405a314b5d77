"""The ``run`` and ``stop`` subcommands' arguments (no boto3 import here)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from tasks.contract.catalog import MAX_TIMEOUT_SECONDS

#: docs/LAUNCHER.md's flag table says the same (a test compares them).
TIMEOUT_HELP = (f"stop the task after this many seconds (1 to {MAX_TIMEOUT_SECONDS}) and exit "
                "124; default: the launch settings' timeoutSeconds for the task")


def _add_settings_and_environment(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--environment", required=True,
                        help="where to run: must match the launch settings' environment")
    parser.add_argument("--settings", metavar="FILE",
                        help="launch settings JSON (default: the ADMIN_TASKS_SETTINGS variable)")


def _add_tenant_controls(run: argparse.ArgumentParser) -> None:
    """A tenant task's run-time controls (docs/TENANTS.md); refused for any other task."""
    group = run.add_argument_group("tenant tasks (tenantSteps)")
    group.add_argument("--canary", type=int, metavar="N",
                       help="run the first N tenants alone, the rest only if they all "
                            "succeeded (default 1; 0: no canary)")
    group.add_argument("--on-failure", choices=("stop", "continue"),
                       help="after a tenant fails: stop (default; the tenants not started "
                            "are skipped) or continue with the rest")
    group.add_argument("--parallel", type=int, metavar="K",
                       help="ECS tasks at once, 1 to the stack's maxParallelTasks (default 1)")
    group.add_argument("--tenants", metavar="A,B",
                       help="only these tenants (schema names, comma-separated), in this order")
    group.add_argument("--resume", metavar="ENV/TASK/RUN_ID",
                       help="exactly the tenants of that earlier run that did not succeed (its "
                            "result line names the argument)")


def add_launcher_commands(commands: Any, handler: Callable[..., Any]) -> None:
    """Register ``run`` and ``stop`` on the CLI's subparsers, both dispatched to ``handler``."""
    run = commands.add_parser("run", help="start an admin task on ECS and follow it to the end")
    run.add_argument("task", metavar="TASK",
                     help="a built-in task (e.g. seed-admin) or an application task of the stack")
    _add_settings_and_environment(run)
    run.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                     help="a task parameter, e.g. email=you@example.com (repeatable)")
    run.add_argument("--params", default="", metavar="QUERY",
                     help="parameters as name=value pairs joined by &, with %%26 for a literal & "
                          "and %%25 for %% (the workflow's params input), e.g. days=90&schema=acme")
    run.add_argument("--preview", action="store_true",
                     help="run the task's checks and statements, report what would change, and "
                          "write nothing (built-in tasks only)")
    run.add_argument("--approved-request", metavar="DIGEST",
                     help="the check job's request output (the digest of the request the "
                          "reviewer was shown, then one of each part); the run is refused, "
                          "naming what differs, if what would run is not that request")
    run.add_argument("--reason", required=True, help="why this runs (written to the audit row)")
    run.add_argument("--timeout", type=int, metavar="SECONDS", help=TIMEOUT_HELP)
    _add_tenant_controls(run)
    modes = run.add_mutually_exclusive_group()
    modes.add_argument("--check", action="store_true",
                       help="only validate the inputs and write the approval request (to "
                            "GITHUB_STEP_SUMMARY when set); built-in tasks need no launch "
                            "settings; calls nothing")
    modes.add_argument("--dry-run", action="store_true",
                       help="print the RunTask request as JSON and call nothing")
    modes.add_argument("--no-wait", action="store_true",
                       help="start the task and exit 0 without following it")
    run.set_defaults(handler=handler)

    stop = commands.add_parser("stop", help="stop every task a run started (cancel backstop)")
    stop.add_argument("--run-id", required=True,
                      help="the run's id: GITHUB_RUN_ID-GITHUB_RUN_ATTEMPT in the workflow")
    _add_settings_and_environment(stop)
    stop.set_defaults(handler=handler)
