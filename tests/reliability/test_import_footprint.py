"""The seeding path must not load Pulumi or boto3: the container image has neither, and
import time is cold-start time. Checked at run time (sys.modules after real seeds in a
fresh interpreter), which also catches imports pulled in transitively."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import Database
from tests.reliability.strategies import SUPERUSER_DEFAULTS

FORBIDDEN = ("pulumi", "pulumi_aws", "pulumi_github", "boto3", "botocore", "infra")
SEED_THEN_LIST_MODULES = """
import contextlib, io, json, os, sys
from tasks.cli import main
env = dict(os.environ)
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    codes = [main(["init-db", "--profile", "role"], env),
             main(["init-db", "--profile", "django"], env),
             main(["seed-admin", "--email", "ops@example.com"], env),
             main(["seed-superuser", "--username", "ops", "--email", "ops@example.com"], env)]
print(json.dumps({"codes": codes, "modules": sorted(sys.modules)}))
"""


def test_seeding_commands_never_load_pulumi_or_boto3(sqlite_database: Database) -> None:
    env = sqlite_database.env(**SUPERUSER_DEFAULTS)
    completed = subprocess.run([sys.executable, "-c", SEED_THEN_LIST_MODULES], env=env,
                               capture_output=True, text=True, check=True)
    report = json.loads(completed.stdout)

    assert report["codes"] == [0, 0, 0, 0], "the seeds must really have run"
    assert "tasks.jobs.seeding" in report["modules"] and "tasks.jobs.superuser" in report["modules"]
    loaded = sorted(m for m in report["modules"] if m.split(".")[0] in FORBIDDEN)
    assert loaded == []
