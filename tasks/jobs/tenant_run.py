"""The recorder of a tenant task (:mod:`tasks.jobs.app_run` hands over to it).

Task 1 of the run (``ADMIN_TASK_WORKER``) reads the tenants and checks the controls
before anything is written (an unknown tenant, or a resume of another task's run, is
exit 2 with nothing recorded), opens the run's row, writes the ledger, then runs the
steps and tenants; tasks 2 to K wait for the ledger and claim tenants only. Whichever
task ends last, with no tenant of the run still running, completes the run's row with
the counts. Every task prints a result line with its own tenants, the run's counts and
the ``--resume`` argument that would take the rest.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import Engine

from tasks.contract.context import RunContext
from tasks.contract.errors import AdminTaskError, InvalidInput, Refused, TaskFailedToStart
from tasks.contract.outcome import CommandResult
from tasks.contract.run_record import OPENED_MARKER
from tasks.contract.task_settings import TaskSettings
from tasks.contract.tenants import (
    CONTROLS_VARIABLE,
    WORK_PIPE,
    WORKER_VARIABLE,
    TenantControls,
    controls_from_json,
)
from tasks.jobs.app_container import StopSignal, read_metadata, task_arn, wait_for_exit
from tasks.jobs.database import DatabaseTarget
from tasks.jobs.run_records import TABLE, RunRow, complete_run, open_run, run_state
from tasks.jobs.tenant_ledger import TABLE as LEDGER_TABLE
from tasks.jobs.tenant_ledger import (
    ledger_written,
    select_tenants,
    status_counts,
    write_ledger,
)
from tasks.jobs.tenant_worker import Channel, WorkerOutcome, work

LEDGER_WAIT_SECONDS = 300.0


def run_controls(environ: Mapping[str, str], environment: str, task: str,
                 settings: TaskSettings) -> tuple[TenantControls, int]:
    """The run's controls and which of its tasks this is, checked as the launcher did."""
    source = settings.tenant_source
    assert source is not None  # a tenant task's settings always hold it
    raw = environ.get(CONTROLS_VARIABLE) or TenantControls().to_json()
    controls = controls_from_json(raw, environment, task, source.max_parallel_tasks)
    worker = environ.get(WORKER_VARIABLE, "1")
    if not worker.isdigit() or not 1 <= int(worker) <= controls.parallel:
        raise InvalidInput(f"{WORKER_VARIABLE} must be 1 to {controls.parallel}, got "
                           f"{worker[:20]!r}")
    return controls, int(worker)


def record_tenant_run(environment: str, task: str, settings: TaskSettings,
                      context: RunContext, preview: bool, steps: list[list[str]],
                      environ: Mapping[str, str], engine: Engine, target: DatabaseTarget,
                      stop: StopSignal) -> CommandResult:
    source = settings.tenant_source
    assert source is not None
    controls, worker = run_controls(environ, environment, task, settings)
    ecs_task = task_arn(environ)
    marker = Path(OPENED_MARKER)
    channel = Channel(pipe=Path(WORK_PIPE), progress=marker.parent / "steps",
                      gone=lambda: _gone(environ, settings.container),
                      stopping=stop.event.is_set, sleep=stop.pause)
    tenants: list[tuple[str, int]] = []
    if worker == 1:
        if not preview:
            tenants = select_tenants(engine, target, source, controls, task=task,
                                     environment=environment)
        open_run(engine, target, RunRow(
            task=task, environment=environment,
            image=settings.image_ref, preview=preview, context=context, steps=steps,
            ecs_task=ecs_task, tenant_run={**controls.to_document(), "tenants": len(tenants)}))
    channel.create()
    # A later task runs no steps, only tenants of a ledger written after the steps
    # succeeded: its application container may start now and wait on the pipe.
    marker.write_text(context.run_id)
    joined = worker == 1 or _await_ledger(engine, target, context.run_id, task, stop)
    try:
        outcome = work(channel, engine, target, context.run_id, controls=controls,
                       first=worker == 1, preview=preview, ecs_task=ecs_task,
                       write_ledger=lambda: write_ledger(engine, target, context.run_id,
                                                         tenants, controls.resumed_run)) \
            if joined else WorkerOutcome()
    except AdminTaskError as error:
        if worker == 1:  # its run row is open: it says how the run ended, not "running"
            _close(engine, target, context.run_id, error, controls)
        raise
    if not joined:
        channel.release()
    code, _ = wait_for_exit(environ, settings.container, channel.progress, sleep=stop.pause,
                            stopping=stop.event.is_set)
    return _result(environment, task, settings, context, engine, target, outcome, code,
                   controls, worker, stopped=stop.event.is_set(), preview=preview, steps=steps,
                   joined=joined)


def _close(engine: Engine, target: DatabaseTarget, run_id: str, error: AdminTaskError,
           controls: TenantControls) -> None:
    """Task 1 failed after opening the run (a resume refused at the ledger, the database
    gone): the run's row ends with that outcome, best effort (the error is what matters)."""
    with contextlib.suppress(AdminTaskError):
        complete_run(engine, target, run_id, status=error.outcome, exit_code=error.exit_code,
                     failed_step=None, tenant_run=controls.to_document())


def _await_ledger(engine: Engine, target: DatabaseTarget, run_id: str, task: str,
                  stop: StopSignal) -> bool:
    """Tasks 2 to K start with task 1, whose ledger is written once the steps succeeded:
    True once it is there; False when the run ended without one (its steps failed, or
    it has no tenant). A run row of another task is refused; none within five minutes
    means task 1 refused the run (its log says why)."""
    deadline = time.monotonic() + LEDGER_WAIT_SECONDS
    while not stop.event.is_set():
        run = run_state(engine, target, run_id)
        if run is None and time.monotonic() > deadline:
            raise TaskFailedToStart(f"{TABLE} has no run {run_id}: its first ECS task did not "
                                    "open it (see its log); this task ran nothing")
        if run is not None and run[0] != task:
            raise Refused(f"run {run_id} is a run of {run[0]}, not {task}: this task does not "
                          "join it; nothing ran")
        if ledger_written(engine, target, run_id):
            return True
        if run is not None and run[1] != "running":
            return False
        stop.pause(2.0)
    return False


def _gone(environ: Mapping[str, str], container: str) -> bool:
    state = read_metadata(environ, container)
    return state is not None and state.stopped


def _result(environment: str, task: str, settings: TaskSettings, context: RunContext,
            engine: Engine, target: DatabaseTarget, outcome: WorkerOutcome, code: int | None,
            controls: TenantControls, worker: int, *, stopped: bool, preview: bool,
            steps: list[list[str]], joined: bool) -> CommandResult:
    """The task's result line. A task that never joined a ledger (the run had none: task 1
    refused it, its steps failed, it had no tenant) leaves the run's row to task 1 and
    offers no ``--resume``: there is nothing of this run to resume."""
    counts = status_counts(engine, target, context.run_id)
    exit_code = outcome.exit_code or (code or 0)
    failed = sum(counts.get(s, 0) for s in ("failed", "interrupted", "skipped"))
    status = ("stopped" if stopped else "failed" if exit_code or failed
              or outcome.steps_code not in (None, 0) else "succeeded")
    # The run ends with the last task that has nothing left: no tenant running, and none
    # pending unless this task is being stopped (a timeout leaves them for --resume).
    if joined and not counts.get("running") and (stopped or not counts.get("pending")):
        complete_run(engine, target, context.run_id, status=status,
                     exit_code=exit_code or (1 if failed else 0), failed_step=None,
                     tenant_run={**controls.to_document(), "counts": counts})
    resume = f"{environment}/{task}/{context.run_id}" if joined else None  # --resume's
    tenants = [{"schema": t.schema, "status": t.status, "exitCode": t.exit_code,
                "seconds": t.seconds} for t in outcome.tenants]
    line = {"ok": exit_code == 0, "outcome": status, "wasNew": True, "task": task,
            "exitCode": exit_code, "failedStep": None, "image": settings.image_ref,
            "preview": preview, "steps": steps, "worker": worker, "stepsExitCode": outcome.steps_code,
            "tenants": tenants, "tenantCounts": counts, "resume": resume,
            "audit": {**context.as_metadata(), "recordedIn": f"{TABLE}, {LEDGER_TABLE}",
                      "source": "admin-tasks"}}
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no tenants"
    message = (f"{task} task {worker}/{controls.parallel}: {len(tenants)} tenant(s) "
               f"here; the run's tenants: {summary}; "
               + (f"resume with --resume {resume}" if resume else "this task joined no ledger"))
    return CommandResult(line, exit_code, message)
