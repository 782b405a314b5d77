"""A tenant run: ``--parallel K`` ECS tasks of one task definition, followed together.

Each task is started with the same run (``startedBy``, so ``python -m tasks stop`` and a
cancel stop them all) and its own worker number, which only its recorder receives. Each
is followed by its own :class:`~tasks.launcher.watch.Watch` in a thread, sharing the one
cancellation: a signal stops every task. An application line is shown prefixed with the
tenant its entry script last named; the job summary gets one run block and a per-tenant
table; the exit code is the first non-zero one of the tasks.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tasks.contract.errors import AdminTaskError
from tasks.launcher.cancel import Cancellation, cancel_on_signals
from tasks.launcher.ending import settle, summarise
from tasks.launcher.follow import Transcript, start_task, watch_task
from tasks.launcher.output import Printer, workflow_commands_paused
from tasks.launcher.request import LaunchRequest
from tasks.launcher.results import FAILED, SUCCEEDED, LauncherResult, failure_description
from tasks.launcher.tenant_summary import TenantReport, append_tenant_summary
from tasks.launcher.watch import Ending

if TYPE_CHECKING:
    from tasks.launcher.runtime import Runtime
    from tasks.launcher.watch import Watch

TENANT_MARK = "admin-tasks: tenant "
LAST_LINES = 10
#: Outcomes of a task package's result line that mean nothing was recorded or run.
REFUSED_BEFORE_ANYTHING = ("invalid", "refused")


class TenantPrinter(Printer):
    """One task's lines, each prefixed with the tenant being run (else the task's
    number); keeps each tenant's last lines for the summary."""

    def __init__(self, inner: Printer, label: str) -> None:
        self._inner, self._label = inner, label
        self.current: str | None = None
        self.last: dict[str, deque[str]] = {}

    def status(self, text: str) -> None:
        self._inner.status(f"[{self._label}] {text}")

    def line(self, text: str) -> None:
        self._inner.line(text)

    def container_line(self, text: str) -> None:
        if text.startswith(TENANT_MARK):
            self.current = text[len(TENANT_MARK):].split(":", 1)[0][:63]
        if self.current is not None:
            self.last.setdefault(self.current, deque(maxlen=LAST_LINES)).append(text)
        self._inner.container_line(f"[{self.current or self._label}] {text}")


@dataclass
class Worker:
    request: LaunchRequest
    printer: TenantPrinter
    transcript: Transcript | None = None
    watch: Watch | None = None
    ending: Ending = "stopped"
    failure: str = ""
    results: list[Any] = field(default_factory=list)


def follow_tenant_run(request: LaunchRequest, runtime: Runtime,
                      environ: Mapping[str, str]) -> LauncherResult:
    controls = request.inputs.tenant_controls
    assert controls is not None
    clients = runtime.clients(request.settings.region)
    printer = Printer(runtime.out, runtime.clock)
    began = runtime.clock.monotonic()
    with cancel_on_signals(Cancellation()) as cancellation:
        workers = [Worker(replace(request, worker=number), TenantPrinter(
            printer, f"task {number}/{controls.parallel}"))
            for number in range(1, controls.parallel + 1)]
        for worker in workers:
            if cancellation.requested:
                break
            followed = frozenset(w.watch.task_arn for w in workers if w.watch is not None)
            try:  # a lost answer is looked up among the run's tasks not yet followed
                arn = start_task(worker.request, clients, worker.printer,
                                 lambda seconds: runtime.clock.sleep(seconds, cancellation.event),
                                 followed)
            except AdminTaskError as error:
                if worker is workers[0]:
                    raise
                worker.printer.status(f"could not start this task ({error}); the tasks "
                                      "already started take its tenants. If ECS started it "
                                      f"after all, stop it with: {request.stop_command}")
                break
            worker.transcript = Transcript(worker.printer, worker.request)
            worker.watch = watch_task(worker.request, clients, runtime, arn, cancellation,
                                      worker.transcript)
        started = [worker for worker in workers if worker.watch is not None]
        with workflow_commands_paused(printer, environ):
            threads = [threading.Thread(target=_follow, daemon=True,
                                        args=(worker, request.timeout_seconds, started))
                       for worker in started]
            for thread in threads:
                thread.start()
            for thread in threads:
                while thread.is_alive():  # the main thread stays free for the signals
                    thread.join(0.2)
        return _finish_all(request, started, environ,
                           runtime.clock.monotonic() - began)


def _follow(worker: Worker, timeout_seconds: int, started: list[Worker]) -> None:
    assert worker.watch is not None
    try:
        worker.ending = worker.watch.follow(timeout_seconds)
    except Exception as error:  # the launcher's failure: the task is left running
        worker.ending, worker.failure = "crashed", failure_description(error)
        worker.printer.status(f"the launcher failed ({worker.failure}); the task was not "
                              "stopped for this and may still be running")
        return
    if worker is started[0] and _refused_the_run(worker):
        for other in started[1:]:
            assert other.watch is not None
            other.printer.status("task 1 refused the run before any tenant ran: stopping "
                                 "this task, which would only wait for tenants that never come")
            other.watch.stop("task 1 refused the run")


def _refused_the_run(worker: Worker) -> bool:
    """Task 1's result says the run was refused before its row and ledger were written
    (an unknown tenant, a resume that may not be taken): the other tasks have nothing to
    join and would wait minutes for a ledger."""
    result = worker.transcript.result if worker.transcript else None
    return result is not None and result.get("outcome") in REFUSED_BEFORE_ANYTHING


def _finish_all(request: LaunchRequest, workers: list[Worker], environ: Mapping[str, str],
                duration_seconds: float) -> LauncherResult:
    """Each task's ending, settled once; the run's summary block is that of the task that
    decides the run (the first that failed, else task 1), then the per-tenant table; the
    first launcher error is raised after both are written."""
    settled = []
    for worker in workers:
        assert worker.watch is not None
        settled.append(settle(worker.request, worker.watch, worker.ending, worker.failure))
    codes = [code for _, code, _ in settled]
    decisive = next((index for index, code in enumerate(codes) if code), 0)
    worker = workers[decisive]
    assert worker.watch is not None and worker.transcript is not None
    summarise(environ, worker.request, worker.watch, settled[decisive][0], codes[decisive],
              worker.transcript.result, duration_seconds)
    errors = [error for _, _, error in settled if error is not None]
    report = TenantReport.of([w.transcript.result if w.transcript else None for w in workers],
                             {name: list(lines) for w in workers
                              for name, lines in w.printer.last.items()},
                             [w.watch.task_arn for w in workers if w.watch])
    if environ.get("GITHUB_STEP_SUMMARY"):
        try:
            append_tenant_summary(environ["GITHUB_STEP_SUMMARY"], report)
        except OSError as error:
            workers[0].printer.status(f"could not write the tenant table: {error}")
    if errors:
        raise errors[0]
    code = next((c for c in codes if c), 0)
    return LauncherResult.of(
        SUCCEEDED if code == 0 else FAILED,
        f"{request.task_name} on {request.settings.environment}: {report.counts_text()}; "
        f"exit code {code}; resume with --resume {report.resume or '-'}", exit_code=code,
        was_new=True, exitCode=code, taskArns=[w.watch.task_arn for w in workers if w.watch],
        tenantCounts=report.counts, resume=report.resume, image=request.task.image_ref or None,
        approvedBy=list(request.context.approved_by or ()) or None)
