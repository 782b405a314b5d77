"""Shared fixtures: a real PostgreSQL schema or SQLite file per test, and the CLI.

PostgreSQL comes from ADMIN_TASKS_TEST_POSTGRES_URL (default: the local server). In CI
(CI=true) an unreachable server fails the run; elsewhere those tests skip and say how
to run them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from tasks.cli import main
from tasks.jobs import passwords

POSTGRES_URL = os.environ.get(
    "ADMIN_TASKS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: An ECS task's marker, and what the launcher sets in every task it starts.
ECS = {"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/abc"}
LAUNCHED = {**ECS, "ADMIN_TASK_ACTOR": "octocat", "ADMIN_TASK_RUN_ID": "4242-1",
            "ADMIN_TASK_REASON": "first admin"}
#: Inside ECS a command takes its inputs from the environment only (never arguments).
ECS_SEED = (["seed-admin"], {"ADMIN_EMAIL": "me@example.com"})
#: The iteration count of a test that uses `cheap_hashes`, as its environment states it.
CHEAP_HASHES = {"ADMIN_TASKS_PBKDF2_ITERATIONS": "1000"}
#: The real PBKDF2 floor, which `real_floor` restores within a module of cheap hashes.
FLOOR = passwords.MINIMUM_ITERATIONS


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The PBKDF2 floor lowered to 1,000 iterations in this process, for tests about what a
    command writes or refuses, not how hard it hashes (with CHEAP_HASHES in their
    environment): a hash at the real 600,000-iteration floor costs ~0.15 s of CPU, at the
    1,000,000 default ~0.25 s. The floor, the default count and Django's own check of a
    real hash keep their real values in tests/test_seed_superuser.py, tests/test_passwords.py
    and tests/test_django_accounts.py."""
    monkeypatch.setattr(passwords, "MINIMUM_ITERATIONS", 1000)


@pytest.fixture
def real_floor(cheap_hashes: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real floor again (after `cheap_hashes`), for a test of it in a module of cheap
    hashes."""
    monkeypatch.setattr(passwords, "MINIMUM_ITERATIONS", FLOOR)


def pytest_configure(config: pytest.Config) -> None:
    """A suite started in the background by a script (``make test &``, nohup) inherits
    SIGINT ignored, and so would every shell and launcher it spawns: a shell cannot trap
    a signal ignored on entry, and the SIGINT tests would time out. ECS and a terminal
    start them with SIGINT at its default; so does the suite."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def staging_settings() -> dict[str, Any]:
    """The launch settings the example staging stack exports (Pulumi.staging.yaml)."""
    from infra.config import parse_config
    from infra.launch import launch_settings
    from infra.render_settings import stack_file_config

    return launch_settings(parse_config(stack_file_config("staging"), "staging"))


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
        "postgres://", "postgresql+psycopg://", 1
    )


@pytest.fixture(scope="session")
def postgres_url() -> str:
    try:
        engine = create_engine(
            _sqlalchemy_url(POSTGRES_URL), poolclass=NullPool, connect_args={"connect_timeout": 3}
        )
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except sqlalchemy.exc.OperationalError as error:
        message = (
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({str(error.orig).strip()}). "
            "Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) "
            "or point ADMIN_TASKS_TEST_POSTGRES_URL at a server, or run .ci/run"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return POSTGRES_URL


@dataclass
class Database:
    """A throw-away database: a SQLite file or a PostgreSQL schema of its own."""

    kind: str
    url: str
    _engine: Engine | None = field(default=None, repr=False)

    def engine(self) -> Engine:
        """The test's own engine, one per database: its helpers reuse the connections
        (each new one costs PostgreSQL a backend process, ~6 ms of CPU), which are idle
        outside a helper's call and closed by `dispose`."""
        if self._engine is None:
            self._engine = create_engine(_sqlalchemy_url(self.url))
        return self._engine

    def env(self, **extra: str) -> dict[str, str]:
        """An environment for the CLI that points at this database and nothing else."""
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("ADMIN_TASK", "DATABASE_", "DJANGO_SUPERUSER", "ECS_"))}
        return {**base, "DATABASE_URL": self.url, "ADMIN_TASK_ACTOR": "tester",
                "ADMIN_TASK_RUN_ID": "run-1", **extra}

    def execute(self, sql: str, **params: Any) -> None:
        with self.engine().begin() as connection:
            connection.execute(text(sql), params)

    def rows(self, table: str, order_by: str = "id") -> list[dict[str, Any]]:
        with self.engine().connect() as connection:
            result = connection.execute(text(f"select * from {table} order by {order_by}"))
            return [dict(row) for row in result.mappings()]

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, for "nothing changed" comparisons (sequence positions
        are not rows: PostgreSQL advances them even in a rolled-back transaction, as
        docs/TASK-PACKAGE.md says of previews)."""
        inspector = sqlalchemy.inspect(self.engine())
        out: dict[str, list[tuple[Any, ...]]] = {}
        with self.engine().connect() as connection:
            for table in sorted(inspector.get_table_names()):
                rows = connection.execute(text(f"select * from {table}")).all()
                out[table] = sorted((tuple(row) for row in rows), key=repr)
        return out

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    database = Database("sqlite", f"sqlite:///{tmp_path / 'app.db'}")
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def postgres_admin(postgres_url: str) -> Iterator[Engine]:
    """One engine of this worker that creates and drops the tests' schemas."""
    admin = create_engine(_sqlalchemy_url(postgres_url), pool_size=1)
    yield admin
    admin.dispose()


@pytest.fixture
def postgres_database(postgres_url: str, postgres_admin: Engine) -> Iterator[Database]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with postgres_admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    separator = "&" if "?" in postgres_url else "?"
    database = Database("postgres", f"{postgres_url}{separator}options=-csearch_path%3D{schema}")
    yield database
    database.dispose()
    with postgres_admin.begin() as connection:
        connection.execute(text(f'drop schema "{schema}" cascade'))


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Database:
    """Each test that takes this runs once on SQLite and once on real PostgreSQL."""
    fixture: Database = request.getfixturevalue(f"{request.param}_database")
    return fixture


@pytest.fixture
def role_db(database: Database, cli: Any) -> Database:
    """``database`` (SQLite, then PostgreSQL) with the ``role`` profile's tables."""
    assert cli(["init-db", "--profile", "role"], database.env()).code == 0
    return database


@pytest.fixture
def django_db(database: Database, cli: Any) -> Database:
    """``database`` (SQLite, then PostgreSQL) with the ``django`` profile's ``auth_user``."""
    assert cli(["init-db", "--profile", "django"], database.env()).code == 0
    return database


@dataclass(frozen=True)
class CliRun:
    """What an operator sees: exit code, stdout, stderr, and the parsed result line."""

    code: int
    stdout: str
    stderr: str

    @property
    def result(self) -> dict[str, Any]:
        lines = self.stdout.strip().splitlines()
        assert lines, f"no result line on stdout; stderr was:\n{self.stderr}"
        parsed: dict[str, Any] = json.loads(lines[-1])
        return parsed


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    """Run ``python -m tasks`` in-process with an explicit environment."""

    def run(args: list[str], env: Mapping[str, str]) -> CliRun:
        capsys.readouterr()
        code = main(args, dict(env))
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run


def run_process(args: list[str], env: Mapping[str, str], cwd: Path | None = None,
                timeout: float = 120) -> CliRun:
    """Run ``python -m tasks`` as a real process (cold start, real exit code)."""
    completed = subprocess.run(
        [sys.executable, "-m", "tasks", *args], env=dict(env), cwd=cwd, capture_output=True,
        text=True, timeout=timeout, check=False,
    )
    return CliRun(completed.returncode, completed.stdout, completed.stderr)


def stand_in_python(directory: Path) -> tuple[Path, Path]:
    """A `python` that appends its argv (as JSON) to a file and exits STAND_IN_EXIT: put
    the returned bin directory first on PATH; the file holds one line per run."""
    bin_dir, record = directory / "bin", directory / "argv.jsonl"
    bin_dir.mkdir(exist_ok=True)
    stand_in = bin_dir / "python"
    stand_in.write_text(f"#!{sys.executable} -I\nimport json, os, sys\n"
                        f"open({str(record)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
                        "sys.exit(int(os.environ.get('STAND_IN_EXIT', '0')))\n")
    stand_in.chmod(0o755)
    return bin_dir, record


def recorded_argv(record: Path) -> list[list[str]]:
    return [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []


def run_module_without(blocked: tuple[str, ...], module: str,
                       *argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m module argv…`` from the project root in an interpreter where the
    ``blocked`` top-level packages cannot be imported (an install that lacks them)."""
    code = ("import runpy, sys\n"
            "class Block:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            f"        if name.split('.')[0] in {blocked!r}:\n"
            "            raise ImportError(name + ' is not installed here')\n"
            "sys.meta_path.insert(0, Block())\n"
            f"sys.argv = [{module!r}, *{list(argv)!r}]\n"
            f"runpy.run_module({module!r}, run_name='__main__')\n")
    return subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, check=False)

