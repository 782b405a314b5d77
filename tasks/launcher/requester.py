"""Who asked for this run: GitHub's own record of the run, never the job's environment.

``GET …/actions/runs/{GITHUB_RUN_ID}`` names the run's ``actor`` (who started the first
attempt) and ``triggering_actor`` (who started this attempt, e.g. a re-run). Both are
requesters. A run that a bot or an app started or re-ran is refused: a person with write
access could otherwise dispatch the workflow through a token and approve it themselves,
since GitHub's ``prevent_self_review`` sees only the bot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tasks.contract.context import GITHUB_LOGIN
from tasks.contract.errors import Refused
from tasks.launcher.github_api import read_run
from tasks.launcher.results import GithubUnreadable

WHAT = "cannot read who started this run"
MAX_USER_ID = 2**63 - 1


@dataclass(frozen=True)
class Person:
    """A GitHub account as the API names it."""

    login: str
    id: int
    type: str

    @property
    def is_human(self) -> bool:
        return self.type == "User" and not self.login.lower().endswith("[bot]")


@dataclass(frozen=True)
class Requesters:
    """The run's actor and triggering actor (the same person, or two)."""

    actor: Person
    triggering: Person

    @property
    def people(self) -> tuple[Person, ...]:
        same = self.actor.id == self.triggering.id
        return (self.actor,) if same else (self.actor, self.triggering)

    @property
    def name(self) -> str:
        """The requesters' logins, space-separated, as audit records and tags name them."""
        return " ".join(person.login for person in self.people)

    def includes(self, person: Person) -> bool:
        """By numeric id, and by login in any case as well."""
        return any(person.id == own.id or person.login.lower() == own.login.lower()
                   for own in self.people)


def person_from(value: Any, field: str, what: str) -> Person:
    """One user object of GitHub's answer; anything malformed is unreadable."""
    if not isinstance(value, dict):
        raise GithubUnreadable(f"{what}: GitHub's answer has no {field}; nothing was started")
    login, user_id, kind = value.get("login"), value.get("id"), value.get("type")
    bot_login = isinstance(login, str) and login.endswith("[bot]") \
        and GITHUB_LOGIN.fullmatch(login.removesuffix("[bot]"))
    if (not isinstance(login, str) or not (GITHUB_LOGIN.fullmatch(login) or bot_login)
            or not isinstance(user_id, int) or isinstance(user_id, bool)
            or not 0 < user_id <= MAX_USER_ID or not isinstance(kind, str) or not kind):
        raise GithubUnreadable(f"{what}: GitHub's {field} has no valid login, id and type; "
                               "nothing was started")
    return Person(login, user_id, kind)


def read_requesters(environ: Mapping[str, str], timeout: float | None = None) -> Requesters:
    """The requesters of this run; Refused (exit 3) when a bot or app started or re-ran it."""
    document = read_run(environ, "", WHAT, timeout)
    if not isinstance(document, dict):
        raise GithubUnreadable(f"{WHAT}: GitHub's answer is not a workflow run; nothing was "
                               "started")
    requesters = Requesters(person_from(document.get("actor"), "actor", WHAT),
                            person_from(document.get("triggering_actor"), "triggering_actor",
                                        WHAT))
    for role, person in (("started", requesters.actor), ("re-ran", requesters.triggering)):
        if not person.is_human:
            raise Refused(f"this run was {role} by {person.login} (a {person.type}), not a "
                          "person: a run must be asked for by a person, so that nobody can "
                          "approve their own request through a bot; nothing was started. Start "
                          "the workflow yourself from the Actions tab")
    return requesters
