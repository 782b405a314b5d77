"""Which database a command talks to, read from the environment before any connection.

``DATABASE_URL`` wins; else the parts ``DATABASE_HOST`` … ``DATABASE_SSLMODE`` (an
RDS-managed secret holds only ``username`` and ``password``); with neither, a developer
machine gets a local SQLite file and an ECS task refuses. PostgreSQL connections carry
libpq's ``require_auth``: a configured password is only ever sent through SCRAM (or md5,
when ``ADMIN_TASKS_DATABASE_AUTH=md5`` says so), never in cleartext, and a server that
skips authentication is refused too; without a password, no authentication is accepted
as well (a local trust server). Every mistake here is exit 2, and no error line shows any
part of a password, however malformed the URL.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import exc
from sqlalchemy.engine import URL, make_url

from tasks.contract.binding import SSLMODES, Binding
from tasks.contract.context import running_in_ecs
from tasks.contract.errors import InvalidInput
from tasks.jobs.database_binding import bound_url, check_variables
from tasks.jobs.database_checks import check_connection_settings, check_hosts

log = logging.getLogger("admin-tasks")

LOCAL_DEFAULT_URL = "sqlite:///admin-tasks.db"
DEFAULT_STATEMENT_TIMEOUT_MS = 30_000
MAX_STATEMENT_TIMEOUT_MS = 3_600_000
AUTH_VARIABLE = "ADMIN_TASKS_DATABASE_AUTH"
#: ADMIN_TASKS_DATABASE_AUTH → the methods libpq may answer with the password.
AUTH_METHODS = {"scram-sha-256": ("scram-sha-256",), "md5": ("scram-sha-256", "md5")}
NOT_ENCODED = (
    "DATABASE_URL cannot be read safely: its user or password holds an @ / ? or # that is "
    "not percent-encoded (build the URL with urllib.parse.quote(password, safe=''), see "
    "docs/DEPLOYING.md); no part of it is shown here"
)


@dataclass(frozen=True)
class DatabaseTarget:
    """A resolved database: its URL and how it is described to the operator."""

    url: URL
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS
    #: libpq's require_auth for PostgreSQL (passed on connect, not shown in ``display``).
    require_auth: str | None = None

    @property
    def display(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"


def _setting(environ: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    """A variable's value; set but empty is a mistake, never the same as unset."""
    value = environ.get(name)
    if value == "":
        raise InvalidInput(f"{name} is set but empty: give it a value, or unset it")
    if value is None:
        return default
    try:
        value.encode("utf-8")  # os.environ keeps undecodable bytes as lone surrogates
    except UnicodeEncodeError:
        raise InvalidInput(f"{name} is not UTF-8 text: set it again from the secret or stack "
                           "config (no part of it is shown here)") from None
    return value


def _sslmode(value: str, source: str) -> str:
    if value not in SSLMODES:
        raise InvalidInput(f"{source} must be one of {', '.join(SSLMODES)}, got {value!r}")
    return value


def _check_authority(raw: str) -> None:
    """An unencoded @ / ? or # in the user or password moves part of the password into the
    host, path or query, where error lines would show it: refuse such a URL unread."""
    rest = raw.partition("://")[2]
    end = min((index for index in map(rest.find, "/?#") if index >= 0), default=len(rest))
    if rest[:end].count("@") > 1 or "@" in rest[end:]:
        raise InvalidInput(NOT_ENCODED)


def _postgres_url(url: URL) -> URL:
    if "password" in url.query:
        raise InvalidInput("DATABASE_URL has a password query parameter: put the password in "
                           "the URL's user part instead (percent-encoded)")
    sslmode = url.query.get("sslmode")
    if sslmode is not None:
        _sslmode(sslmode if isinstance(sslmode, str) else ",".join(sslmode), "DATABASE_URL's sslmode")
    return url.set(drivername="postgresql+psycopg")


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
        _check_authority(raw)
        return _postgres_url(url)
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return url.set(drivername="sqlite")
    raise InvalidInput(
        f"DATABASE_URL scheme {url.drivername!r} is not supported: use postgres://, "
        "postgresql:// or sqlite:///"
    )


def _url_from_parts(environ: Mapping[str, str], host: str) -> URL:
    user = _setting(environ, "DATABASE_USER")
    if user is None:
        raise InvalidInput(
            "DATABASE_HOST is set but DATABASE_USER is not: set it (and DATABASE_PASSWORD unless "
            "the server trusts this client), or DATABASE_URL instead"
        )
    port_raw = _setting(environ, "DATABASE_PORT", "5432") or ""
    if not (port_raw.isascii() and port_raw.isdigit()) or not 0 < int(port_raw) < 65536:
        raise InvalidInput(f"DATABASE_PORT must be a port number, got {port_raw!r}")
    sslmode = _sslmode(_setting(environ, "DATABASE_SSLMODE", "require") or "", "DATABASE_SSLMODE")
    query = {"sslmode": sslmode}
    root_certificate = _setting(environ, "DATABASE_SSLROOTCERT")
    if root_certificate is not None:  # libpq's own PGSSLROOTCERT is ignored, as every PG*
        query["sslrootcert"] = root_certificate
    return URL.create(
        "postgresql+psycopg",
        username=user,
        password=_setting(environ, "DATABASE_PASSWORD"),
        host=host,
        port=int(port_raw),
        database=_setting(environ, "DATABASE_NAME", "postgres"),
        query=query,
    )


def _require_auth(url: URL, environ: Mapping[str, str]) -> str:
    """libpq's require_auth from ADMIN_TASKS_DATABASE_AUTH; one in the URL may only narrow it."""
    choice = environ.get(AUTH_VARIABLE, "scram-sha-256")
    if choice not in AUTH_METHODS:
        raise InvalidInput(
            f"{AUTH_VARIABLE} must be scram-sha-256 (the default) or md5 (also allow md5, for an "
            f"old server), got {choice!r}: a password is never sent in cleartext"
        )
    allowed = AUTH_METHODS[choice] if url.password else (*AUTH_METHODS[choice], "none")
    given = url.query.get("require_auth")
    if given is None:
        return ",".join(allowed)
    if not isinstance(given, str) or not set(given.split(",")) <= set(allowed):
        raise InvalidInput(
            f"DATABASE_URL's require_auth would allow more than {AUTH_VARIABLE} does "
            f"({','.join(allowed)}): remove it from the URL, or set {AUTH_VARIABLE}=md5 for "
            "an old server that still uses md5"
        )
    return given


def _statement_timeout(environ: Mapping[str, str]) -> int:
    raw = environ.get("ADMIN_TASKS_STATEMENT_TIMEOUT_MS", str(DEFAULT_STATEMENT_TIMEOUT_MS))
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_STATEMENT_TIMEOUT_MS:
        raise InvalidInput(
            "ADMIN_TASKS_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds from 1 to "
            f"{MAX_STATEMENT_TIMEOUT_MS} (one hour), got {raw!r}"
        )
    return int(raw)


def _bound_target(environ: Mapping[str, str], binding: Binding, timeout: int) -> DatabaseTarget:
    """The database the task definition binds (:mod:`tasks.jobs.database_binding`)."""
    check_variables(environ, binding)
    raw = _setting(environ, "DATABASE_URL")
    url = _parse_url(raw) if raw is not None else None
    if url is not None and url.get_backend_name() != "postgresql":
        raise InvalidInput("DATABASE_URL is not a PostgreSQL URL, but the task definition "
                           "binds this task to a PostgreSQL server; nothing was run")
    url = bound_url(environ, binding, url)
    check_hosts(url.host, "the bound host")
    check_connection_settings(url)
    return DatabaseTarget(url, timeout, _require_auth(url, {AUTH_VARIABLE: binding.auth}))


def resolve_target(environ: Mapping[str, str]) -> DatabaseTarget:
    """The database the task definition binds, else the one the environment names, else
    the local default (announced)."""
    timeout = _statement_timeout(environ)
    binding = Binding.from_environ(environ)
    if binding is not None:
        return _bound_target(environ, binding, timeout)
    raw = _setting(environ, "DATABASE_URL")
    host = _setting(environ, "DATABASE_HOST") if raw is None else None
    if raw is not None:
        url = _parse_url(raw)
    elif host is not None:
        url = _url_from_parts(environ, host)
    elif running_in_ecs(environ):
        raise InvalidInput(
            "DATABASE_URL is not set and this is an ECS task: refusing to fall back to a "
            "local SQLite file. Inject DATABASE_URL (or DATABASE_HOST/USER/PASSWORD) from "
            "the database secret in the task definition"
        )
    else:
        log.info("DATABASE_URL is not set; using the local database %s", LOCAL_DEFAULT_URL)
        return DatabaseTarget(make_url(LOCAL_DEFAULT_URL), timeout)
    if url.get_backend_name() == "postgresql":
        source = "DATABASE_URL's host" if raw is not None else "DATABASE_HOST"
        check_hosts(url.host, source)
        check_hosts(url.query.get("host"), "DATABASE_URL's host parameter")
        check_connection_settings(url)
        return DatabaseTarget(url, timeout, _require_auth(url, environ))
    return DatabaseTarget(url, timeout)
