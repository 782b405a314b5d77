"""Who approved this run: GitHub's review history for the workflow run, read before any
AWS call, and the refusals it decides (no approval, or only the requester's).

``GET {GITHUB_API_URL}/repos/{GITHUB_REPOSITORY}/actions/runs/{GITHUB_RUN_ID}/approvals``
with the job's ``GITHUB_TOKEN`` (``actions: read``), standard library only.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import threading
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tasks.contract.context import GITHUB_LOGIN, MAX_APPROVAL_COMMENT_LENGTH, MAX_APPROVERS
from tasks.contract.errors import Refused
from tasks.launcher.results import ApprovalsUnreadable

TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 1 << 20
#: GitHub's owner/name as the runner sets it (GITHUB_RUN_ID is checked with the run
#: context, before this): nothing else goes into the URL.
_REPOSITORY = re.compile(r"(?!\.\.?/)[A-Za-z0-9_.-]{1,100}/(?!\.\.?$)[A-Za-z0-9_.-]{1,100}",
                         re.ASCII)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The token must not follow a redirect to another host: treat one as an error."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True)
class Approval:
    """The approvals of one environment for this run."""

    approvers: tuple[str, ...]
    comment: str | None


def in_github_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def read_approval(environ: Mapping[str, str], environment: str,
                  timeout: float | None = None) -> Approval:
    """The ``approved`` reviews of ``environment`` for this run, in the order given."""
    missing = [name for name in ("GITHUB_API_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID",
                                 "GITHUB_TOKEN") if not environ.get(name)]
    if missing:
        raise ApprovalsUnreadable(f"cannot read who approved this run: {', '.join(missing)} "
                                  "not set (the workflow passes GITHUB_TOKEN: github.token)")
    if not _REPOSITORY.fullmatch(environ["GITHUB_REPOSITORY"]):
        raise ApprovalsUnreadable("cannot read who approved this run: GITHUB_REPOSITORY is "
                                  "not owner/name; nothing was started")
    url = (f"{_api_base(environ['GITHUB_API_URL'])}/repos/{environ['GITHUB_REPOSITORY']}"
           f"/actions/runs/{environ['GITHUB_RUN_ID']}/approvals")
    return approval_from(_get_json(url, environ["GITHUB_TOKEN"], timeout or TIMEOUT_SECONDS),
                         environment)


def _api_base(value: str) -> str:
    """GITHUB_API_URL: https, or http to this machine only (a local stand-in of GitHub);
    the token is never sent anywhere else, nor read from a file:// address."""
    failed = f"cannot read who approved this run: GITHUB_API_URL={value!r} is not"
    try:
        parts = urllib.parse.urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 -- raises ValueError on a malformed port
    except ValueError:
        raise ApprovalsUnreadable(f"{failed} a URL; nothing was started") from None
    if parts.username is not None or parts.password is not None:
        raise ApprovalsUnreadable(f"{failed} GitHub's API: it holds a user name or password; "
                                  "nothing was started")
    if parts.scheme == "http" and _is_loopback(host):
        return value.rstrip("/")
    if parts.scheme != "https" or not host or parts.query or parts.fragment:
        raise ApprovalsUnreadable(f"{failed} an https:// URL of GitHub's API; nothing was "
                                  "started")
    return value.rstrip("/")


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _get_json(url: str, token: str, timeout: float) -> Any:
    """GET ``url`` within ``timeout`` seconds in all (a server that answers a byte at a
    time cannot hold the run); no redirect is followed."""
    outcome: list[bytes | ApprovalsUnreadable] = []
    worker = threading.Thread(target=lambda: outcome.append(_fetch(url, token, timeout)),
                              daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise ApprovalsUnreadable(f"cannot read who approved this run from {url}: no answer "
                                  f"within {timeout:g} s (timed out); nothing was started")
    if isinstance(outcome[0], ApprovalsUnreadable):
        raise outcome[0]
    return _decode(outcome[0], url)


def _fetch(url: str, token: str, timeout: float) -> bytes | ApprovalsUnreadable:
    failed = f"cannot read who approved this run from {url}"
    try:
        request = urllib.request.Request(url, headers={  # noqa: S310 -- checked by _api_base
            "Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "admin-tasks-launcher"})
        with _OPENER.open(request, timeout=timeout) as response:
            return bytes(response.read(MAX_RESPONSE_BYTES + 1))
    except urllib.error.HTTPError as error:
        return ApprovalsUnreadable(f"{failed}: GitHub answered {error.code} {error.reason} "
                                   "(the job needs permissions: actions: read; a redirect is "
                                   "not followed); nothing was started")
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or f"{type(error).__name__}: {error}"
        return ApprovalsUnreadable(f"{failed}: {reason}; nothing was started")


def _decode(body: bytes, url: str) -> Any:
    failed = f"cannot read who approved this run from {url}"
    if len(body) > MAX_RESPONSE_BYTES:
        raise ApprovalsUnreadable(f"{failed}: the answer is larger than 1 MiB; nothing was "
                                  "started")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApprovalsUnreadable(f"{failed}: the answer is not JSON; nothing was started") \
            from None


def approval_from(document: Any, environment: str) -> Approval:
    """The approved reviews that name ``environment``; a malformed answer is unreadable."""
    if not isinstance(document, list):
        raise ApprovalsUnreadable("cannot read who approved this run: GitHub's answer is not a "
                                  "list of reviews; nothing was started")
    approvers: dict[str, None] = {}
    comments: list[str] = []
    for review in document:
        if not _approves(review, environment):
            continue
        login = review["user"]["login"]
        approvers[login] = None
        comment = _one_line(review.get("comment"))
        if comment:
            comments.append(comment)
    if len(approvers) > MAX_APPROVERS:
        raise ApprovalsUnreadable(f"cannot read who approved this run: more than "
                                  f"{MAX_APPROVERS} approvers; nothing was started")
    text = " | ".join(comments)
    if len(text) > MAX_APPROVAL_COMMENT_LENGTH:
        text = text[:MAX_APPROVAL_COMMENT_LENGTH - 1] + "…"
    return Approval(tuple(approvers), text or None)


def _approves(review: Any, environment: str) -> bool:
    if not isinstance(review, dict) or review.get("state") != "approved":
        return False
    user, environments = review.get("user"), review.get("environments")
    if not isinstance(user, dict) or not isinstance(user.get("login"), str) \
            or not GITHUB_LOGIN.fullmatch(user["login"]) or not isinstance(environments, list):
        raise ApprovalsUnreadable("cannot read who approved this run: an approved review has "
                                  "no valid user login or environments; nothing was started")
    return any(isinstance(env, dict) and env.get("name") == environment for env in environments)


def _one_line(comment: object) -> str:
    """A reviewer's comment as one printable line (it goes into an audit record)."""
    if not isinstance(comment, str):
        return ""
    visible = "".join(ch if unicodedata.category(ch)[0] not in "CZ" else " " for ch in comment)
    return " ".join(visible.split())


def refuse_unreviewed(approval: Approval, *, actor: str, environment: str,
                      required: bool) -> None:
    """Refused (exit 3) when the run needs an approval and has none, or when every approver
    is the requester (GitHub's prevent_self_review does nothing for a bot or app trigger)."""
    if required and not approval.approvers:
        raise Refused(f"nobody approved this run for {environment}, and its runs need a "
                      "reviewer's approval; nothing was started. Start a new run and ask a "
                      "required reviewer of the environment to approve it")
    if approval.approvers and all(login.lower() == actor.lower() for login in approval.approvers):
        raise Refused(f"the only approver of this run is the person who triggered it ({actor}); "
                      "a run needs another person's approval; nothing was started")
