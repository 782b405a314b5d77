"""The requester is a person, read from GitHub's record of the run (not from the job's
environment), and the approvers are other people: enough of them, by numeric id.

GitHub's run and approvals endpoints are a fake on 127.0.0.1 (GITHUB_API_URL); ECS is
moto. For each case: the exit code, whether RunTask was called, and the overrides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tasks.launcher import github_api as api
from tests.launcher.conftest import Launcher, World, in_github
from tests.launcher.fake_github import BOT, FakeGithub, review, user
from tests.launcher.test_approvals import overrides, run_approved, tags
from tests.launcher.test_run import SEED

APP = user("my-app[bot]", "Bot")
ALICE, BOB = user("alice"), user("bob")


def refused_before_aws(run: Any, world: World, fragment: str) -> None:
    assert (run.exit_code, run.result["outcome"]) == (3, "refused"), run.stderr
    assert fragment in run.stderr and "nothing was started" in run.stderr
    assert world.clients_made == [] and world.tasks() == []


@pytest.mark.parametrize(("actor", "triggering", "fragment"), [
    (BOT, BOT, "started by github-actions[bot] (a Bot), not a person"),
    (ALICE, BOT, "re-ran by github-actions[bot] (a Bot), not a person"),
    (BOT, ALICE, "started by github-actions[bot] (a Bot), not a person"),
    (APP, APP, "started by my-app[bot] (a Bot), not a person"),
    ({**user("sneaky[bot]"), "type": "User"}, None, "started by sneaky[bot] (a User)"),
    (user("octo-org", "Organization"), None, "started by octo-org (a Organization)"),
], ids=["bot", "human re-run by a bot", "bot run re-run by a human", "app",
        "[bot] login typed User", "organization"])
def test_a_run_a_bot_or_app_started_is_refused_however_approved(
        launch: Launcher, world: World, github_api: FakeGithub, actor: dict[str, Any],
        triggering: dict[str, Any] | None, fragment: str) -> None:
    """The job's own GITHUB_ACTOR says alice: only GitHub's record of the run counts."""
    github_api.run.started_by(actor, triggering)
    github_api.approvals(review("alice", "staging"), review("bob", "staging"))

    run = launch(*SEED, **in_github(github_api), GITHUB_TRIGGERING_ACTOR="alice")

    refused_before_aws(run, world, fragment)


def test_the_check_job_refuses_a_bots_run_before_a_reviewer_is_asked(
        launch: Launcher, world: World, github_api: FakeGithub, tmp_path: Path) -> None:
    github_api.run.started_by(BOT)
    summary = tmp_path / "summary.md"
    run = launch(*SEED, "--check", **in_github(github_api), GITHUB_STEP_SUMMARY=str(summary))
    assert run.exit_code == 3 and "not a person" in run.stderr
    assert not summary.exists()


def test_the_check_job_names_the_requesters_from_github(
        launch: Launcher, world: World, github_api: FakeGithub, tmp_path: Path) -> None:
    github_api.run.started_by(ALICE, BOB)
    summary = tmp_path / "summary.md"
    run = launch(*SEED, "--check", **in_github(github_api), GITHUB_ACTOR="mallory",
                 GITHUB_STEP_SUMMARY=str(summary))
    assert run.exit_code == 0, run.stderr
    text = summary.read_text()
    assert "| Requested by | `alice bob` |" in text
    assert "| Approvals needed | 1 person other than who asked, for `staging` |" in text


@pytest.mark.parametrize("approver", [
    {**ALICE, "login": "ALICE"},  # the requester, another spelling of the login
    {**ALICE, "login": "alice-renamed"},  # the requester's account under a new login
    {**BOB, "login": "Bob"},  # who re-ran it
    user("renovate[bot]", "Bot"),
], ids=["requester in upper case", "requester renamed", "re-runner", "bot approver"])
def test_an_approval_by_a_requester_or_a_bot_does_not_count(
        launch: Launcher, world: World, github_api: FakeGithub,
        approver: dict[str, Any]) -> None:
    github_api.run.started_by(ALICE, BOB)
    github_api.approvals({**review("x", "staging"), "user": approver})

    run = launch(*SEED, **in_github(github_api))

    refused_before_aws(run, world, "needs 1 distinct approver(s) for staging besides who "
                       "asked (alice bob), and has none; not counted:")


def test_a_re_run_names_both_requesters_and_another_persons_approval_counts(
        launch: Launcher, world: World, github_api: FakeGithub) -> None:
    github_api.run.started_by(ALICE, BOB)
    github_api.approvals(review("carol", "staging"))

    run = run_approved(launch, world, github_api, GITHUB_TRIGGERING_ACTOR="mallory")

    assert run.exit_code == 0, run.stderr
    assert overrides(world)["ADMIN_TASK_ACTOR"] == "alice bob"
    assert tags(world)["admin-tasks:actor"] == "alice bob"
    assert overrides(world)["ADMIN_TASK_APPROVED_BY"] == "carol"


@pytest.fixture
def two_required(world: World) -> None:
    world.settings["requiredApprovals"] = 2


@pytest.mark.parametrize(("reviews", "got"), [
    ([review("carol", "staging")], "has 1 (carol)"),
    ([review("carol", "staging"), review("carol", "staging-approval-2")], "has 1 (carol)"),
    ([review("carol", "staging", "staging-approval-2")], "has 1 (carol)"),
    ([review("carol", "staging"), review("alice", "staging-approval-2")],
     "has 1 (carol); not counted: alice"),
    ([review("carol", "staging"), review("dave", "prod-approval-2")], "has 1 (carol)"),
], ids=["one approver", "the same approver in two environments", "both in one review",
        "the requester second", "another environment's second"])
def test_fewer_distinct_approvers_than_required_is_refused(
        launch: Launcher, world: World, github_api: FakeGithub, two_required: None,
        reviews: list[dict[str, Any]], got: str) -> None:
    github_api.approvals(*reviews)
    run = launch(*SEED, **in_github(github_api))
    refused_before_aws(run, world, f"needs 2 distinct approver(s) for staging besides who "
                       f"asked (alice), and {got}")


def test_two_distinct_approvers_run_and_are_named_in_order(
        launch: Launcher, world: World, github_api: FakeGithub, two_required: None,
        tmp_path: Path) -> None:
    github_api.approvals(review("dave", "staging-approval-2", comment="second"),
                         review("carol", "staging", comment="first"))
    summary = tmp_path / "summary.md"

    run = run_approved(launch, world, github_api, GITHUB_STEP_SUMMARY=str(summary))

    assert run.exit_code == 0, run.stderr
    assert overrides(world)["ADMIN_TASK_APPROVED_BY"] == "dave,carol"
    assert tags(world)["admin-tasks:approved-by"] == "dave carol"
    assert run.result["approvedBy"] == ["dave", "carol"]
    assert "`dave`, `carol`" in summary.read_text() or "dave, carol" in summary.read_text()


def test_the_approval_request_says_how_many_people_must_approve(
        launch: Launcher, world: World, github_api: FakeGithub, two_required: None,
        tmp_path: Path) -> None:
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    run = launch(*SEED, "--check", **in_github(github_api), GITHUB_STEP_SUMMARY=str(summary),
                 GITHUB_OUTPUT=str(output))
    assert run.exit_code == 0, run.stderr
    assert ("| Approvals needed | **2 distinct people** other than who asked, one for each of "
            "`staging`, `staging-approval-2`") in summary.read_text()
    assert output.read_text().endswith("approvals=2\n")


@pytest.mark.parametrize(("status", "body", "delay", "reason"), [
    (404, '{"message": "Not Found"}', 0.0, "GitHub answered 404 Not Found"),
    (500, "oops", 0.0, "GitHub answered 500 Internal Server Error"),
    (200, "{not json", 0.0, "the answer is not JSON"),
    (200, "[]", 0.0, "GitHub's answer is not a workflow run"),
    (200, '{"actor": {"login": "alice"}, "triggering_actor": {"login": "alice"}}', 0.0,
     "GitHub's actor has no valid login, id and type"),
    (200, '{"actor": {"login": "alice", "id": true, "type": "User"}}', 0.0,
     "GitHub's actor has no valid login, id and type"),
    (200, "{}", 2.0, "timed out"),
], ids=["404", "500", "malformed JSON", "not a run", "no id", "boolean id", "slow"])
def test_a_run_that_cannot_be_read_starts_nothing_and_exits_1(
        launch: Launcher, world: World, github_api: FakeGithub,
        monkeypatch: pytest.MonkeyPatch, status: int, body: str, delay: float,
        reason: str) -> None:
    monkeypatch.setattr(api, "TIMEOUT_SECONDS", 0.3)
    github_api.run.status, github_api.run.body, github_api.run.delay = status, body.encode(), delay

    run = launch(*SEED, **in_github(github_api))

    assert (run.exit_code, run.result["outcome"]) == (1, "approvals-unreadable")
    assert "cannot read who started this run" in run.stderr and reason in run.stderr
    assert world.clients_made == [] and world.tasks() == []
    assert [r["path"] for r in github_api.requests] == ["/repos/acme/app/actions/runs/4242"]
