"""Reading this run from GitHub's REST API: the run itself (who started it) and its
environment approvals, with the job's ``GITHUB_TOKEN``, standard library only.

Every read is bounded (10 s in all, 1 MiB), follows no redirect, and sends the token only
to an https:// API or a stand-in on this machine. A read that fails in any way is
:class:`GithubUnreadable` (exit 1, nothing started): the launcher never guesses who asked
or who approved.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from tasks.launcher.results import GithubUnreadable

TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 1 << 20
#: GitHub's owner/name as the runner sets it (GITHUB_RUN_ID is checked with the run
#: context, before this): nothing else goes into the URL.
_REPOSITORY = re.compile(r"(?!\.\.?/)[A-Za-z0-9_.-]{1,100}/(?!\.\.?$)[A-Za-z0-9_.-]{1,100}",
                         re.ASCII)
_RUN_ID = re.compile(r"[1-9][0-9]{0,19}", re.ASCII)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The token must not follow a redirect to another host: treat one as an error."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def read_run(environ: Mapping[str, str], suffix: str, what: str,
             timeout: float | None = None) -> Any:
    """GET ``/repos/{GITHUB_REPOSITORY}/actions/runs/{GITHUB_RUN_ID}{suffix}`` as JSON;
    ``what`` begins every error ("cannot read who approved this run")."""
    missing = [name for name in ("GITHUB_API_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID",
                                 "GITHUB_TOKEN") if not environ.get(name)]
    if missing:
        raise GithubUnreadable(f"{what}: {', '.join(missing)} not set (the workflow passes "
                               "GITHUB_TOKEN: github.token); nothing was started")
    if not _REPOSITORY.fullmatch(environ["GITHUB_REPOSITORY"]):
        raise GithubUnreadable(f"{what}: GITHUB_REPOSITORY is not owner/name; nothing was "
                               "started")
    if not _RUN_ID.fullmatch(environ["GITHUB_RUN_ID"]):
        raise GithubUnreadable(f"{what}: GITHUB_RUN_ID is not a run number; nothing was "
                               "started")
    url = (f"{_api_base(environ['GITHUB_API_URL'], what)}/repos/"
           f"{environ['GITHUB_REPOSITORY']}/actions/runs/{environ['GITHUB_RUN_ID']}{suffix}")
    return _get_json(url, environ["GITHUB_TOKEN"], timeout or TIMEOUT_SECONDS, what)


def _api_base(value: str, what: str) -> str:
    """GITHUB_API_URL: https, or http to this machine only (a local stand-in of GitHub);
    the token is never sent anywhere else, nor read from a file:// address."""
    failed = f"{what}: GITHUB_API_URL={value!r} is not"
    try:
        parts = urllib.parse.urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 -- raises ValueError on a malformed port
    except ValueError:
        raise GithubUnreadable(f"{failed} a URL; nothing was started") from None
    if parts.username is not None or parts.password is not None:
        raise GithubUnreadable(f"{failed} GitHub's API: it holds a user name or password; "
                               "nothing was started")
    if parts.scheme == "http" and _is_loopback(host):
        return value.rstrip("/")
    if parts.scheme != "https" or not host or parts.query or parts.fragment:
        raise GithubUnreadable(f"{failed} an https:// URL of GitHub's API; nothing was "
                               "started")
    return value.rstrip("/")


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _get_json(url: str, token: str, timeout: float, what: str) -> Any:
    """GET ``url`` within ``timeout`` seconds in all (a server that answers a byte at a
    time cannot hold the run); no redirect is followed."""
    failed = f"{what} from {url}"
    outcome: list[bytes | GithubUnreadable] = []
    worker = threading.Thread(
        target=lambda: outcome.append(_fetch(url, token, timeout, failed)), daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise GithubUnreadable(f"{failed}: no answer within {timeout:g} s (timed out); "
                               "nothing was started")
    if isinstance(outcome[0], GithubUnreadable):
        raise outcome[0]
    body = outcome[0]
    if len(body) > MAX_RESPONSE_BYTES:
        raise GithubUnreadable(f"{failed}: the answer is larger than 1 MiB; nothing was "
                               "started")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise GithubUnreadable(f"{failed}: the answer is not JSON; nothing was started") \
            from None


def _fetch(url: str, token: str, timeout: float, failed: str) -> bytes | GithubUnreadable:
    try:
        request = urllib.request.Request(url, headers={  # noqa: S310 -- checked by _api_base
            "Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "admin-tasks-launcher"})
        with _OPENER.open(request, timeout=timeout) as response:
            return bytes(response.read(MAX_RESPONSE_BYTES + 1))
    except urllib.error.HTTPError as error:
        return GithubUnreadable(f"{failed}: GitHub answered {error.code} {error.reason} "
                                "(the job needs permissions: actions: read; a redirect is "
                                "not followed); nothing was started")
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or f"{type(error).__name__}: {error}"
        return GithubUnreadable(f"{failed}: {reason}; nothing was started")
