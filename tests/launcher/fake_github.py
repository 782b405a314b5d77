"""A small stand-in for GitHub's REST API on 127.0.0.1: a workflow run and its approvals.

Tests point the launcher at it with GITHUB_API_URL. ``GET …/actions/runs/{id}`` answers
``run`` (by default a run that alice started); ``GET …/actions/runs/{id}/approvals``
answers what the test sets (status, body, an optional delay). Each request's path and
headers are recorded.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def user(login: str, kind: str = "User") -> dict[str, Any]:
    """A user object as GitHub shows it; the id is the account's, whatever the login's case."""
    return {"login": login, "id": 1000 + zlib.crc32(login.lower().encode()) % 10**8,
            "type": kind}


BOT = user("github-actions[bot]", "Bot")


@dataclass
class RunAnswer:
    """What ``GET …/actions/runs/{id}`` answers."""

    status: int = 200
    body: bytes = b""
    delay: float = 0.0

    def started_by(self, actor: dict[str, Any], triggering: dict[str, Any] | None = None) -> None:
        self.status, self.body = 200, json.dumps({
            "id": 4242, "name": "Admin task", "event": "workflow_dispatch", "actor": actor,
            "triggering_actor": triggering or actor}).encode()


@dataclass
class FakeGithub:
    """What the fake answers next, and what it was asked."""

    url: str = ""
    status: int = 200
    body: bytes = b"[]"
    delay: float = 0.0
    drip_seconds: float = 0.0
    """Send the body one byte at a time, this long apart (a server holding the run)."""
    raw: bytes | None = None
    """Write these bytes instead of an HTTP response (a broken server)."""
    redirect_to: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    run: RunAnswer = field(default_factory=RunAnswer)
    """The run endpoint's answer (the fields above are the approvals endpoint's)."""

    def __post_init__(self) -> None:
        self.run.started_by(user("alice"))

    def approvals(self, *reviews: dict[str, Any]) -> None:
        self.status, self.body = 200, json.dumps(list(reviews)).encode()

    def answer(self, status: int, body: bytes | str) -> None:
        self.status, self.body = status, body.encode() if isinstance(body, str) else body


def review(login: str, *environments: str, state: str = "approved",
           comment: str = "") -> dict[str, Any]:
    """One entry of GET …/actions/runs/{id}/approvals, shaped as GitHub returns it."""
    return {"state": state, "comment": comment,
            "environments": [{"id": 100 + i, "name": name} for i, name in enumerate(environments)],
            "user": user(login)}


def serve() -> Iterator[FakeGithub]:
    fake = FakeGithub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.requests.append({"path": self.path, "headers": dict(self.headers)})
            if not self.path.endswith("/approvals"):
                time.sleep(fake.run.delay)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._send(fake.run.status, fake.run.body, 0.0)
                return
            if fake.delay:
                time.sleep(fake.delay)
            # The launcher may give up waiting: that is what the slow-answer tests check.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._answer()

        def _answer(self) -> None:
            if fake.raw is not None:
                self.wfile.write(fake.raw)
                return
            if fake.redirect_to is not None:
                self.send_response(302)
                self.send_header("Location", fake.redirect_to)
                self.end_headers()
                return
            self._send(fake.status, fake.body, fake.drip_seconds)

        def _send(self, status: int, body: bytes, drip_seconds: float) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            step = 1 if drip_seconds else max(len(body), 1)
            for start in range(0, len(body), step):
                self.wfile.write(body[start:start + step])
                self.wfile.flush()
                time.sleep(drip_seconds)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    # shutdown() waits for the loop's next poll: the default 0.5 s would end every test
    # that serves GitHub half a second late.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
