"""Cancelling the workflow: the launcher *process* gets SIGINT (then SIGTERM) and must
stop the ECS task before it exits 130. Real process, real signals, moto in server mode."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from tests.conftest import PROJECT_ROOT
from tests.launcher.conftest import GITHUB, World
from tests.launcher.test_run import SEED


@pytest.fixture
def moto_server(world: World) -> Iterator[str]:
    """An HTTP endpoint on a random port serving the same mocked account as ``world``."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


class LauncherProcess:
    """``python -m tasks run …`` as a child process, its stdout read line by line."""

    def __init__(self, endpoint: str, settings: dict[str, object]) -> None:
        env = {"PATH": os.environ.get("PATH", ""), "AWS_ENDPOINT_URL": endpoint,
               "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "eu-west-1", **GITHUB,
               "ADMIN_TASKS_SETTINGS": json.dumps(settings)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tasks", *SEED], cwd=PROJECT_ROOT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            self.seen.append(line)
            if text in line:
                return
        self.process.kill()
        pytest.fail(f"the launcher never printed {text!r}; it printed {self.seen}")

    def finish(self) -> tuple[int, list[str], str]:
        code = self.process.wait(timeout=30)
        assert self.process.stderr is not None
        stderr = self.process.stderr.read()
        time.sleep(0.1)  # let the reader thread hand over the last lines
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code, self.seen, stderr


@pytest.mark.parametrize("signals", [(signal.SIGINT,), (signal.SIGTERM,),
                                     (signal.SIGINT, signal.SIGTERM), (signal.SIGHUP,)],
                         ids=["SIGINT", "SIGTERM", "SIGINT-then-SIGTERM", "SIGHUP"])
def test_a_signal_stops_the_task_with_a_reason_naming_actor_and_run_then_exits_130(
        world: World, moto_server: str, signals: tuple[signal.Signals, ...]) -> None:
    launcher = LauncherProcess(moto_server, world.settings)
    launcher.wait_for("status RUNNING")

    for number in signals:
        launcher.process.send_signal(number)
    code, lines, stderr = launcher.finish()

    first = signals[0].name
    task = world.task()
    assert code == 130, (lines, stderr)
    assert task.last_status == "STOPPED"
    assert task.stopped_reason == f"admin-tasks: cancelled ({first}) by alice (run 4242-1)"
    operator_lines = [line.split(" ", 1)[1] for line in lines[-3:-1]]
    assert operator_lines == [
        f"{first} received: stopping the task",
        f"stop requested: admin-tasks: cancelled ({first}) by alice (run 4242-1)",
    ]
    assert json.loads(lines[-1])["outcome"] == "cancelled"
    assert stderr == f"admin-tasks: cancelled by {first}; the task was stopped\n"
