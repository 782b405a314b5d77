"""``record-app-run``: the recorder of an application task (:mod:`tasks.contract.run_record`).

It runs in this project's image next to the application's container. Before any step it
checks its inputs and commits the run's row (who asked, who approved, why, the image,
each step's argv with the values in place); only then does it create the marker its
health check waits for, so ECS starts the application container only once the row is
there. It then waits for that container to stop, completes the row (outcome, exit code,
the failing step), prints the result line and exits with the application's exit code.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tasks.contract.catalog import TASK_NAME
from tasks.contract.context import RunContext, context_from_environment
from tasks.contract.errors import InvalidInput, TaskFailedToStart
from tasks.contract.outcome import CommandResult
from tasks.contract.run_record import OPENED_MARKER, RECORD_COMMAND
from tasks.contract.task_settings import TaskSettings, parse_task
from tasks.contract.validation import validate_environment_name
from tasks.jobs.app_container import StopSignal, read_progress, task_arn, wait_for_exit
from tasks.jobs.database import DatabaseTarget, make_engine, resolve_target
from tasks.jobs.inputs import PREVIEW_VARIABLE, preview_mode
from tasks.jobs.run_records import TABLE, RunRow, complete_run, open_run
from tasks.jobs.tenant_run import record_tenant_run

log = logging.getLogger("admin-tasks")
MAX_DECLARATION = 256 * 1024


@dataclass(frozen=True)
class Declaration:
    """The recorder's fixed input: which task of which environment, as its settings say."""

    environment: str
    task: str
    settings: TaskSettings


def parse_declaration(raw: str) -> Declaration:
    def bad(where: str, problem: str) -> InvalidInput:
        return InvalidInput(f"the recorder's declaration {where} {problem}: the task "
                            "definition is not one this stack registered; run pulumi up")

    try:
        document = json.loads(raw) if len(raw) <= MAX_DECLARATION else None
    except ValueError:
        document = None
    if not isinstance(document, dict) or set(document) != {"environment", "task", "settings"}:
        raise bad("", "is not an object of environment, task and settings")
    task = document["task"]
    if not isinstance(task, str) or not TASK_NAME.fullmatch(task):
        raise bad("task", "is not a task name")
    return Declaration(environment=validate_environment_name(str(document["environment"])),
                       task=task, settings=parse_task(task, document["settings"], bad))


def _preview(environ: Mapping[str, str], settings: TaskSettings) -> bool:
    """ADMIN_TASK_PREVIEW as every command (and the entry script) reads it; a preview only
    for a task that declares previewSteps."""
    preview = preview_mode(False, environ)
    if preview and not settings.preview_steps:
        raise InvalidInput(f"{PREVIEW_VARIABLE} is true, and this task declares no previewSteps")
    return preview


def _values(settings: TaskSettings, environ: Mapping[str, str]) -> dict[str, str]:
    """The parameters the application container gets, checked by the same rules."""
    values = {}
    for spec in settings.parameters:
        if spec.env_var in environ:
            values[spec.name] = spec.validate(environ[spec.env_var])
        elif spec.required:
            raise InvalidInput(f"parameter {spec.name} ({spec.env_var}) was not passed")
    return values


def _marker_ready(shared: Path) -> None:
    """The shared volume must take the marker before the row is opened: a row whose steps
    could never start would stay ``running``."""
    probe = shared / ".probe"
    try:
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise TaskFailedToStart(f"the shared volume {shared} is not writable ({error.strerror}): the "
                         "task definition's admin_tasks_prepare container must run first; run "
                         "pulumi up; no run record was opened and no step ran") from None


def record_app_run(args: argparse.Namespace, environ: Mapping[str, str]) -> CommandResult:
    declaration = parse_declaration(args.declaration)
    settings = declaration.settings
    context = context_from_environment(environ)
    preview = _preview(environ, settings)
    steps = settings.argv(_values(settings, environ), preview)
    marker = Path(OPENED_MARKER)
    _marker_ready(marker.parent)
    target = resolve_target(environ)
    engine = make_engine(target)
    stop = StopSignal()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, stop)
    if settings.tenant_steps:
        return record_tenant_run(declaration.environment, declaration.task, settings, context,
                                 preview, steps, environ, engine, target, stop)
    open_run(engine, target, RunRow(task=declaration.task, environment=declaration.environment,
                                    image=settings.image_ref, preview=preview, context=context,
                                    steps=steps, ecs_task=task_arn(environ)))
    marker.write_text(context.run_id)
    log.info("opened the run record %s in %s; %d step(s) may start", context.run_id, TABLE,
             len(steps))
    code, _ = wait_for_exit(environ, settings.container, marker.parent / "steps",
                            sleep=stop.pause,
                            stopping=stop.event.is_set)
    return _completed(engine, target, declaration, context, steps, code,
                      stopped=stop.event.is_set(), preview=preview)


def _completed(engine: Engine, target: DatabaseTarget, declaration: Declaration, context: RunContext,
               steps: list[list[str]], code: int | None, *, stopped: bool,
               preview: bool) -> CommandResult:
    progress = read_progress(Path(OPENED_MARKER).parent / "steps")
    failed: dict[str, Any] | None = None
    if progress.failed is not None and 0 < progress.failed <= len(steps):
        failed = {"index": progress.failed, "total": len(steps),
                  "argv": steps[progress.failed - 1]}
    status = ("succeeded" if code == 0 else "stopped" if stopped
              else "failed" if code is not None else "unknown")
    complete_run(engine, target, context.run_id, status=status, exit_code=code,
                 failed_step=failed)
    where = (f"; step {failed['index']}/{failed['total']} failed: {shlex.join(failed['argv'])}"
             if failed else "")
    message = (f"{declaration.task} {status}, exit code "
               f"{'unknown' if code is None else code}{where}; run record {context.run_id} "
               f"completed in {TABLE}")
    line = {"ok": code == 0, "outcome": status, "wasNew": True, "task": declaration.task,
            "exitCode": code, "failedStep": failed, "image": declaration.settings.image_ref,
            "preview": preview, "steps": steps,
            "audit": {**context.as_metadata(), "recordedIn": TABLE, "source": "admin-tasks"}}
    return CommandResult(line, 0 if code == 0 else (code if code is not None else 1), message)


def add_record_command(commands: Any) -> None:
    parser = commands.add_parser(
        RECORD_COMMAND, help="(in an application task definition) keep the run's record",
        description="Opens the run's row, waits for the application container, completes it.")
    parser.add_argument("--declaration", required=True,
                        help="the task's declaration, fixed by the stack")
    parser.set_defaults(handler=record_app_run)
