"""The approval request the check job puts on the run page before a reviewer approves:
every value exactly as it will be passed, shown literally, linking nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tasks.launcher.markdown import code
from tests.launcher.conftest import Launcher, World

HOSTILE_REASON = ("**approve** <script>alert(1)</script> <img src=x onerror=alert(1)> "
                  "cc @octocat and @acme/admins see https://evil.example/x www.evil.example "
                  "[click](http://evil.example) `rm -rf` | a | b || שלום עולם\u00a0end")


def outside_code_spans(markdown: str) -> str:
    """The text GitHub would render as Markdown: code spans (any fence length) removed."""
    out, position = [], 0
    for opening in re.finditer(r"(?<!`)(`+)(?!`)", markdown):
        if opening.start() < position:
            continue
        fence = opening.group(1)
        closing = re.compile(rf"(?<!`){fence}(?!`)").search(markdown, opening.end())
        if closing is None:
            continue
        out.append(markdown[position:opening.start()])
        position = closing.end()
    out.append(markdown[position:])
    return "".join(out)


def check(launch: Launcher, tmp_path: Path, *argv: str) -> tuple[str, str, dict[str, object]]:
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    run = launch("run", *argv, "--check", GITHUB_STEP_SUMMARY=str(summary),
                 GITHUB_OUTPUT=str(output))
    assert run.exit_code == 0, run.stderr
    return summary.read_text(encoding="utf-8"), output.read_text(encoding="utf-8"), run.result


def test_the_request_shows_every_value_literally_and_hands_on_its_digest(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    text, output, result = check(launch, tmp_path, "seed-admin", "--environment", "staging",
                                 "--param", "email=attacker@evil.example",
                                 "--reason", HOSTILE_REASON)

    assert text.startswith("### Approval request: `seed-admin` on `staging`\n")
    assert "| Task | `seed-admin`: `Make sure an active admin exists for an email (role schema).` |" \
        in text
    assert f"| Reason | {code(HOSTILE_REASON)} |" in text
    assert "| `email` | `attacker@evil.example` |" in text
    assert "| Requested by | `alice` |" in text and "| Run | `4242-1` |" in text
    assert "| Timeout | 10m 00s |" in text and "| Preview | no: this run writes |" in text
    assert "cannot hold a character that looks like another" in text
    assert "**Command**: `python -I -m tasks.container seed-admin`" in text
    rendered = outside_code_spans(text)
    for dangerous in ("@octocat", "@acme", "http", "www.", "<script", "<img", "[click]", "**approve"):
        assert dangerous not in rendered, dangerous
    assert "\u00a0" not in text and "\\u00a0end" in text  # a look-alike space is shown as such
    assert output == f"request={result['request']}\napprovals=1\n"
    assert world.clients_made == []


def test_every_table_row_keeps_its_columns(launch: Launcher, tmp_path: Path) -> None:
    text, _, _ = check(launch, tmp_path, "seed-admin", "--environment", "staging",
                       "--param", "email=a@example.com", "--reason", HOSTILE_REASON)
    for row in (line for line in text.splitlines() if line.startswith("|")):
        cells = re.split(r"(?<!\\)\|", row)[1:-1]
        assert len(cells) in (2, 3), row


def test_an_application_task_shows_the_exact_argv_of_every_step(
        launch: Launcher, tmp_path: Path) -> None:
    text, _, _ = check(launch, tmp_path, "send-invite", "--environment", "staging",
                       "--params=email=new.hire%40example.com&dry_run=--dry-run",
                       "--reason", "invite the new hire")

    assert "| `dry_run` | `--dry-run` | `one of --dry-run` |" in text
    assert ('| 1 | `["python", "manage.py", "send_invite", "--email=new.hire@example.com", '
            '"--dry-run"]` |') in text
    assert "a step that fails stops the steps after it" in text


def test_a_preview_is_shown_plainly_as_one(launch: Launcher, tmp_path: Path) -> None:
    text, _, _ = check(launch, tmp_path, "seed-admin", "--environment", "staging",
                       "--param", "email=a@example.com", "--reason", "try", "--preview")
    assert "| Preview | **yes: a preview.** It runs the same checks and statements" in text


def test_the_digest_changes_with_anything_the_reviewer_sees(
        launch: Launcher, tmp_path: Path) -> None:
    base = ("cleanup-activity-logs", "--environment", "staging", "--reason", "monthly")
    digests = {launch("run", *base, *extra, "--check").result["request"]
               for extra in (["--param=days=90"], ["--param=days=91"], ["--param=days=90",
                                                                         "--timeout=900"])}
    assert len(digests) == 3


@pytest.mark.parametrize("reason", ["line\nbreak", "\u202eevil", ""])
def test_an_invalid_request_writes_no_approval_request(
        launch: Launcher, tmp_path: Path, reason: str) -> None:
    summary = tmp_path / "summary.md"
    run = launch("run", "seed-admin", "--environment", "staging", "--param",
                 "email=a@example.com", "--reason", reason, "--check",
                 GITHUB_STEP_SUMMARY=str(summary))
    assert run.exit_code == 2 and not summary.exists()


@pytest.mark.parametrize(("text", "shown"), [
    ("routine\u3164\u3164 cleanup", "`routine\\u3164\\u3164 cleanup` (non-ASCII; as escapes: "
                                    "`routine\\u3164\\u3164 cleanup`)"),
    ("acm\u0435", "`acm\u0435` (non-ASCII; as escapes: `acm\\u0435`)"),
    ("acme\u00a0", "`acme\\u00a0` (non-ASCII; as escapes: `acme\\u00a0`)"),
    ("acme\\u00a0", "`acme\\u00a0`"),
    ("e\u0301", "`e\\u0301` (non-ASCII; as escapes: `e\\u0301`)"),
    ("Delete sessions&ZeroWidthSpace; for ops.lead@example.com", "`Delete sessions&ZeroWidthSpace; "
     "for ops.lead@example.com`"),
])
def test_what_a_reader_could_mistake_is_shown_as_escapes(text: str, shown: str) -> None:
    assert code(text) == shown


def test_an_escaped_value_never_looks_like_a_plain_one() -> None:
    """A real no-break space and the six characters `\\u00a0` render differently."""
    assert code("acme\u00a0") != code("acme\\u00a0")
    assert code("a\\b\u200b") == "`a\\\\b\\u200b` (non-ASCII; as escapes: `a\\\\b\\u200b`)"


@pytest.mark.parametrize("argv", [
    ("cleanup-activity-logs", "--param=days=90"),
    ("deactivate-tenant", "--param=schema=acme"),
    ("send-invite", "--params=email=new.hire%40example.com&dry_run=--dry-run"),
    ("seed-admin", "--param=email=ops@example.com"),
    ("migrate", "--preview"),
], ids=lambda argv: argv[0])
def test_only_what_the_operator_typed_can_be_shown_as_escapes(
        launch: Launcher, tmp_path: Path, argv: tuple[str, ...]) -> None:
    """The project's own text (descriptions, rules, headings) is plain ASCII, so an escaped
    form always points at a value someone typed."""
    text, _, _ = check(launch, tmp_path, *argv, "--environment", "staging", "--reason", "ok")
    assert text.isascii() and "as escapes" not in text
    if argv[0] == "cleanup-activity-logs":
        assert "| `days` | `90` | `whole number from 30 to 3650` |" in text


def _retarget(settings: dict[str, Any]) -> None:
    settings["tasks"]["clearsessions"]["taskDefinition"] = "admin-tasks-staging-migrate"


def _rename_variable(settings: dict[str, Any]) -> None:
    settings["tasks"]["clearsessions"]["container"] = "migrate"


def _open_network(settings: dict[str, Any]) -> None:
    settings["assignPublicIp"] = True


def _no_approval(settings: dict[str, Any]) -> None:
    settings["requireApproval"] = False


@pytest.mark.parametrize("drift", [_retarget, _rename_variable, _open_network, _no_approval])
def test_the_digest_binds_how_the_deployed_stack_would_start_the_task(
        launch: Launcher, world: World, drift: Any) -> None:
    """Drift between the stack file the reviewer's request came from and the deployed
    settings must change the digest, or the gated job would start something else."""
    argv = ("run", "clearsessions", "--environment", "staging", "--reason", "weekly", "--check")
    before = launch(*argv).result["request"]
    drift(world.settings)
    assert launch(*argv).result["request"] != before


@pytest.mark.parametrize("variable", ["GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"])
def test_a_request_that_cannot_be_written_fails_the_check(
        launch: Launcher, world: World, tmp_path: Path, variable: str) -> None:
    """A reviewer must never be asked to approve a request the run page does not show."""
    writable = {"GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
                "GITHUB_OUTPUT": str(tmp_path / "output")}
    unwritable = str(tmp_path / "missing-directory" / "file")

    run = launch("run", "seed-admin", "--environment", "staging", "--param",
                 "email=a@example.com", "--reason", "first admin", "--check",
                 **{**writable, variable: unwritable})

    assert (run.exit_code, run.result["outcome"]) == (1, "request-unpublished"), run.stderr
    assert run.stderr == (f"admin-tasks: could not write the approval request to {variable} "
                          f"({unwritable}): No such file or directory; a reviewer would not see "
                          "what they approve, so the check fails\n")
    assert world.clients_made == []
