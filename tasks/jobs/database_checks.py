"""What libpq would misread in a PostgreSQL URL, refused before any connection (exit 2):
host names the resolver cannot take (a codec error, not a database error), a NUL that
would cut the connection settings short, host and port parameters SQLAlchemy cannot split.
No message shows any part of the URL: a malformed one may hold part of a password."""

from __future__ import annotations

import ipaddress
import re

from sqlalchemy import exc
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.engine import URL

from tasks.contract.errors import InvalidInput

#: A libpq connection keyword (sslmode, application_name, options, ...).
_QUERY_KEY = re.compile(r"[a-z][a-z_]{0,63}", re.ASCII)
#: One dot-separated label of a host name, as getaddrinfo accepts it.
_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)", re.ASCII)


def check_hosts(value: object, source: str) -> None:
    """libpq resolves each host with getaddrinfo, which raises a codec error (not a database
    error) for an empty or over-long label: refuse such a name before any connection."""
    if value is None:
        return
    for host in (value if isinstance(value, tuple) else (value,)):
        for one in map(_without_port, str(host).split(",")):
            if one.startswith("/") or _is_ip_address(one):
                continue  # a Unix-socket directory, or an IP address
            labels = one.removesuffix(".").split(".")
            if len(one) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
                raise InvalidInput(
                    f"{source} is not a host name, IP address or socket directory: each "
                    "dot-separated part of a name is 1-63 letters, digits, hyphens or "
                    "underscores (no part of it is shown here)")


def _without_port(host: str) -> str:
    """``H:PORT`` (the host parameter's form; ``[::1]:5432`` for IPv6) → ``H``."""
    if _is_ip_address(host) or ":" not in host:
        return host
    name, _, port = host.rpartition(":")
    return name.removeprefix("[").removesuffix("]") if port.isdigit() else host


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_connection_settings(url: URL) -> None:
    """A NUL anywhere ends libpq's conninfo string there: every later setting (port,
    sslmode, require_auth) would silently be dropped. Then SQLAlchemy's own reading of
    the host and port parameters, as the connection will make it."""
    odd_keys = [key for key in url.query if not _QUERY_KEY.fullmatch(key)]
    if odd_keys:  # a key is written into the conninfo as is: "a sslmode=disable" would inject
        raise InvalidInput("DATABASE_URL has a query parameter whose name is not a libpq "
                           "keyword (lower-case letters and _ only): remove it (no part of the "
                           "URL is shown here)")
    parts = [url.username, url.password, url.host, url.database,
             *(value for values in url.query.values()
               for value in (values if isinstance(values, tuple) else (values,)))]
    if any("\x00" in part for part in parts if part):
        raise InvalidInput("DATABASE_URL holds a NUL character (%00), where libpq would cut "
                           "the connection settings short: remove it (no part of the URL is "
                           "shown here)")
    try:
        PGDialect_psycopg().create_connect_args(url)  # type: ignore[no-untyped-call]
    except exc.ArgumentError:
        raise InvalidInput("DATABASE_URL's host and port parameters cannot be read: use one "
                           "host:port, or host=H:PORT query parameters with numeric ports (no "
                           "part of the URL is shown here)") from None
