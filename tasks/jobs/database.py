"""Engines for one short-lived command, their timeouts, and turning their failures into
exit code 4 with one line an operator can act on.

Which database, and how a connection must authenticate, is decided first, from the
environment, in :mod:`tasks.jobs.database_url` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.pool import NullPool

from tasks.contract.context import running_in_ecs
from tasks.contract.errors import DatabaseFailed
from tasks.jobs.database_url import DatabaseTarget, resolve_target

__all__ = ["DatabaseTarget", "apply_timeouts", "database_errors", "lock_timeout_ms",
           "make_engine", "resolve_target", "running_in_ecs"]

MAX_LOCK_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_SECONDS = 10
SQLITE_BUSY_TIMEOUT_SECONDS = 30


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
    connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS,
                                    "application_name": "admin-tasks"}
    if target.require_auth is not None:
        connect_args["require_auth"] = target.require_auth
    return create_engine(target.url, poolclass=NullPool, connect_args=connect_args)


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
    (("requested a cleartext password",), "the password was not sent: admin-tasks never sends "
     "it in cleartext. Check that DATABASE_URL or DATABASE_HOST names your database server and "
     "that its pg_hba.conf asks for scram-sha-256; an old server that only does md5 needs md5 "
     "there and ADMIN_TASKS_DATABASE_AUTH=md5 here"),
    (("requested a hashed password",), "the password was not sent: md5 is accepted only when "
     "allowed explicitly. For an old server that still uses md5 set "
     "ADMIN_TASKS_DATABASE_AUTH=md5, or better move its passwords to scram-sha-256"),
    (("did not complete authentication",), "a password is configured but the server asked for "
     "none: check that DATABASE_URL or DATABASE_HOST names your database server; for a server "
     "that trusts this client, leave the password out"),
    (("does not support ssl",), "the server has no TLS: for a local server set "
     "DATABASE_SSLMODE=disable, or add ?sslmode=disable to DATABASE_URL"),
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
