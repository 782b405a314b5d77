"""Where the launcher gets AWS clients and time, and where it writes: the seam tests
replace (``tasks.launcher.commands.default_runtime``). boto3 is imported only when a
client is made."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from tasks.contract.errors import InvalidInput
from tasks.launcher.clock import Clock, SystemClock

if TYPE_CHECKING:
    from tasks.launcher.aws import Clients

INSTALL_HINT = ("pip install -e '.[launcher]', or the hash-pinned requirements as the workflow "
                "does: pip install --require-hashes --no-deps -r requirements/launcher.txt")


@dataclass(frozen=True)
class Runtime:
    """Where the launcher gets AWS clients and time, and where it writes."""

    clients: Callable[[str], Clients]
    clock: Clock
    out: TextIO
    log_page_size: int | None = None


def _make_clients(region: str) -> Clients:
    from tasks.launcher.aws import make_clients

    return make_clients(region)


def default_runtime() -> Runtime:
    return Runtime(clients=_make_clients, clock=SystemClock(), out=sys.stdout)


def require_aws() -> None:
    """Exit 2 with what to install when boto3 is missing (the container's install)."""
    try:
        import boto3  # noqa: F401
        import botocore  # noqa: F401
    except ImportError as error:
        raise InvalidInput(f"this command calls AWS and needs boto3, which cannot be imported "
                           f"({error}): {INSTALL_HINT}") from None
