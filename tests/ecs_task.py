"""An ECS task of several containers, run here as the ECS agent runs one on Fargate.

What it honours, each as the ECS developer guide documents it:

* **Volumes** are bind mounts Fargate creates empty, owned by root with mode 0755
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html); each
  container sees its ``mountPoints``, ``readonlyRootFilesystem``, ``user`` and
  ``workingDirectory`` (tests/ecs_container.py sets them up in its own namespaces).
* **dependsOn**: a container starts once every condition holds — ``START`` (the other
  started), ``COMPLETE`` (it exited), ``SUCCESS`` (it exited 0), ``HEALTHY`` (its health
  check passed); one that can no longer hold means the container is never started
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDependency.html).
* **healthCheck**: ``CMD`` argv run in the container every ``interval`` seconds, failing
  after ``timeout``; ``retries`` consecutive failures after ``startPeriod`` make it
  UNHEALTHY (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html).
  ``time_scale`` shortens every interval alike, so tests do not wait ECS's seconds.
  Here only ``dependsOn`` reads a container's health (the metadata endpoint does not
  report it), so checks run while a container not yet started waits for it to be
  HEALTHY; a check has no effect beyond its result, and each one is a process tree.
* **essential**: when an essential container stops, ECS stops the task: every running
  container gets SIGTERM, then SIGKILL after the stop timeout (30 s on Fargate). StopTask
  does the same (:meth:`EmulatedTask.stop`).
* **The task metadata endpoint v4**: ``${ECS_CONTAINER_METADATA_URI_V4}/task`` lists every
  container with ``Name``, ``KnownStatus`` and, once it exited, ``ExitCode``
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4-response.html).
* **Logs**: awslogs takes a container's stdout and stderr, one event per line.

Overrides and secrets reach each container's environment as tests/ecs_emulation.py says.
It needs root (namespaces and mounts); the caller skips otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.ecs_emulation import container_environment

HELPER = Path(__file__).with_name("ecs_container.py")
TASK_ARN = "arn:aws:ecs:eu-west-1:111111111111:task/app-staging/0123456789abcdef0123456789abcdef"
# What stands for the images' contents: the interpreter, the virtualenv, this checkout;
# bound into each container where a home directory or /tmp would hide it.
EXPOSED = [path for path in dict.fromkeys(os.path.realpath(p) for p in (
    sys.base_prefix, sys.prefix, Path(__file__).resolve().parents[1]))
    if path.startswith(("/root/", "/tmp/"))]
CAN_RUN = os.geteuid() == 0 and shutil.which("unshare") is not None


@dataclass
class Container:
    definition: Mapping[str, Any]
    environment: dict[str, str]
    status: str = "PENDING"
    exit_code: int | None = None
    health: str = "UNKNOWN"
    never_started: bool = False
    lines: list[str] = field(default_factory=list)
    process: subprocess.Popen[str] | None = None
    started_at: float = 0.0
    failures: int = 0
    next_check: float = 0.0

    @property
    def name(self) -> str:
        return str(self.definition["name"])

    def host_pid(self) -> int | None:
        """The container's PID 1 as the host sees it (the child of ``unshare``)."""
        if self.process is None:
            return None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            pids = children.read_text().split()
        except OSError:
            return None
        return int(pids[0]) if pids else None


class EmulatedTask:
    """Start with :meth:`run` (or :meth:`start`, :meth:`wait`), stop with :meth:`stop`."""

    def __init__(self, containers: Sequence[Mapping[str, Any]], *,
                 secret_values: Mapping[str, str] | None = None,
                 overrides: Mapping[str, Mapping[str, str]] | None = None,
                 shell: str | None = None, host_paths: Sequence[str] = (),
                 time_scale: float = 0.05, stop_timeout: float = 30.0) -> None:
        self.containers = [Container(definition, container_environment(
            definition, secret_values or {}, (overrides or {}).get(definition["name"], {})))
            for definition in containers]
        self.shell, self.host_paths = shell, list(host_paths)
        self.time_scale, self.stop_timeout = time_scale, stop_timeout
        self.root = Path(tempfile.mkdtemp(prefix="ecs-task-", dir="/var/tmp"))
        self.volumes: dict[str, Path] = {}
        self.stopping_since: float | None = None
        self.stop_reason = ""
        self._lock = threading.Lock()

    def volume(self, name: str) -> Path:
        """A volume's directory as the host sees it (created empty, root-owned, 0755)."""
        if name not in self.volumes:
            path = self.root / "volumes" / name
            path.mkdir(parents=True)
            os.chown(path, 0, 0)
            path.chmod(0o755)
            self.volumes[name] = path
        return self.volumes[name]

    def by_name(self, name: str) -> Container:
        return next(c for c in self.containers if c.name == name)

    # The metadata endpoint.
    def metadata(self) -> dict[str, Any]:
        with self._lock:
            entries = []
            for c in self.containers:
                entry: dict[str, Any] = {"Name": c.name, "KnownStatus": c.status,
                                         "DesiredStatus": "STOPPED" if self.stopping_since
                                         else "RUNNING"}
                if c.status == "STOPPED" and c.exit_code is not None:
                    entry["ExitCode"] = c.exit_code
                entries.append(entry)
            return {"TaskARN": TASK_ARN, "Containers": entries}

    @contextmanager
    def _endpoint(self) -> Iterator[str]:
        task = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps(task.metadata()).encode()
                found = self.path.endswith("/task")
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body if found else b"{}")

            def log_message(self, *args: object) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # shutdown() waits for the loop's next poll (0.5 s by default) at every task's end.
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                                  daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/v4"
        finally:
            server.shutdown()
            server.server_close()

    # Starting containers.
    def _spec(self, container: Container, argv: Sequence[str]) -> Path:
        definition = container.definition
        user = str(definition.get("user") or "0")
        uid, _, gid = user.partition(":")
        argv = [sys.executable if i == 0 and a == "python" else a for i, a in enumerate(argv)]
        spec = {"mounts": [[str(self.volume(m["sourceVolume"])), m["containerPath"]]
                           for m in definition.get("mountPoints", [])],
                "host_paths": self.host_paths, "shell": self.shell,
                "expose": EXPOSED,
                "staging": str(self.root / "staging"),
                "readonly_root": bool(definition.get("readonlyRootFilesystem")),
                "uid": int(uid), "gid": int(gid or uid),
                "cwd": definition.get("workingDirectory") or "/", "argv": argv,
                "env": {"PATH": os.environ["PATH"], **container.environment}}
        path = self.root / f"{container.name}-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(spec))
        return path

    def _command(self, container: Container, argv: Sequence[str]) -> list[str]:
        return ["unshare", "--mount", "--propagation", "private", "--pid", "--fork",
                "--kill-child", sys.executable, "-I", str(HELPER),
                str(self._spec(container, argv))]

    def _start(self, container: Container, endpoint: str) -> None:
        container.environment["ECS_CONTAINER_METADATA_URI_V4"] = f"{endpoint}/{container.name}"
        argv = [*container.definition.get("entryPoint", []),
                *container.definition.get("command", [])]
        container.process = subprocess.Popen(
            self._command(container, argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, errors="replace")
        container.status, container.started_at = "RUNNING", time.monotonic()
        check = container.definition.get("healthCheck")
        if check:
            container.next_check = container.started_at + check.get("interval", 30) \
                * self.time_scale

        def read() -> None:
            assert container.process is not None and container.process.stdout is not None
            for line in container.process.stdout:
                container.lines.append(line.rstrip("\n"))

        threading.Thread(target=read, daemon=True).start()

    def _condition(self, condition: str, other: Container) -> bool | None:
        """True: met; False: not yet; None: can no longer be met."""
        if condition == "START":
            return other.status != "PENDING" or (None if other.never_started else False)
        if condition == "COMPLETE":
            return other.status == "STOPPED" or (None if other.never_started else False)
        if condition == "SUCCESS":
            if other.status == "STOPPED":
                return other.exit_code == 0 or None
            return None if other.never_started else False
        if condition == "HEALTHY":
            if other.health == "HEALTHY":
                return True
            return None if other.status == "STOPPED" or other.never_started else False
        raise ValueError(condition)

    def _ready(self, container: Container) -> bool | None:
        results = [self._condition(d["condition"], self.by_name(d["containerName"]))
                   for d in container.definition.get("dependsOn", [])]
        if any(result is None for result in results):
            return None
        return all(results)

    def _awaited(self, container: Container) -> bool:
        """Whether a container not started yet waits for ``container`` to be HEALTHY."""
        return any(other.status == "PENDING" and not other.never_started and any(
            d["containerName"] == container.name and d["condition"] == "HEALTHY"
            for d in other.definition.get("dependsOn", [])) for other in self.containers)

    def _health_check(self, container: Container, now: float) -> None:
        check = container.definition.get("healthCheck")
        if not check or container.status != "RUNNING" or now < container.next_check \
                or not self._awaited(container):
            return
        command = check["command"]
        argv = command[1:] if command[0] == "CMD" else ["/bin/sh", "-c", command[1]]
        try:
            passed = subprocess.run(self._command(container, argv), capture_output=True,
                                    timeout=max(check.get("timeout", 5) * 2, 5),
                                    check=False).returncode == 0
        except subprocess.TimeoutExpired:
            passed = False
        container.next_check = now + check.get("interval", 30) * self.time_scale
        in_start_period = now - container.started_at < check.get("startPeriod", 0) * \
            self.time_scale
        if passed:
            container.health, container.failures = "HEALTHY", 0
        elif not in_start_period:
            container.failures += 1
            if container.failures >= check.get("retries", 3):
                container.health = "UNHEALTHY"

    # The agent's loop.
    def stop(self, reason: str = "Task stopped by user") -> None:
        """StopTask: SIGTERM to every running container; SIGKILL after the stop timeout."""
        with self._lock:
            if self.stopping_since is None:
                self.stopping_since, self.stop_reason = time.monotonic(), reason
                for container in self.containers:
                    pid = container.host_pid()
                    if container.status == "RUNNING" and pid:
                        os.kill(pid, signal.SIGTERM)

    def _step(self, endpoint: str) -> bool:
        """One pass; False once every container stopped or can never start."""
        now = time.monotonic()
        for container in self.containers:
            if container.status == "RUNNING" and container.process is not None \
                    and container.process.poll() is not None:
                code = container.process.returncode
                with self._lock:
                    container.status = "STOPPED"
                    container.exit_code = 128 - code if code < 0 else code
                if container.definition.get("essential", True):
                    self.stop("Essential container in task exited")
        for container in self.containers:
            if container.status == "PENDING" and not container.never_started:
                ready = None if self.stopping_since is not None else self._ready(container)
                if ready is None:
                    container.never_started = True
                elif ready:
                    self._start(container, endpoint)
            self._health_check(container, now)
        if self.stopping_since is not None and now - self.stopping_since > self.stop_timeout:
            for container in self.containers:
                if container.status == "RUNNING" and container.process is not None:
                    container.process.kill()
        return any(c.status == "RUNNING" or (c.status == "PENDING" and not c.never_started)
                   for c in self.containers)

    def run(self, timeout: float = 120.0, *, during: Any = None) -> EmulatedTask:
        """Run the task to its end; ``during(task)`` is called once a pass until it returns
        True (a test's way to act while the task runs)."""
        deadline = time.monotonic() + timeout
        acted = during is None
        with self._endpoint() as endpoint:
            while self._step(endpoint):
                if not acted:
                    acted = bool(during(self))
                if time.monotonic() > deadline:
                    self.stop("test timeout")
                    self.stop_timeout = 0
                time.sleep(0.02)
            for container in self.containers:
                if container.process is not None:
                    container.process.wait(timeout=10)
        time.sleep(0.05)  # the log readers' last lines
        return self

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
