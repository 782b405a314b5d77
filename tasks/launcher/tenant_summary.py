"""A tenant run's part of the job summary: one row per tenant its tasks ran (schema,
status, exit code, duration, the last lines of a failed tenant's log), the run's counts
from the ledger and the ``--resume`` argument that takes the rest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks.launcher.markdown import code
from tasks.launcher.output import escape_controls


@dataclass(frozen=True)
class TenantReport:
    tenants: tuple[Mapping[str, Any], ...]
    counts: dict[str, int]
    resume: str | None
    last_lines: Mapping[str, Sequence[str]]
    task_arns: tuple[str, ...] = ()

    @classmethod
    def of(cls, results: Sequence[Mapping[str, Any] | None],
           last_lines: Mapping[str, Sequence[str]],
           task_arns: Sequence[str] = ()) -> TenantReport:
        """From the recorders' result lines: each names its own tenants, and the run's
        counts as it saw them when it ended (the most complete is the one that counts)."""
        found = [r for r in results if isinstance(r, Mapping)]
        tenants = tuple(t for r in found for t in r.get("tenants") or []
                        if isinstance(t, Mapping))
        counted: list[dict[str, int]] = [r["tenantCounts"] for r in found
                                         if isinstance(r.get("tenantCounts"), dict)]
        # The recorder that ended last saw the fewest tenants still running.
        counts: dict[str, int] = min(counted, key=lambda c: (c.get("running", 0),
                                                            c.get("pending", 0)), default={})
        resume = next((str(r["resume"]) for r in found if r.get("resume")), None)
        return cls(tenants=tenants, counts=dict(counts), resume=resume, last_lines=last_lines,
                   task_arns=tuple(task_arns))

    def counts_text(self) -> str:
        return ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items())) \
            or "no tenant ran"


def render_tenant_summary(report: TenantReport) -> str:
    lines = ["#### Tenants", "", f"Counts: {code(report.counts_text())}; resume the rest "
             f"with {code('--resume ' + report.resume) if report.resume else '-'}", "",
             "ECS tasks: " + (", ".join(code(arn) for arn in report.task_arns) or "-"), "",
             "| schema | status | exit code | duration | last lines |", "|---|---|---|---|---|"]
    for tenant in report.tenants:
        schema = str(tenant.get("schema", ""))
        last = "" if tenant.get("status") == "succeeded" else "<br>".join(
            code(escape_controls(line)[:300]) for line in report.last_lines.get(schema, []))
        lines.append(f"| {code(schema)} | {code(str(tenant.get('status')))} | "
                     f"{code(str(tenant.get('exitCode')))} | {tenant.get('seconds', '-')} s | "
                     f"{last or '-'} |")
    if not report.tenants:
        lines.append("| - | no tenant ran in these tasks | - | - | - |")
    return "\n".join(lines) + "\n\n"


def append_tenant_summary(path: str, report: TenantReport) -> None:
    with Path(path).open("a", encoding="utf-8", errors="backslashreplace") as summary:
        summary.write(render_tenant_summary(report))
