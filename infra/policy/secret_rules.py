"""Guardrail 6: the admin secrets, and no secret value in the program or in GitHub."""

from __future__ import annotations

import re

from infra.policy.iam_rules import Props
from infra.policy.resource_rules import CREDENTIAL_IN_URL, SECRETISH_NAME

SECRET_NAME = re.compile(r"admin-tasks/[a-z][a-z0-9-]*/[a-z0-9-]+")


def secret_violations(resource_type: str, props: Props) -> list[str]:
    """Guardrail 6: secrets under admin-tasks/<env>/, recoverable, values outside Pulumi."""
    if resource_type == "aws:secretsmanager/secret:Secret":
        found = []
        if not SECRET_NAME.fullmatch(str(props.get("name", ""))):
            found.append(f"secret name {props.get('name')!r} must be admin-tasks/<env>/<name>")
        window = props.get("recoveryWindowInDays")
        if not isinstance(window, (int, float)) or not 7 <= window <= 30:
            found.append(f"recovery window must be set to 7-30 days (got {window!r})")
        return found
    if resource_type == "aws:secretsmanager/secretVersion:SecretVersion" and any(
            props.get(key) for key in ("secretString", "secretBinary", "secretStringWo")):
        return ["a secret value is declared in the program, so it enters Pulumi state; put it "
                "with `aws secretsmanager put-secret-value` instead"]
    variable = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
    if resource_type == variable and (
            SECRETISH_NAME.search(str(props.get("variableName", "")))
            or CREDENTIAL_IN_URL.search(str(props.get("value", "")))):
        return [f"variable {props.get('variableName')} looks like a secret: variables are "
                "plain text"]
    return []
