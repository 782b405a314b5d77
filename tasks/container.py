"""``python -I -m tasks.container COMMAND``: the entry point of every built-in task
definition.

It runs COMMAND as ``python -m tasks`` would, but as a task in ECS whatever the
environment says: ECS's own marker variables could be blanked by an environment
override, so here the refusals that protect a launched task (no argument after the
command, the launcher's run context required, no local SQLite fallback) always hold.
"""

from __future__ import annotations

import sys

from tasks.cli import main

if __name__ == "__main__":
    sys.exit(main(in_task_definition=True))
