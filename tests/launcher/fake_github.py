"""A small stand-in for GitHub's REST API on 127.0.0.1: the run approvals endpoint.

Tests point the launcher at it with GITHUB_API_URL; it answers what the test sets
(status, body, an optional delay) and records each request's path and headers.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


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

    def approvals(self, *reviews: dict[str, Any]) -> None:
        self.status, self.body = 200, json.dumps(list(reviews)).encode()

    def answer(self, status: int, body: bytes | str) -> None:
        self.status, self.body = status, body.encode() if isinstance(body, str) else body


def review(login: str, *environments: str, state: str = "approved",
           comment: str = "") -> dict[str, Any]:
    """One entry of GET …/actions/runs/{id}/approvals, shaped as GitHub returns it."""
    return {"state": state, "comment": comment,
            "environments": [{"id": 100 + i, "name": name} for i, name in enumerate(environments)],
            "user": {"login": login, "id": 1, "type": "User"}}


def serve() -> Iterator[FakeGithub]:
    fake = FakeGithub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.requests.append({"path": self.path, "headers": dict(self.headers)})
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
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(fake.body)))
            self.end_headers()
            step = 1 if fake.drip_seconds else max(len(fake.body), 1)
            for start in range(0, len(fake.body), step):
                self.wfile.write(fake.body[start:start + step])
                self.wfile.flush()
                time.sleep(fake.drip_seconds)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
