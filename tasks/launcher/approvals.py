"""Who approved this run: GitHub's review history for the workflow run, read before any
AWS call, and the refusals it decides (too few approvers besides the requesters).

``GET …/actions/runs/{GITHUB_RUN_ID}/approvals`` with the job's ``GITHUB_TOKEN``
(``actions: read``). Approvers are counted by numeric id across the run's approval
environments (:func:`tasks.contract.settings.approval_environments`): a person who
approves two of them counts once, a requester never counts, nor does an account that is
not a person.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tasks.contract.context import MAX_APPROVAL_COMMENT_LENGTH, MAX_APPROVERS
from tasks.contract.errors import Refused
from tasks.launcher.github_api import read_run
from tasks.launcher.requester import Person, Requesters, person_from
from tasks.launcher.results import GithubUnreadable

WHAT = "cannot read who approved this run"


@dataclass(frozen=True)
class Approval:
    """The approved reviews of this run's approval environments, in the order given."""

    reviewers: tuple[Person, ...]
    """Everyone who approved one of the environments, each once, in order."""
    comment: str | None

    def counted(self, requesters: Requesters) -> tuple[Person, ...]:
        """The approvers that count: people, none of them a requester."""
        return tuple(p for p in self.reviewers if p.is_human and not requesters.includes(p))


def in_github_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def read_approval(environ: Mapping[str, str], environments: Sequence[str],
                  timeout: float | None = None) -> Approval:
    """The ``approved`` reviews of ``environments`` for this run."""
    return approval_from(read_run(environ, "/approvals", WHAT, timeout), environments)


def approval_from(document: Any, environments: Sequence[str]) -> Approval:
    """The approved reviews that name one of ``environments``; a malformed answer is
    unreadable."""
    if not isinstance(document, list):
        raise GithubUnreadable(f"{WHAT}: GitHub's answer is not a list of reviews; nothing "
                               "was started")
    reviewers: dict[int, Person] = {}
    comments: list[str] = []
    for review in document:
        if not _approves(review, environments):
            continue
        person = person_from(review["user"], "review's user", WHAT)
        reviewers.setdefault(person.id, person)
        comment = _one_line(review.get("comment"))
        if comment:
            comments.append(comment)
    if len(reviewers) > MAX_APPROVERS:
        raise GithubUnreadable(f"{WHAT}: more than {MAX_APPROVERS} approvers; nothing was "
                               "started")
    text = " | ".join(comments)
    if len(text) > MAX_APPROVAL_COMMENT_LENGTH:
        text = text[:MAX_APPROVAL_COMMENT_LENGTH - 1] + "…"
    return Approval(tuple(reviewers.values()), text or None)


def _approves(review: Any, environments: Sequence[str]) -> bool:
    if not isinstance(review, dict) or review.get("state") != "approved":
        return False
    named = review.get("environments")
    if not isinstance(review.get("user"), dict) or not isinstance(named, list):
        raise GithubUnreadable(f"{WHAT}: an approved review has no valid user or "
                               "environments; nothing was started")
    return any(isinstance(env, dict) and env.get("name") in environments for env in named)


def _one_line(comment: object) -> str:
    """A reviewer's comment as one printable line (it goes into an audit record)."""
    if not isinstance(comment, str):
        return ""
    visible = "".join(ch if unicodedata.category(ch)[0] not in "CZ" else " " for ch in comment)
    return " ".join(visible.split())


def refuse_unreviewed(approval: Approval, *, requesters: Requesters, environment: str,
                      required: int, approval_required: bool) -> tuple[Person, ...]:
    """The approvers that count, or Refused (exit 3): fewer than ``required`` of them when
    the run needs approval, or approvals only from requesters or bots (GitHub's
    prevent_self_review does nothing when a bot or app started the run)."""
    counted = approval.counted(requesters)
    if approval_required and len(counted) < required:
        others = [p.login for p in approval.reviewers if p not in counted]
        got = (f"{len(counted)} ({', '.join(p.login for p in counted)})" if counted
               else "none")
        ignored = (f"; not counted: {', '.join(others)} (who asked, or not a person)"
                   if others else "")
        raise Refused(f"this run needs {required} distinct approver(s) for {environment} "
                      f"besides who asked ({requesters.name}), and has {got}{ignored}; nothing "
                      "was started. Start a new run and ask required reviewers of the "
                      "environment to approve it")
    if approval.reviewers and not counted:
        raise Refused(f"the only approver of this run is who asked for it "
                      f"({requesters.name}), or not a person; a run needs another person's "
                      "approval; nothing was started")
    return counted
