"""The container image has no boto3: its commands must never import it."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import PROJECT_ROOT

CHECK = """
import sys
import tasks.cli
parser = tasks.cli.build_parser()
parser.parse_args(["run", "seed-admin", "--environment", "staging", "--reason", "r"])
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("boto3", "botocore"))
print(loaded)
"""


def test_importing_the_cli_and_parsing_a_run_command_does_not_import_boto3() -> None:
    completed = subprocess.run([sys.executable, "-c", CHECK], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, check=True)

    assert completed.stdout == "[]\n", completed.stderr


def test_seed_admin_runs_where_boto3_cannot_be_imported() -> None:
    blocker = ("import sys\n"
               "class Block:\n"
               "    def find_spec(self, name, path=None, target=None):\n"
               "        if name.split('.')[0] in ('boto3', 'botocore'):\n"
               "            raise ImportError(name + ' is not in the container image')\n"
               "sys.meta_path.insert(0, Block())\n"
               "import runpy\n"
               "sys.argv = ['tasks', 'seed-admin', '--help']\n"
               "runpy.run_module('tasks', run_name='__main__')\n")
    completed = subprocess.run([sys.executable, "-c", blocker], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, check=False)

    assert completed.returncode == 0, completed.stderr
    assert "--email" in completed.stdout
