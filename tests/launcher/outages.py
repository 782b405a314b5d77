"""AWS failing the way networks do: an operation raising a transport error (a timeout,
no connection) on some attempts, past botocore's retries, while moto serves the rest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from moto.core.models import botocore_stubber

from tasks.launcher.aws import Clients
from tests.launcher.conftest import World


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> list[bytes]:
        return [self._body]


def access_denied(request: Any) -> AWSResponse:
    """ECS's answer when the role may not do this (an AWS error, not a transport one)."""
    body = b'{"__type": "AccessDeniedException", "message": "no"}'
    return AWSResponse(request.url, 400, {"x-amzn-requesttype": "json"}, _Body(body))


def read_timeout(request: Any) -> Exception:
    return ReadTimeoutError(endpoint_url=request.url)


def no_connection(request: Any) -> Exception:
    return EndpointConnectionError(endpoint_url=request.url)


@dataclass
class Outage:
    """After the first ``after`` attempts of ``operation`` (answered), the next ``times``
    fail with ``error``; an attempt for which ``acted_on(n)`` is true still reached AWS
    (moto executes it) before failing."""

    operation: str
    error: Callable[[Any], Exception | AWSResponse]
    times: int
    acted_on: Callable[[int], bool] = lambda attempt: False
    after: int = 0
    attempts: int = 0
    _answered: int = field(default=0, init=False)
    _failing: bool = field(default=False, init=False)

    def before_send(self, event_name: str, **_: Any) -> None:
        """Registered first: decides whether moto (next in line) sees this attempt."""
        matching = event_name.endswith(f".{self.operation}")
        if matching and self._answered < self.after:
            self._answered, matching = self._answered + 1, False
        self._failing = matching and self.attempts < self.times
        if self._failing:
            self.attempts += 1
        botocore_stubber.enabled = not self._failing or self.acted_on(self.attempts)

    def after_moto(self, request: Any, **_: Any) -> AWSResponse | None:
        """Registered last: the answer is lost on the way back, or is an error."""
        if not self._failing:
            return None
        botocore_stubber.enabled = True
        failure = self.error(request)
        if isinstance(failure, Exception):
            raise failure
        return failure


def inject(world: World, monkeypatch: pytest.MonkeyPatch, outage: Outage) -> Outage:
    """Give every client the launcher makes this outage (moto's handler sits between)."""
    record_calls = world.record_calls
    monkeypatch.setattr(botocore_stubber, "enabled", True)

    def clients(region: str) -> Clients:
        made = record_calls(region)
        for client in (made.ecs, made.logs):
            client.meta.events.register_first("before-send", outage.before_send)
            client.meta.events.register("before-send", outage.after_moto)
        return made

    monkeypatch.setattr(world, "record_calls", clients)
    return outage
