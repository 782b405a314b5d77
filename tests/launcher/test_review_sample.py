"""The approval request shown in docs/RUNNING.md ("Reviewing a request") is the one the
check job renders today, from the prod stack file, byte for byte.

When the renderer, the catalog or Pulumi.prod.yaml changes, rewrite the sample with
``ADMIN_TASKS_WRITE_SAMPLES=1`` set for this test, then read the diff: the section's
explanations may need the same change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from infra.render_settings import render
from tasks import cli
from tests.conftest import PROJECT_ROOT

DOCUMENT = PROJECT_ROOT / "docs" / "RUNNING.md"
BEGIN = "<!-- approval request sample: tests/launcher/test_review_sample.py writes it -->\n"
END = "<!-- end of the approval request sample -->\n"
#: A monthly clean-up in prod, its reason pasted from a ticket (with an en dash).
REQUEST = ["run", "cleanup-activity-logs", "--environment=prod", "--param=days=90",
           "--reason=monthly retention \u2013 ticket OPS-1234", "--check"]
RUNNER = {"GITHUB_ACTOR": "carol-sre", "GITHUB_RUN_ID": "9876543210", "GITHUB_RUN_ATTEMPT": "1",
          "GITHUB_REPOSITORY": "acme-corp/billing-platform"}


def rendered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """What the check job writes to the run page for REQUEST, as a Markdown quote."""
    summary = tmp_path / "summary.md"
    settings = render("prod", by_environment=True, root=PROJECT_ROOT)
    code = cli.main(REQUEST, {**RUNNER, "ADMIN_TASKS_SETTINGS": json.dumps(settings),
                              "GITHUB_STEP_SUMMARY": str(summary)})
    assert code == 0, capsys.readouterr().err
    lines = summary.read_text(encoding="utf-8").rstrip("\n").split("\n")
    return "".join(f"> {line}\n" if line else ">\n" for line in lines)


def test_the_documented_approval_request_is_what_the_check_job_renders(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = DOCUMENT.read_text(encoding="utf-8")
    before, begin, rest = text.partition(BEGIN)
    documented, end, after = rest.partition(END)
    assert begin and end, f"{DOCUMENT.name} lost the sample's markers ({BEGIN.strip()})"
    sample = rendered(tmp_path, capsys)
    if os.environ.get("ADMIN_TASKS_WRITE_SAMPLES") == "1":
        DOCUMENT.write_text(before + BEGIN + sample + END + after, encoding="utf-8")
        documented = sample
    assert documented == sample, (
        f"the approval request in {DOCUMENT.name} is not what the check job renders: run this "
        "test with ADMIN_TASKS_WRITE_SAMPLES=1 to rewrite it, then check the text around it")


def test_the_escapes_the_section_explains_are_in_its_sample() -> None:
    """The explanation next to the sample quotes its escaped value: they change together."""
    text = DOCUMENT.read_text(encoding="utf-8")
    sample = text.partition(BEGIN)[2].partition(END)[0]
    explained = text.partition(END)[2].partition("\n## ")[0]
    escaped = "`monthly retention \\u2013 ticket OPS-1234`"
    assert f"(non-ASCII; as escapes: {escaped})" in sample
    assert escaped in explained and "U+2013" in explained
