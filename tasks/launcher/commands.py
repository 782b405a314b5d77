"""``run`` and ``stop``: the launcher's two commands, checked here, carried out elsewhere.

Everything up to the first AWS call (``run --check``, ``run --dry-run``, and every
exit-2 check) needs no boto3; :mod:`tasks.launcher.follow` and :mod:`tasks.launcher.stop`,
which call AWS, are imported only once a command gets that far. ``default_runtime`` is
the seam tests replace: the AWS clients, the clock and the output stream.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TextIO

from tasks.context import context_from_environment
from tasks.errors import AdminTaskError, InvalidInput, Refused
from tasks.launcher.approval_request import publish_approval_request
from tasks.launcher.approvals import in_github_actions, read_approval, refuse_unreviewed
from tasks.launcher.clock import Clock, SystemClock
from tasks.launcher.inputs import CheckedInputs, actor_from, check_inputs, params_query
from tasks.launcher.request import LaunchRequest, build_request
from tasks.launcher.results import (
    CHECKED,
    DRY_RUN,
    LauncherFailed,
    LauncherResult,
    failure_description,
)
from tasks.launcher.settings_input import SETTINGS_VARIABLE, load_launch_settings
from tasks.settings import LaunchSettings
from tasks.validation import validate_environment_name

if TYPE_CHECKING:
    from tasks.launcher.aws import Clients

RUN_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,6}|local-[0-9a-f]{12}")
DIGEST = re.compile(r"[0-9a-f]{64}")
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
        return _check(args, environ)
    request = _approved_request(args, environ)
    if args.dry_run:
        runtime.out.write(json.dumps(request.run_task_request(), indent=2) + "\n")
        return LauncherResult.of(DRY_RUN, "dry run: printed the RunTask request, called nothing")
    require_aws()
    from tasks.launcher.follow import follow_task

    return follow_task(request, runtime, environ, wait=not args.no_wait)


def _inputs(args: argparse.Namespace, environ: Mapping[str, str],
            settings: LaunchSettings | None) -> CheckedInputs:
    return check_inputs(task_name=args.task, environment=args.environment,
                        raw_params=[*args.param, *params_query(args.params)], reason=args.reason,
                        timeout=args.timeout, preview=args.preview, environ=environ,
                        settings=settings)


def _check(args: argparse.Namespace, environ: Mapping[str, str]) -> LauncherResult:
    """Before approval: validate, then put the approval request on the run page."""
    settings = None
    if args.settings or environ.get(SETTINGS_VARIABLE):
        validate_environment_name(args.environment)
        settings = load_launch_settings(args.settings, environ, args.environment)
    inputs = _inputs(args, environ, settings)
    publish_approval_request(inputs, environ)
    source = "its launch settings" if settings else "the built-in catalog"
    return LauncherResult.of(CHECKED, f"the inputs for {inputs.task_name} on "
                             f"{args.environment} are valid (checked against {source}; nothing "
                             "was called)", request=inputs.digest())


def _approved_request(args: argparse.Namespace, environ: Mapping[str, str]) -> LaunchRequest:
    """The request to send, once it is known who approved it (GitHub runs: before any AWS
    call) and that it is what the reviewer was shown."""
    validate_environment_name(args.environment)
    settings = load_launch_settings(args.settings, environ, args.environment)
    inputs = _inputs(args, environ, settings)
    if args.approved_request is not None and not DIGEST.fullmatch(args.approved_request):
        raise InvalidInput(f"--approved-request {args.approved_request[:80]!r} is not a request "
                           "digest: pass the check job's request output (64 hex digits)")
    if args.approved_request is not None and args.approved_request != inputs.digest():
        raise Refused(f"what would run differs from the approval request the reviewer saw "
                      f"({args.approved_request[:12]}… was approved, this is "
                      f"{inputs.digest()[:12]}…): the stack file on main and the deployed "
                      f"{args.environment} stack disagree about {inputs.task_name}; run `pulumi "
                      "up` for it, then start a new run; nothing was started")
    if in_github_actions(environ) and not args.dry_run:
        approval = read_approval(environ, args.environment)
        refuse_unreviewed(approval, actor=inputs.context.actor, environment=args.environment,
                          required=settings.require_approval)
        context = replace(inputs.context, approved_by=approval.approvers or None,
                          approval_comment=approval.comment)
        inputs = replace(inputs, context=context)
    return build_request(inputs, settings, environ)


def stop_run(args: argparse.Namespace, environ: Mapping[str, str],
             runtime: Runtime) -> LauncherResult:
    """Stop every task the run started that ECS still has running (the cancel backstop)."""
    validate_environment_name(args.environment)
    settings = load_launch_settings(args.settings, environ, args.environment)
    if not RUN_ID.fullmatch(args.run_id):
        raise InvalidInput(f"--run-id {args.run_id[:80]!r} is not a run id: pass "
                           "GITHUB_RUN_ID-GITHUB_RUN_ATTEMPT, or the local-… id a terminal run "
                           "printed")
    context = context_from_environment({"ADMIN_TASK_ACTOR": actor_from(environ),
                                        "ADMIN_TASK_RUN_ID": args.run_id})
    require_aws()
    from tasks.launcher.stop import stop_tasks

    return stop_tasks(settings, context, runtime.clients(settings.region).ecs,
                      runtime.out, runtime.clock)
