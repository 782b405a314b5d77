"""The job summary: one Markdown block per run, appended to GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tasks.contract.settings import strict_json
from tasks.launcher.clock import duration
from tasks.launcher.markdown import code

#: The task package's result line is well under 4 KiB; a longer line is printed, not parsed.
MAX_RESULT_LINE = 64 * 1024


def result_line_from(text: str) -> dict[str, Any] | None:
    """The container's JSON result line (one object with a boolean ``ok``), or None for any
    other line, whatever it holds: only a bounded, strictly valid JSON object is parsed."""
    if len(text) > MAX_RESULT_LINE:
        return None
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        value = strict_json(stripped)
    except ValueError:
        return None
    return value if isinstance(value, dict) and isinstance(value.get("ok"), bool) else None


def console_url(region: str, cluster_arn: str, task_arn: str) -> str:
    cluster = cluster_arn.rsplit("/", 1)[-1]
    task_id = task_arn.rsplit("/", 1)[-1]
    return (f"https://{region}.console.aws.amazon.com/ecs/v2/clusters/{quote(cluster)}/tasks/"
            f"{quote(task_id)}/configuration?region={region}")


@dataclass(frozen=True)
class RunReport:
    """Everything the summary shows about one launched task."""

    task: str
    description: str
    environment: str
    actor: str
    reason: str
    run_id: str
    region: str
    cluster: str
    task_arn: str
    outcome: str
    final_status: str
    exit_code: int
    duration_seconds: float
    result: dict[str, Any] | None
    review: str
    """Who approved (logins and comment), or why nobody did (:func:`review_note`)."""
    preview: bool = False
    image: str = ""
    """The image reference of the task definition that ran."""


def render_summary(report: RunReport) -> str:
    task_id = report.task_arn.rsplit("/", 1)[-1]
    rows = [
        ("Task", f"{code(report.task)}: {code(report.description)}"),
        ("Environment", code(report.environment)),
        ("Requested by", code(report.actor)),
        ("Approved by", report.review),
        ("Reason", code(report.reason)),
        ("Run", code(report.run_id)),
        ("Image", code(report.image) if report.image else "-"),
        ("ECS task", f"[{code(task_id)}]({console_url(report.region, report.cluster, report.task_arn)})"
                     f" ({code(report.task_arn)})"),
        ("Final status", code(report.final_status)),
        ("Exit code", code(str(report.exit_code))),
        ("Duration", duration(report.duration_seconds)),
    ]
    kind = "Preview of admin task" if report.preview else "Admin task"
    lines = [f"### {kind} {code(report.task)} on {code(report.environment)}: "
             f"{report.outcome}", ""]
    if report.preview:
        lines += ["> **This was a preview: nothing was written.** The result line shows what "
                  "the real run would change and the exit code it would have.", ""]
    lines += ["| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in [*rows, *_failed_step(report.result)]]
    lines += ["", "**Result line**", ""]
    if report.result is None:
        lines.append("The task printed no JSON result line.")
    else:
        lines += ["| field | value |", "|---|---|"]
        lines += [f"| {code(key)} | {code(json.dumps(value, sort_keys=True))} |"
                  for key, value in report.result.items()]
    return "\n".join(lines) + "\n\n"


def _failed_step(result: dict[str, Any] | None) -> list[tuple[str, str]]:
    """An application task's failing step, as its recorder named it: index and argv."""
    step = (result or {}).get("failedStep")
    if not isinstance(step, dict) or not isinstance(step.get("argv"), list):
        return []
    argv = " ".join(shlex.quote(str(part)) for part in step["argv"])
    return [("Failed step", f"{code(str(step.get('index')))} of {code(str(step.get('total')))}: "
             f"{code(argv)}")]


def review_note(approved_by: tuple[str, ...] | None, comment: str | None,
                in_github: bool) -> str:
    """The summary's "Approved by" cell: the approvers, or why nobody reviewed the run."""
    if approved_by:
        approvers = ", ".join(code(login) for login in approved_by)
        return approvers + (f" ({code(comment)})" if comment else "")
    return review_words(approved_by, in_github)


def review_words(approved_by: tuple[str, ...] | None, in_github: bool) -> str:
    """Who approved, as plain words for the operator's status line."""
    if approved_by:
        return "approved by " + ", ".join(approved_by)
    return ("not reviewed (approval is not required in this environment)" if in_github
            else "not reviewed (run from a terminal)")


def append_summary(path: str, report: RunReport) -> None:
    # A container's line may hold lone surrogates: written escaped, never an error.
    with Path(path).open("a", encoding="utf-8", errors="backslashreplace") as summary:
        summary.write(render_summary(report))
