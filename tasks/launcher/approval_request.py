"""The approval request: what a reviewer sees on the run page before approving.

GitHub does not show ``workflow_dispatch`` inputs on the run page, so the check job
(``run --check``) writes them there itself, each value exactly as it will be passed, and
hands the approved job a digest of it (``request`` output, :mod:`tasks.launcher.approved`):
that job recomputes the digest from the deployed launch settings and starts nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from tasks.contract.settings import approval_environments
from tasks.launcher.clock import duration
from tasks.launcher.inputs import CheckedInputs
from tasks.launcher.markdown import code
from tasks.launcher.results import RequestUnpublished


def approvals_row(required: int, environments: tuple[str, ...]) -> str:
    """What the reviewers must do between them."""
    if required == 1:
        return f"1 person other than who asked, for {code(environments[0])}"
    return (f"**{required} distinct people** other than who asked, one for each of "
            f"{', '.join(code(env) for env in environments)} (one person approving two counts once)")


def render_approval_request(inputs: CheckedInputs, required_approvals: int = 1) -> str:
    contract, context = inputs.contract, inputs.context
    preview = ("**yes: a preview.** It runs the same checks and statements, reports what "
               "would change, and writes nothing" if inputs.preview else "no: this run writes")
    rows = [("Task", f"{code(inputs.task_name)}: {code(contract.description)}"),
            ("Environment", code(inputs.environment)),
            ("Requested by", code(context.actor)),
            ("Approvals needed", approvals_row(required_approvals, approval_environments(
                inputs.environment, required_approvals))),
            ("Reason", code(context.reason)),
            ("Run", code(context.run_id)),
            ("Image", _image(inputs)),
            ("Timeout", duration(inputs.timeout_seconds)),
            ("Preview", preview)]
    lines = [f"### Approval request: {code(inputs.task_name)} on {code(inputs.environment)}",
             "", "Approve only if every value below is what should run: it is exactly what "
             "the approved job will pass.", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    lines += ["", *_parameters(inputs), "", *_steps(inputs), "", *_tenants(inputs),
              f"Request digest: {code(inputs.digest())}. The approved job recomputes it from "
              "the deployed stack and refuses to start anything that differs."]
    return "\n".join(lines) + "\n\n"


def _image(inputs: CheckedInputs) -> str:
    """The image the task definition must run (the launcher refuses any other)."""
    reference = inputs.contract.image_ref
    if not reference:
        return "this repository's image, as the stack deployed it"
    pinned = "" if "@sha256:" in reference else " (a tag, not pinned by digest)"
    return f"{code(reference)}{pinned}"


def _parameters(inputs: CheckedInputs) -> list[str]:
    if not inputs.parameters:
        return ["**Parameters**: none."]
    rules = {parameter.name: parameter for parameter in inputs.contract.parameters}
    lines = ["**Parameters** (each value exactly as it will be passed)", "",
             "| parameter | value | rule |", "|---|---|---|"]
    lines += [f"| {code(given.name)} | {code(given.value)} | {code(rules[given.name].rule())} |"
              for given in inputs.parameters]
    if any(rules[given.name].type == "email" for given in inputs.parameters):
        lines += ["", "An email address is ASCII only after validation: it cannot hold a "
                  "character that looks like another (such as a Cyrillic letter for a Latin one)."]
    return lines


def _steps(inputs: CheckedInputs) -> list[str]:
    argv = inputs.argv()
    if inputs.contract.image == "tasks":
        return [f"**Command**: {code(' '.join(argv[0]))} in this repository's image; it reads "
                "the parameters above from its environment."]
    lines = ["**What will run** in the application's image: each step's argv (a JSON list, "
             "values in place), in order; a step that fails stops the steps after it.", "",
             "| step | argv |", "|---|---|"]
    lines += [f"| {number} | {code(json.dumps(step, ensure_ascii=False))} |"
              for number, step in enumerate(argv, start=1)]
    return lines


def _tenants(inputs: CheckedInputs) -> list[str]:
    """A tenant run: what runs for each tenant and how the run goes over them."""
    controls = inputs.tenant_controls
    if controls is None:
        return []
    which = (f"the tenants of run {code(controls.resume)} that did not succeed, nothing else"
             if controls.resume else ", ".join(code(t) for t in controls.tenants)
             if controls.tenants else "every tenant the stack's tenant table lists")
    rows = [("Tenants", which),
            ("Canary", f"the first {controls.canary} alone; the rest only if they all "
                       "succeed" if controls.canary else "none: every tenant may start at once"),
            ("After a failure", "stop: the tenants not started are skipped"
             if controls.on_failure == "stop" else "continue with the rest"),
            ("ECS tasks at once", code(str(controls.parallel)))]
    lines = ["**Then, for each tenant** (after the steps above succeeded), with "
             f"{code('{tenant}')} its schema name:", "", "| step | argv |", "|---|---|"]
    lines += [f"| {number} | {code(json.dumps(step, ensure_ascii=False))} |"
              for number, step in enumerate(inputs.tenant_argv(), start=1)]
    lines += ["", "| | |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows), ""]
    return lines


def publish_approval_request(inputs: CheckedInputs, environ: Mapping[str, str],
                             required_approvals: int = 1) -> None:
    """Append the request to the job summary; hand its digest to the approved job, and the
    number of approvals to the workflow (which gates one job per further approval)."""
    outputs = f"request={inputs.token()}\napprovals={required_approvals}\n"
    for variable, text in (("GITHUB_STEP_SUMMARY",
                            render_approval_request(inputs, required_approvals)),
                           ("GITHUB_OUTPUT", outputs)):
        path = environ.get(variable)
        if not path:
            continue
        try:
            with Path(path).open("a", encoding="utf-8", errors="backslashreplace") as file:
                file.write(text)
        except OSError as error:
            raise RequestUnpublished(
                f"could not write the approval request to {variable} ({path}): "
                f"{error.strerror or error}; a reviewer would not see what they approve, so "
                "the check fails") from None
