"""``run`` and ``stop``: the launcher's two commands, checked here, carried out elsewhere.

Everything up to the first AWS call (``run --check``, ``run --dry-run``, and every
exit-2 check) needs no boto3; :mod:`tasks.launcher.follow` and :mod:`tasks.launcher.stop`,
which call AWS, are imported only once a command gets that far. ``default_runtime``
(:mod:`tasks.launcher.runtime`) is the seam tests replace here.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Mapping
from dataclasses import replace

from tasks.contract.context import context_from_environment
from tasks.contract.errors import AdminTaskError, InvalidInput, Refused
from tasks.contract.settings import approval_environments
from tasks.contract.validation import validate_environment_name
from tasks.launcher.approval_request import publish_approval_request
from tasks.launcher.approvals import in_github_actions, read_approval, refuse_unreviewed
from tasks.launcher.approved import refusal
from tasks.launcher.inputs import actor_from, check_run
from tasks.launcher.request import LaunchRequest, build_request
from tasks.launcher.requester import read_requesters
from tasks.launcher.results import (
    CHECKED,
    DRY_RUN,
    LauncherFailed,
    LauncherResult,
    failure_description,
)
from tasks.launcher.runtime import Runtime, default_runtime, require_aws
from tasks.launcher.settings_input import load_launch_settings

RUN_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,6}|local-[0-9a-f]{12}")


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
    if request.inputs.tenant_controls is not None:
        if args.no_wait:
            raise InvalidInput("--no-wait: a tenant run is followed to its end (its tasks share "
                               "one ledger and one cancellation); leave --no-wait out")
        from tasks.launcher.fanout import follow_tenant_run

        return follow_tenant_run(request, runtime, environ)
    from tasks.launcher.follow import follow_task

    return follow_task(request, runtime, environ, wait=not args.no_wait)


def _check(args: argparse.Namespace, environ: Mapping[str, str]) -> LauncherResult:
    """Before approval: validate, then put the approval request on the run page. In
    GitHub, a run a bot started is refused here already, before a reviewer is asked."""
    inputs, settings = check_run(args, environ, settings_required=False)
    if in_github_actions(environ):
        inputs = replace(inputs, context=replace(
            inputs.context, actor=read_requesters(environ).name))
    required = settings.required_approvals if settings else 1
    publish_approval_request(inputs, environ, required)
    source = "its launch settings" if settings else "the built-in catalog"
    return LauncherResult.of(CHECKED, f"the inputs for {inputs.task_name} on "
                             f"{args.environment} are valid (checked against {source}; nothing "
                             "was called)", request=inputs.token())


def _approved_request(args: argparse.Namespace, environ: Mapping[str, str]) -> LaunchRequest:
    """The request to send, once it is known who approved it (GitHub runs: before any AWS
    call) and that it is what the reviewer was shown."""
    inputs, settings = check_run(args, environ, settings_required=True)
    assert settings is not None  # settings_required
    refused = None if args.approved_request is None else refusal(
        args.approved_request, inputs.digest(), inputs.parts(), task=inputs.task_name,
        environment=args.environment)
    if refused:
        raise Refused(refused)
    if in_github_actions(environ) and not args.dry_run:
        requesters = read_requesters(environ)
        required = settings.required_approvals
        approval = read_approval(environ, approval_environments(args.environment, required))
        approvers = refuse_unreviewed(approval, requesters=requesters,
                                      environment=args.environment, required=required,
                                      approval_required=settings.require_approval)
        context = replace(inputs.context, actor=requesters.name,
                          approved_by=tuple(p.login for p in approvers) or None,
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
