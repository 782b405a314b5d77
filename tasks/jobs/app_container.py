"""What the recorder knows of the application container: ECS's word on its exit, and the
entry script's word on its steps.

The exit code comes from the task metadata endpoint v4, ``${ECS_CONTAINER_METADATA_URI_V4}
/task``: ``Containers[].Name``, ``KnownStatus`` and, once it has exited, ``ExitCode``
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4-response.html).
Which step ran comes from the progress file the entry script writes in the shared volume
(:data:`tasks.contract.argv_templates.STEP_STATE_PATH`): ``start i n``, ``exit i n code``,
``done code``. The application writes that file, so it can misname its failing step; it
cannot change its exit code, which ECS reports.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

METADATA_VARIABLE = "ECS_CONTAINER_METADATA_URI_V4"
METADATA_TIMEOUT_SECONDS = 2.0
MAX_METADATA_BYTES = 1 << 20


@dataclass(frozen=True)
class ContainerState:
    """The application container as the endpoint reports it (None: not reachable)."""

    known_status: str
    exit_code: int | None
    task_arn: str | None

    @property
    def stopped(self) -> bool:
        return self.known_status == "STOPPED"


def _task_document(environ: Mapping[str, str]) -> Any:
    """One GET of ``/task``; None when there is no endpoint or it fails."""
    base = environ.get(METADATA_VARIABLE, "")
    if not base.startswith("http://"):
        return None
    try:
        with urllib.request.urlopen(f"{base}/task",  # noqa: S310 -- http:// checked above
                                    timeout=METADATA_TIMEOUT_SECONDS) as response:
            return json.loads(response.read(MAX_METADATA_BYTES))
    except (OSError, ValueError, urllib.error.URLError):
        return None


def read_metadata(environ: Mapping[str, str], container: str) -> ContainerState | None:
    """The container in ``/task``; None when the endpoint fails or does not list it."""
    return _container_state(_task_document(environ), container)


def _container_state(document: Any, container: str) -> ContainerState | None:
    if not isinstance(document, dict):
        return None
    for entry in document.get("Containers") or []:
        if isinstance(entry, dict) and entry.get("Name") == container:
            code = entry.get("ExitCode")
            return ContainerState(
                known_status=str(entry.get("KnownStatus", "")),
                exit_code=code if isinstance(code, int) and not isinstance(code, bool) else None,
                task_arn=str(document["TaskARN"]) if document.get("TaskARN") else None)
    return None


def task_arn(environ: Mapping[str, str]) -> str | None:
    """This task's ARN, for the run's row (None outside ECS)."""
    document = _task_document(environ)
    arn = document.get("TaskARN") if isinstance(document, dict) else None
    return str(arn)[:255] if arn else None


@dataclass(frozen=True)
class Progress:
    """The steps as the progress file tells them."""

    last_started: int | None
    """Index (1-based) of the last step that started."""
    failed: int | None
    """Index of the step that exited non-zero (the script runs none after it)."""
    total: int | None
    done: int | None
    """The script's own exit code, once it wrote it."""


def read_progress(path: Path) -> Progress:
    """The progress file, read leniently: a line that is not one of the three is skipped."""
    started = failed = total = done = None
    try:
        lines = path.read_text(errors="replace").splitlines()[-1000:]
    except OSError:
        lines = []
    for line in lines:
        words = line.split()
        numbers = [int(word) for word in words[1:] if word.isdigit() and len(word) < 6]
        if len(numbers) != len(words) - 1:
            continue
        if words[:1] == ["start"] and len(numbers) == 2:
            started, total = numbers
        elif words[:1] == ["exit"] and len(numbers) == 3 and numbers[2] != 0:
            failed, total = numbers[0], numbers[1]
        elif words[:1] == ["done"] and len(numbers) == 1:
            done = numbers[0]
    return Progress(last_started=started, failed=failed, total=total, done=done)


def unit_ends(path: Path) -> dict[int, int]:
    """A tenant task's units that ended: ``end <unit> <code>`` lines, by unit number."""
    try:
        lines = path.read_text(errors="replace").splitlines()[-100000:]
    except OSError:
        return {}
    ends = {}
    for line in lines:
        words = line.split()
        if len(words) == 3 and words[0] == "end" and all(
                w.isdigit() and len(w) < 8 for w in words[1:]):
            ends[int(words[1])] = int(words[2])
    return ends


def wait_for_exit(environ: Mapping[str, str], container: str, progress_path: Path, *,
                  sleep: Callable[[float], object], stopping: Callable[[], bool],
                  clock: Callable[[], float] = time.monotonic, poll_seconds: float = 2.0,
                  grace_seconds: float = 25.0) -> tuple[int | None, str | None]:
    """The application container's exit code once ECS reports it STOPPED (else, without
    an endpoint, the script's ``done`` line), and the task's ARN. When this container is
    being stopped (``stopping``), it waits at most ``grace_seconds`` more, polling every
    half second: ECS sends SIGKILL 30 seconds after SIGTERM by default."""
    stop_seen: float | None = None
    while True:
        state = read_metadata(environ, container)
        if state is not None and state.stopped:
            return state.exit_code, state.task_arn
        if state is None and (done := read_progress(progress_path).done) is not None:
            return done, None
        if stopping():
            stop_seen = clock() if stop_seen is None else stop_seen
            if clock() - stop_seen >= grace_seconds:
                return None, state.task_arn if state else None
        sleep(poll_seconds if stop_seen is None else min(poll_seconds, 0.5))


class StopSignal:
    """Set by SIGTERM/SIGINT: ECS is stopping the task (the application gets one too)."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def __call__(self, number: int, frame: FrameType | None) -> None:
        self.event.set()

    def pause(self, seconds: float) -> None:
        """Sleep, woken by the stop signal; once stopping, a plain sleep."""
        if self.event.is_set():
            time.sleep(seconds)
        else:
            self.event.wait(seconds)
