"""Host names libpq can resolve, checked before any connection (a typo is exit 2, not a
codec error from the resolver)."""

from __future__ import annotations

import ipaddress
import re

from tasks.errors import InvalidInput

#: One dot-separated label of a host name, as getaddrinfo accepts it.
_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)", re.ASCII)


def check_hosts(value: object, source: str) -> None:
    """libpq resolves each host with getaddrinfo, which raises a codec error (not a database
    error) for an empty or over-long label: refuse such a name before any connection."""
    if value is None:
        return
    for host in (value if isinstance(value, tuple) else (value,)):
        for one in str(host).split(","):
            if one.startswith("/") or _is_ip_address(one):
                continue  # a Unix-socket directory, or an IP address
            labels = one.removesuffix(".").split(".")
            if len(one) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
                raise InvalidInput(
                    f"{source} is not a host name, IP address or socket directory: each "
                    "dot-separated part of a name is 1-63 letters, digits, hyphens or "
                    "underscores (no part of it is shown here)")


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
