"""A whole admin-task run on this machine, without AWS or GitHub (``make try``).

1. The check job's part: ``python -m tasks run seed-admin … --check`` against launch
   settings rendered from the example staging stack; the approval request it writes is
   printed as a reviewer would read it.
2. The approved job's part: the real launcher (``python -m tasks run``) against moto, an
   in-process mock of ECS and CloudWatch Logs holding the staging stack's task
   definitions. When the launcher calls RunTask, a local process stands in for the
   container: the task definition's own command (``python -I -m tasks.container
   seed-admin``) with exactly the environment overrides the launcher sent, against a
   local SQLite file; its lines go to the task's log stream as they come, and its exit
   code becomes the container's. The launcher follows it live, as in a workflow run.
3. The job summary the launcher wrote, and the audit row in the database.

    .venv/bin/python demo/whole_run.py [--email you@example.com] [--database FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moto import mock_aws  # noqa: E402

from tasks import cli  # noqa: E402
from tasks.launcher import commands  # noqa: E402
from tasks.launcher.aws import make_clients  # noqa: E402
from tasks.launcher.clock import SystemClock  # noqa: E402
from tests.launcher.conftest import (  # noqa: E402
    GITHUB,
    LOG_GROUP,
    REGION,
    SESSION,
    World,
    create_network,
    reset_account,
)

TASK = "seed-admin"
REASON = "try admin-tasks locally"


def heading(text: str) -> None:
    print(f"\n{'=' * 78}\n{text}\n{'=' * 78}", flush=True)


class StandIn:
    """The container: the step the task definition runs, as a local process."""

    def __init__(self, world: World, database: Path) -> None:
        self.world, self.database = world, database

    def on_run_task(self, parsed: dict[str, Any], **_: Any) -> None:
        for task in parsed.get("tasks") or []:
            threading.Thread(target=self._run, args=(task["taskArn"],), daemon=True).start()

    def _run(self, arn: str) -> None:
        (task,) = [t for t in self.world.tasks() if t.task_arn == arn]
        task.last_status = "RUNNING"
        (override,) = task.overrides["containerOverrides"]
        environment = {item["name"]: item["value"] for item in override["environment"]}
        step = self.world.settings["tasks"][TASK]["steps"][0]
        process = subprocess.Popen(  # noqa: S603 -- the stack file's own step, this interpreter
            [sys.executable, *step[1:]], cwd=ROOT, text=True, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={"PATH": os.environ.get("PATH", ""), **environment,
                 "DATABASE_URL": f"sqlite:///{self.database}"})
        stream = f"admin-tasks/{TASK}/{task.id}"
        self.world.logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
        assert process.stdout is not None
        for line in process.stdout:
            self.world.logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=stream,
                                           logEvents=[{"timestamp": int(time.time() * 1000),
                                                       "message": line.rstrip("\n")}])
        code = process.wait()
        time.sleep(1.5)  # CloudWatch delivers a moment after the container wrote
        for container in task.containers:
            container.exitCode = code
        task.stop_code, task.stopped_reason = "EssentialContainerExited", "Essential " \
            "container in task exited"
        task.last_status = task.desired_status = "STOPPED"


def approval_request(settings: Path, email: str, summary: Path) -> None:
    heading("1. The check job: the approval request a reviewer reads")
    code = cli.main(["run", TASK, "--environment", "staging", "--settings", str(settings),
                     f"--param=email={email}", "--reason", REASON, "--check"],
                    {**GITHUB, "GITHUB_STEP_SUMMARY": str(summary)})
    print(summary.read_text())
    assert code == 0, code


def approved_run(email: str, database: Path, summary: Path) -> int:
    heading("2. The approved job: the launcher starts the task and follows it")
    with mock_aws():
        world = World(settings=reset_account(create_network()),
                      ecs=SESSION.client("ecs", region_name=REGION),
                      logs=SESSION.client("logs", region_name=REGION))
        stand_in = StandIn(world, database)

        def clients(region: str) -> Any:
            made = make_clients(region, SESSION)
            made.ecs.meta.events.register("after-call.ecs.RunTask", lambda **kw: (
                world.tasks(), stand_in.on_run_task(kw["parsed"])))
            return made

        runtime = commands.Runtime(clients=clients, clock=SystemClock(), out=sys.stdout)
        with mock.patch.object(commands, "default_runtime", lambda: runtime):
            return cli.main(["run", TASK, "--environment", "staging",
                             f"--param=email={email}", "--reason", REASON],
                            {**GITHUB, "ADMIN_TASKS_SETTINGS": json.dumps(world.settings),
                             "GITHUB_STEP_SUMMARY": str(summary)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", default="ops.lead@example.com")
    parser.add_argument("--database", type=Path, default=ROOT / "admin-tasks-try.db")
    args = parser.parse_args()
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION})
    database = args.database.resolve()
    cli.main(["init-db", "--profile", "role"], {"DATABASE_URL": f"sqlite:///{database}"})
    with tempfile.TemporaryDirectory() as scratch:
        settings = Path(scratch) / "staging.json"
        from infra.render_settings import main as render

        with open(settings, "w") as out, mock.patch.object(sys, "stdout", out):
            render(["--environment", "staging"])
        approval_request(settings, args.email, Path(scratch) / "request.md")
        summary = Path(scratch) / "summary.md"
        code = approved_run(args.email, database, summary)
        heading(f"3. The job summary (the launcher exited {code})")
        print(summary.read_text())
    heading(f"4. The audit row, in {database} (table audit_events)")
    with sqlite3.connect(database) as connection:
        row = connection.execute("SELECT event_type, actor, metadata FROM audit_events "
                                 "ORDER BY id DESC LIMIT 1").fetchone()
    print(f"event_type={row[0]} actor={row[1]}\nmetadata={row[2]}")
    return code


if __name__ == "__main__":
    sys.exit(main())
