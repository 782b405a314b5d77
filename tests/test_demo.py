"""``make try`` (demo/whole_run.py): a whole run on this machine shows what the README
promises, in order: the approval request, the launcher following the task live, the
task's own lines and result line, the job summary and the audit row."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT


def test_a_whole_run_without_aws_shows_every_part_in_order(tmp_path: Path) -> None:
    database = tmp_path / "try.db"
    completed = subprocess.run(
        [sys.executable, "demo/whole_run.py", "--database", str(database),
         "--email", "Ops.Lead@Example.com"], cwd=PROJECT_ROOT, capture_output=True,
        text=True, timeout=180, check=False)
    out = completed.stdout
    assert completed.returncode == 0, (out, completed.stderr)
    assert "Traceback" not in completed.stderr
    parts = ["### Approval request: `seed-admin` on `staging`", "Request digest:",
             "started seed-admin on staging as arn:aws:ecs:", "status RUNNING",
             "admin-tasks: created admin ops.lead@example.com",
             "status STOPPED: exit code 0",
             "### Admin task `seed-admin` on `staging`: succeeded",
             "event_type=admin_account_seeded actor=alice"]
    positions = [out.find(part) for part in parts]
    assert all(p >= 0 for p in positions), [p for p, at in zip(parts, positions, strict=True) if at < 0]
    assert positions == sorted(positions)
    closing = [json.loads(line) for line in out.splitlines()
               if line.startswith('{"ok": true, "outcome": "succeeded"')]
    assert closing and closing[0]["result"]["user"]["email"] == "ops.lead@example.com"
