"""How an application task's ECS task is laid out, so this project's image keeps its record.

An application task runs in the application's image, which holds none of this package.
Its task definition therefore has three containers (docs/APP-TASKS.md, "The record"):

1. ``admin_tasks_prepare`` (the tasks image, uid 0 with every capability dropped, not
   essential) makes the two shared volumes writable for any uid and exits 0. Fargate
   creates a bind-mount volume owned by root with mode 0755, so without it neither a
   non-root application nor the recorder could write ``/tmp`` or the progress file.
2. ``admin_tasks_record`` (the tasks image, essential, after 1 succeeded) opens the run's
   row in the application database, then creates :data:`OPENED_MARKER`, which its health
   check looks for. It waits for the application container to stop (the task metadata
   endpoint gives its exit code), completes the row, prints the result line and exits
   with the application's code.
3. the application container (not essential, after 1 succeeded and 2 is ``HEALTHY``) runs
   the steps. If the row cannot be opened, 2 exits without becoming healthy and ECS never
   starts 3: no step runs.

The names hold underscores, which no task name may (``TASK_NAME``), so they cannot clash.
The recorder's declaration is fixed in its entry point, like everything a task runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from tasks.contract.argv_templates import STEP_STATE_PATH

PREPARE_CONTAINER = "admin_tasks_prepare"
RECORD_CONTAINER = "admin_tasks_record"
SHARED_VOLUME = "admin-tasks-run"
SHARED_PATH = STEP_STATE_PATH.rsplit("/", 1)[0]
SCRATCH_VOLUME = "tmp"
SCRATCH_PATH = "/tmp"  # noqa: S108 -- a per-task Fargate volume, not a shared host directory
#: Created by the recorder once the run's row is committed; its health check tests for it.
OPENED_MARKER = f"{SHARED_PATH}/opened"
RECORD_COMMAND = "record-app-run"
DECLARATION_FLAG = "--declaration="
#: 1777, as /tmp is everywhere: any uid may create files, only their owner may remove them.
PREPARE_ARGV = ("/bin/chmod", "1777", SCRATCH_PATH, SHARED_PATH)
#: ECS runs it in the container: the marker exists once the row is open.
HEALTH_CHECK = {"command": ["CMD", "/usr/bin/test", "-e", OPENED_MARKER], "interval": 5,
                "timeout": 2, "retries": 10, "startPeriod": 5}


def record_argv(environment: str, task: str, settings_entry: Mapping[str, Any]) -> list[str]:
    """The recorder's arguments after the entry point and binding: the command and its one
    declaration (the task's launch-settings entry, with its name and environment)."""
    declaration = {"environment": environment, "task": task, "settings": dict(settings_entry)}
    return [RECORD_COMMAND,
            DECLARATION_FLAG + json.dumps(declaration, sort_keys=True, separators=(",", ":"))]


def fixed_arguments(argv: Sequence[str]) -> int:
    """How many arguments a task definition gives the command ``argv[0]``: one, or two for
    the recorder (its declaration). Anything past them came from a command override."""
    return 2 if argv and argv[0] == RECORD_COMMAND else 1
