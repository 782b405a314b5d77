"""Who approved a GitHub run, read before any AWS call, refused when nobody else did.

GitHub's approvals endpoint is a fake on 127.0.0.1 (GITHUB_API_URL); ECS is moto. For
each answer: the exit code, whether RunTask was called, and the container overrides.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tasks.launcher import github_api as api
from tests.launcher.conftest import Launcher, World, in_github
from tests.launcher.fake_github import FakeGithub, review, serve
from tests.launcher.test_run import SEED


def overrides(world: World) -> dict[str, str]:
    (container,) = world.task().overrides["containerOverrides"]
    return {item["name"]: item["value"] for item in container["environment"]}


def tags(world: World) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in world.task().tags}


def run_approved(launch: Launcher, world: World, github_api: FakeGithub,
                 **environ: str) -> Any:
    launch.clock.at(1, lambda: world.stop(exit_code=0))
    return launch(*SEED, **in_github(github_api), **environ)


def test_approved_by_another_person_runs_and_carries_the_approver(
        launch: Launcher, world: World, github_api: FakeGithub, tmp_path: Path) -> None:
    github_api.approvals(review("bob-dba", "staging", comment="checked with alice"),
                         review("carol", "prod", comment="not this environment"),
                         review("dave", "staging", state="rejected"))
    summary = tmp_path / "summary.md"

    run = run_approved(launch, world, github_api, GITHUB_STEP_SUMMARY=str(summary))

    assert run.exit_code == 0, run.stderr
    assert overrides(world)["ADMIN_TASK_APPROVED_BY"] == "bob-dba"
    assert overrides(world)["ADMIN_TASK_APPROVAL_COMMENT"] == "checked with alice"
    assert tags(world)["admin-tasks:approved-by"] == "bob-dba"
    assert run.result["approvedBy"] == ["bob-dba"]
    assert run.operator_lines[0].endswith("(actor alice, run 4242-1, approved by bob-dba)")
    assert "| Approved by | `bob-dba` (`checked with alice`) |" in summary.read_text()
    assert [r["path"] for r in github_api.requests] == [
        "/repos/acme/app/actions/runs/4242", "/repos/acme/app/actions/runs/4242/approvals"]
    assert {r["headers"]["Authorization"] for r in github_api.requests} == {
        "Bearer ghs_test_token"}


NEEDS_ONE = ("this run needs 1 distinct approver(s) for staging besides who asked (alice), "
             "and has none{ignored}; nothing was started. Start a new run and ask required "
             "reviewers of the environment to approve it")


@pytest.mark.parametrize(("reviews", "message"), [
    ([review("alice", "staging")],
     NEEDS_ONE.format(ignored="; not counted: alice (who asked, or not a person)")),
    ([], NEEDS_ONE.format(ignored="")),
    ([review("bob", "prod")], NEEDS_ONE.format(ignored="")),
], ids=["only the actor", "no approval", "another environment only"])
def test_a_run_nobody_else_approved_is_refused_before_any_aws_call(
        launch: Launcher, world: World, github_api: FakeGithub,
        reviews: list[dict[str, Any]], message: str) -> None:
    github_api.approvals(*reviews)

    run = launch(*SEED, **in_github(github_api))

    assert (run.exit_code, run.stderr) == (3, f"admin-tasks: {message}\n")
    assert run.result["outcome"] == "refused"
    assert world.clients_made == [] and world.tasks() == []


def test_self_approval_is_refused_whatever_the_case_of_the_login(
        launch: Launcher, world: World, github_api: FakeGithub) -> None:
    github_api.approvals(review("Alice", "staging"))
    run = launch(*SEED, **in_github(github_api))
    assert run.exit_code == 3 and world.tasks() == []


@pytest.mark.parametrize(("status", "body", "reason"), [
    (401, '{"message": "Bad credentials"}', "GitHub answered 401 Unauthorized"),
    (403, '{"message": "Resource not accessible by integration"}',
     "GitHub answered 403 Forbidden"),
    (500, "oops", "GitHub answered 500 Internal Server Error"),
    (200, "{not json", "the answer is not JSON"),
    (200, '{"approvals": []}', "GitHub's answer is not a list of reviews"),
    (200, '[{"state": "approved", "environments": [{"name": "staging"}], "user": {}}]',
     "GitHub's review's user has no valid login, id and type"),
], ids=["401", "403", "500", "malformed JSON", "not a list", "no login"])
def test_unreadable_approvals_start_nothing_and_exit_1(
        launch: Launcher, world: World, github_api: FakeGithub,
        status: int, body: str, reason: str) -> None:
    github_api.answer(status, body)

    run = launch(*SEED, **in_github(github_api))

    assert run.exit_code == 1 and run.result["outcome"] == "approvals-unreadable"
    assert reason in run.stderr and "nothing was started" in run.stderr
    assert world.clients_made == [] and world.tasks() == []


def test_a_slow_answer_is_given_up_on_after_a_bounded_time(
        launch: Launcher, world: World, github_api: FakeGithub,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "TIMEOUT_SECONDS", 0.3)
    github_api.delay = 2.0

    run = launch(*SEED, **in_github(github_api))

    assert run.exit_code == 1 and "timed out" in run.stderr
    assert world.tasks() == []


def test_without_a_token_nothing_is_asked_and_nothing_started(
        launch: Launcher, world: World, github_api: FakeGithub) -> None:
    run = launch(*SEED, **{**in_github(github_api), "GITHUB_TOKEN": ""})
    assert run.exit_code == 1 and "GITHUB_TOKEN not set" in run.stderr
    assert github_api.requests == [] and world.tasks() == []


def test_where_approval_is_not_required_an_unreviewed_run_says_so(
        launch: Launcher, world: World, github_api: FakeGithub, tmp_path: Path) -> None:
    world.settings["requireApproval"] = False
    github_api.approvals()
    summary = tmp_path / "summary.md"

    run = run_approved(launch, world, github_api, GITHUB_STEP_SUMMARY=str(summary))

    assert run.exit_code == 0
    assert "ADMIN_TASK_APPROVED_BY" not in overrides(world)
    assert tags(world)["admin-tasks:approved-by"] == "not-reviewed"
    assert run.result["approvedBy"] is None
    assert "| Approved by | not reviewed (approval is not required in this environment) |" in \
        summary.read_text()


def test_a_run_from_a_terminal_reads_no_approvals_and_says_it_was_not_reviewed(
        launch: Launcher, world: World, github_api: FakeGithub, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    launch.clock.at(1, lambda: world.stop(exit_code=0))

    run = launch(*SEED, GITHUB_STEP_SUMMARY=str(summary))

    assert run.exit_code == 0 and github_api.requests == []
    assert run.result["approvedBy"] is None
    assert "| Approved by | not reviewed (run from a terminal) |" in summary.read_text()


def test_a_long_multi_line_comment_reaches_the_container_as_one_bounded_line(
        launch: Launcher, world: World, github_api: FakeGithub) -> None:
    github_api.approvals(review("bob", "staging", comment="line one\n\tline two\u202e" + "x" * 600))

    run = run_approved(launch, world, github_api)

    comment = overrides(world)["ADMIN_TASK_APPROVAL_COMMENT"]
    assert run.exit_code == 0
    assert comment.startswith("line one line two ") and len(comment) == 500
    assert comment.isprintable()


def test_an_answer_dripped_a_byte_at_a_time_is_given_up_on_in_bounded_time(
        launch: Launcher, world: World, github_api: FakeGithub,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The socket timeout bounds each read; the launcher bounds the whole answer."""
    monkeypatch.setattr(api, "TIMEOUT_SECONDS", 0.5)
    github_api.drip_seconds = 0.2

    started = time.monotonic()
    run = launch(*SEED, **in_github(github_api))

    assert run.exit_code == 1 and "within 0.5 s (timed out)" in run.stderr
    assert time.monotonic() - started < 3 and world.tasks() == []


def test_a_redirect_is_not_followed_so_the_token_stays_with_github(
        launch: Launcher, world: World, github_api: FakeGithub) -> None:
    for elsewhere in serve():
        github_api.redirect_to = f"{elsewhere.url}/steal"

        run = launch(*SEED, **in_github(github_api))

        assert run.exit_code == 1 and "GitHub answered 302" in run.stderr
        assert elsewhere.requests == [] and world.tasks() == []


def test_a_broken_http_answer_is_unreadable_approvals_not_a_launcher_error(
        launch: Launcher, world: World, github_api: FakeGithub) -> None:
    github_api.raw = b"NOT HTTP AT ALL\r\n\r\n"

    run = launch(*SEED, **in_github(github_api))

    assert run.exit_code == 1 and run.result["outcome"] == "approvals-unreadable"
    assert world.tasks() == []


def test_an_enterprise_managed_user_can_approve(
        launch: Launcher, world: World, github_api: FakeGithub) -> None:
    github_api.approvals(review("bob_acme", "staging"))
    run = run_approved(launch, world, github_api)
    assert run.exit_code == 0 and overrides(world)["ADMIN_TASK_APPROVED_BY"] == "bob_acme"


@pytest.mark.parametrize(("variable", "value", "reason"), [
    ("GITHUB_API_URL", "api.github.com", "is not an https:// URL of GitHub's API"),
    ("GITHUB_API_URL", "not a url", "is not an https:// URL of GitHub's API"),
    ("GITHUB_API_URL", "http://[::1", "is not a URL"),
    ("GITHUB_API_URL", "https://api.github.com:port", "is not a URL"),
    ("GITHUB_API_URL", "file:///tmp/approvals", "is not an https:// URL of GitHub's API"),
    ("GITHUB_API_URL", "http://api.github.com", "is not an https:// URL of GitHub's API"),
    ("GITHUB_API_URL", "https://api.github.com/?x=1", "is not an https:// URL of GitHub's API"),
    ("GITHUB_API_URL", "http://evil.example@127.0.0.1/", "it holds a user name or password"),
    ("GITHUB_REPOSITORY", "acme/app/../../orgs/acme", "GITHUB_REPOSITORY is not owner/name"),
    ("GITHUB_REPOSITORY", "../..", "GITHUB_REPOSITORY is not owner/name"),
    ("GITHUB_REPOSITORY", "acme/..", "GITHUB_REPOSITORY is not owner/name"),
], ids=["no scheme", "words", "bad host", "bad port", "file", "plain http elsewhere", "query",
        "user info", "repository path", "dot dot", "dot dot name"])
def test_runner_variables_that_would_send_the_token_elsewhere_start_nothing(
        launch: Launcher, world: World, github_api: FakeGithub,
        variable: str, value: str, reason: str) -> None:
    github_api.approvals(review("bob", "staging"))

    run = launch(*SEED, **{**in_github(github_api), variable: value})

    assert run.exit_code == 1 and run.result["outcome"] == "approvals-unreadable"
    assert reason in run.stderr and "Traceback" not in run.stderr
    assert github_api.requests == [] and world.tasks() == []
