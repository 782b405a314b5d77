"""Which database a command talks to, and turning its failures into exit code 4.

``DATABASE_URL`` wins. Inside ECS, where the URL may not fit an RDS-managed secret
(which holds only ``username`` and ``password``), the parts ``DATABASE_HOST``,
``DATABASE_PORT``, ``DATABASE_NAME``, ``DATABASE_USER`` and ``DATABASE_PASSWORD`` are
accepted instead. With neither, a developer machine gets a local SQLite file and an
ECS task refuses: production must never write to a scratch file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from tasks.context import running_in_ecs
from tasks.errors import DatabaseFailed, InvalidInput

__all__ = ["DatabaseTarget", "apply_timeouts", "database_errors", "lock_timeout_ms",
           "make_engine", "resolve_target", "running_in_ecs"]

log = logging.getLogger("admin-tasks")

LOCAL_DEFAULT_URL = "sqlite:///admin-tasks.db"
DEFAULT_STATEMENT_TIMEOUT_MS = 30_000
MAX_STATEMENT_TIMEOUT_MS = 3_600_000
MAX_LOCK_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_SECONDS = 10
SQLITE_BUSY_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class DatabaseTarget:
    """A resolved database: its URL and how it is described to the operator."""

    url: URL
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS

    @property
    def display(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"


def _parse_url(raw: str) -> URL:
    try:
        url = make_url(raw)
    except (exc.ArgumentError, ValueError):
        raise InvalidInput(
            "DATABASE_URL is not a database URL: use postgresql://USER:PASSWORD@HOST:5432/DB "
            "or sqlite:///PATH"
        ) from None
    backend, _, driver = url.drivername.partition("+")
    if backend in ("postgres", "postgresql") and driver in ("", "psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return url.set(drivername="sqlite")
    raise InvalidInput(
        f"DATABASE_URL scheme {url.drivername!r} is not supported: use postgres://, "
        "postgresql:// or sqlite:///"
    )


def _url_from_parts(environ: Mapping[str, str]) -> URL | None:
    host = environ.get("DATABASE_HOST")
    if not host:
        return None
    missing = [name for name in ("DATABASE_USER", "DATABASE_PASSWORD") if not environ.get(name)]
    if missing:
        raise InvalidInput(
            f"DATABASE_HOST is set but {', '.join(missing)} is not: set all of them, or "
            "DATABASE_URL instead"
        )
    port_raw = environ.get("DATABASE_PORT", "5432")
    if not (port_raw.isascii() and port_raw.isdigit()) or not 0 < int(port_raw) < 65536:
        raise InvalidInput(f"DATABASE_PORT must be a port number, got {port_raw!r}")
    return URL.create(
        "postgresql+psycopg",
        username=environ["DATABASE_USER"],
        password=environ["DATABASE_PASSWORD"],
        host=host,
        port=int(port_raw),
        database=environ.get("DATABASE_NAME", "postgres"),
        query={"sslmode": environ.get("DATABASE_SSLMODE", "require")},
    )


def _statement_timeout(environ: Mapping[str, str]) -> int:
    raw = environ.get("ADMIN_TASKS_STATEMENT_TIMEOUT_MS", str(DEFAULT_STATEMENT_TIMEOUT_MS))
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_STATEMENT_TIMEOUT_MS:
        raise InvalidInput(
            "ADMIN_TASKS_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds from 1 to "
            f"{MAX_STATEMENT_TIMEOUT_MS} (one hour), got {raw!r}"
        )
    return int(raw)


def resolve_target(environ: Mapping[str, str]) -> DatabaseTarget:
    """The database named by the environment, or the local default (announced)."""
    timeout = _statement_timeout(environ)
    raw = environ.get("DATABASE_URL", "")
    if raw:
        return DatabaseTarget(_parse_url(raw), timeout)
    from_parts = _url_from_parts(environ)
    if from_parts is not None:
        return DatabaseTarget(from_parts, timeout)
    if running_in_ecs(environ):
        raise InvalidInput(
            "DATABASE_URL is not set and this is an ECS task: refusing to fall back to a "
            "local SQLite file. Inject DATABASE_URL (or DATABASE_HOST/USER/PASSWORD) from "
            "the database secret in the task definition"
        )
    log.info("DATABASE_URL is not set; using the local database %s", LOCAL_DEFAULT_URL)
    return DatabaseTarget(make_url(LOCAL_DEFAULT_URL), timeout)


def _sqlite_immediate_transactions(engine: Engine) -> None:
    # pysqlite's deferred BEGIN lets two writers both read first and then deadlock on
    # the upgrade to a write lock; BEGIN IMMEDIATE makes them queue on the busy timeout.
    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(target: DatabaseTarget, *, must_exist: bool = True) -> Engine:
    """An engine for one short-lived command (no pool). No connection is opened here."""
    if target.is_sqlite:
        path = target.url.database or ""
        if must_exist and path not in ("", ":memory:") and not Path(path).is_file():
            raise DatabaseFailed(
                f"SQLite database {path} does not exist: create it first with "
                "`python -m tasks init-db`"
            )
        engine = create_engine(
            target.url,
            poolclass=NullPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        _sqlite_immediate_transactions(engine)
        return engine
    return create_engine(
        target.url,
        poolclass=NullPool,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS, "application_name": "admin-tasks"},
    )


def lock_timeout_ms(target: DatabaseTarget) -> int:
    """At most 10 s, and half the statement timeout, so a lock wait ends as a lock timeout."""
    return max(1, min(MAX_LOCK_TIMEOUT_MS, target.statement_timeout_ms // 2))


def apply_timeouts(connection: Connection, target: DatabaseTarget) -> None:
    """Bound every statement and lock wait of the current transaction (PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        # set_config(..., true) is SET LOCAL: one round trip, values bound, not formatted in.
        connection.execute(
            text("SELECT set_config('statement_timeout', :statement, true), "
                 "set_config('lock_timeout', :lock, true)"),
            {"statement": f"{target.statement_timeout_ms}ms", "lock": f"{lock_timeout_ms(target)}ms"},
        )


def _first_line(error: BaseException | None) -> str:
    message = str(error).strip() if error is not None else ""
    return message.splitlines()[0] if message else type(error).__name__


MISSING_TABLES = ("the profile's tables are missing: run `python -m tasks init-db`, or point "
                  "ADMIN_TASKS_PROFILE at your schema")
#: (what the driver's message contains, what to do about it); {statement} and {lock} are
#: the timeouts in milliseconds.
HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("no such table",), MISSING_TABLES),
    (("relation", "does not exist"), MISSING_TABLES),
    (("no unique or exclusion constraint",),
     "the users table needs a unique index on lower(email) WHERE deleted_at IS NULL"),
    (("lock timeout",), "another session held a lock this task needed for over {lock} ms: find "
     "it with SELECT pid, state, xact_start, query FROM pg_stat_activity WHERE pid IN (SELECT pid "
     "FROM pg_locks WHERE granted) ORDER BY xact_start, let it finish or end it, then run again"),
    (("statement timeout",), "a statement ran longer than ADMIN_TASKS_STATEMENT_TIMEOUT_MS "
     "({statement} ms): raise it, up to 3600000"),
)


def _hint(message: str, target: DatabaseTarget) -> str:
    lowered = message.lower()
    for needles, hint in HINTS:
        if all(needle in lowered for needle in needles):
            return " (" + hint.format(statement=target.statement_timeout_ms,
                                      lock=lock_timeout_ms(target)) + ")"
    return ""


@contextmanager
def database_errors(target: DatabaseTarget) -> Iterator[None]:
    """Turn driver errors into DatabaseFailed with one clean line (no SQL, no parameters)."""
    try:
        yield
    except exc.DBAPIError as error:
        # str(error) would include the statement and its bound parameters (a password
        # hash, say); the driver's own message says what failed without them.
        message = _first_line(error.orig)
        raise DatabaseFailed(
            f"database {target.display} failed: {message}{_hint(message, target)}; nothing was changed"
        ) from None
    except exc.SQLAlchemyError as error:
        message = _first_line(error)
        raise DatabaseFailed(
            f"database {target.display} failed: {message}; nothing was changed"
        ) from None
