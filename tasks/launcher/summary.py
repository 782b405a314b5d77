"""The job summary: one Markdown block per run, appended to GITHUB_STEP_SUMMARY."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tasks.launcher.clock import duration
from tasks.settings import strict_json

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


def _cell(text: str) -> str:
    """Table-safe text: no line breaks, pipes or Markdown/HTML an input could inject."""
    escaped = text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    for char in "*_[]<>#!~":
        escaped = escaped.replace(char, "\\" + char)
    return " ".join(escaped.split())


def _code(text: str) -> str:
    # GitHub tables split on "|" even inside a code span unless it is escaped.
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def render_summary(report: RunReport) -> str:
    task_id = report.task_arn.rsplit("/", 1)[-1]
    rows = [
        ("Task", _code(report.task)),
        ("Environment", _code(report.environment)),
        ("Actor", _cell(report.actor)),
        ("Reason", _cell(report.reason)),
        ("Run", _code(report.run_id)),
        ("ECS task", f"[{_code(task_id)}]({console_url(report.region, report.cluster, report.task_arn)})"
                     f" ({_code(report.task_arn)})"),
        ("Final status", _cell(report.final_status)),
        ("Exit code", _code(str(report.exit_code))),
        ("Duration", duration(report.duration_seconds)),
    ]
    lines = [f"### Admin task {_code(report.task)} on {_code(report.environment)}: "
             f"{report.outcome}", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    lines += ["", "**Result line**", ""]
    if report.result is None:
        lines.append("The task printed no JSON result line.")
    else:
        lines += ["| field | value |", "|---|---|"]
        lines += [f"| {_cell(key)} | {_code(json.dumps(value, sort_keys=True))} |"
                  for key, value in report.result.items()]
    return "\n".join(lines) + "\n\n"


def append_summary(path: str, report: RunReport) -> None:
    # A container's line may hold lone surrogates: written escaped, never an error.
    with Path(path).open("a", encoding="utf-8", errors="backslashreplace") as summary:
        summary.write(render_summary(report))
