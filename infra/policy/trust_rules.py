"""Guardrail 1: who may assume the environment's GitHub role, and GitHub's OIDC provider."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from infra.policy.iam_rules import (
    OIDC_HOST,
    Props,
    actions_of,
    as_list,
    conditions,
    document,
    generic_violations,
    is_github_role,
    is_web_identity,
    principal_text,
    statements,
)

_OWNER, _REPOSITORY = r"(?P<owner>[A-Za-z0-9-]+)", r"(?P<repository>[A-Za-z0-9._-]+)"
_ENVIRONMENT = r"environment:(?P<environment>[a-z0-9-]+)"
LEGACY_SUBJECT = re.compile(rf"repo:{_OWNER}/{_REPOSITORY}:{_ENVIRONMENT}")
IMMUTABLE_SUBJECT = re.compile(
    rf"repo:{_OWNER}@[0-9]+/{_REPOSITORY}@(?P<repository_id>[0-9]+):{_ENVIRONMENT}")
# Kept here rather than imported from infra/naming.py, so that the pack checks the program
# against its own expectation: a rename in the program must be made here too, on purpose.
ADMIN_JOB_WORKFLOW_REF = re.compile(
    rf"{_OWNER}/{_REPOSITORY}/\.github/workflows/admin-task\.yml@refs/heads/main")
ECS_TASKS = "ecs-tasks.amazonaws.com"
SOURCE_ACCOUNT = "aws:SourceAccount"
ACCOUNT_ID = re.compile(r"\d{12}")
AUDIENCE, SUBJECT, WORKFLOW, REPOSITORY = (
    f"{OIDC_HOST}:{claim}" for claim in ("aud", "sub", "job_workflow_ref", "repository_id"))


def trust_violations(resource_type: str, props: Props) -> list[str]:
    """Guardrail 1: the GitHub role trusts exactly the admin workflow on main of one
    repository, running in that repository's environment; every other role trusts ECS
    tasks only."""
    if resource_type == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
        found = []
        if props.get("url") != f"https://{OIDC_HOST}":
            found.append(f"OIDC provider url is {props.get('url')!r}, not GitHub's")
        if as_list(props.get("clientIdLists")) != ["sts.amazonaws.com"]:
            found.append("OIDC provider audiences must be exactly ['sts.amazonaws.com']")
        return found
    if resource_type != "aws:iam/role:Role":
        return []
    policy = document(props.get("assumeRolePolicy") or "{}")
    if not is_github_role(props):
        return _task_role_trust(str(props.get("name") or "(unnamed)"), policy)
    found = generic_violations(policy)
    duration = props.get("maxSessionDuration") or 3600
    if duration > 3600:
        found.append(f"maxSessionDuration is {duration}s; at most 3600 for admin launches")
    # Deny statements only narrow; anything that allows must be the one statement below.
    allows = [s for s in statements(policy) if s.get("Effect") != "Deny"]
    if len(allows) != 1:
        found.append(f"the trust policy has {len(allows)} Allow statements; it must have "
                     "exactly one, the GitHub environment's web-identity statement")
    for index, statement in enumerate(allows):
        if is_web_identity(statement):
            found += _web_identity_statement(statement)
        else:
            found.append(f"statement {statement.get('Sid', index)} lets "
                         f"{principal_text(statement.get('Principal'))} assume the GitHub "
                         "role; only the GitHub environment's web identity may")
    return found


def _task_role_trust(role: str, policy: Mapping[str, Any]) -> list[str]:
    """Every other role of the stack is an execution or task role: ECS tasks of this account
    assume it, nobody else (an account root would let any principal of that account with
    sts:AssumeRole in, and with it whatever the role may launch or read)."""
    found = []
    for index, statement in enumerate(statements(policy)):
        if statement.get("Effect") == "Deny":
            continue
        principal = statement.get("Principal")  # absent under NotPrincipal: refused below
        # Compared field by field: the policy engine hands over read-only proxies, not dicts.
        ecs_only = isinstance(principal, Mapping) and list(principal) == ["Service"] and [
            str(service) for service in as_list(principal["Service"])] == [ECS_TASKS]
        if not ecs_only:
            found.append(f"statement {statement.get('Sid', index)} of role {role} lets "
                         f"{principal_text(principal)} assume it; a role of this stack trusts "
                         "only GitHub's OIDC provider (the environment's GitHub role) or "
                         f"{ECS_TASKS} (the execution and task roles)")
        elif _account(statement) is None:
            found.append(f"statement {statement.get('Sid', index)} of role {role} lets ECS "
                         "tasks of any account assume it (confused deputy); add Condition "
                         f"StringEquals {SOURCE_ACCOUNT} = this stack's account id")
    return found


def _account(statement: Mapping[str, Any]) -> str | None:
    accounts = conditions(statement, "StringEquals", SOURCE_ACCOUNT)
    return accounts[0] if len(accounts) == 1 and ACCOUNT_ID.fullmatch(accounts[0]) else None


def source_account(props: Props) -> str | None:
    """The one account whose ECS tasks a role's trust policy lets in (aws:SourceAccount of
    every Allow statement), or None when it names none, several or a malformed one."""
    allows = [s for s in statements(document(props.get("assumeRolePolicy") or "{}"))
              if s.get("Effect") != "Deny"]
    accounts = {_account(statement) for statement in allows}
    return accounts.pop() if len(accounts) == 1 else None


def _web_identity_statement(statement: Mapping[str, Any]) -> list[str]:
    found = []
    raw = statement.get("Principal")
    principal = raw if isinstance(raw, Mapping) else {"*": raw}  # "Principal": "*"
    if set(principal) != {"Federated"}:
        found.append(f"principal must be the GitHub OIDC provider alone (got "
                     f"{principal_text(raw)})")
    federated = str(principal.get("Federated", ""))
    if not federated.endswith(f":oidc-provider/{OIDC_HOST}"):
        found.append(f"Federated principal {federated!r} is not the GitHub OIDC provider")
    if len(as_list(statement.get("Action"))) != 1 or \
            actions_of(statement) != {"sts:AssumeRoleWithWebIdentity"}:
        found.append("a web-identity statement may allow only sts:AssumeRoleWithWebIdentity")
    operators = set(statement.get("Condition") or {})
    if operators != {"StringEquals"}:
        found.append(f"conditions must be StringEquals only (got {sorted(operators)})")
    return found + _claim_violations(statement)


def _claim_violations(statement: Mapping[str, Any]) -> list[str]:
    """aud, both subjects of one environment, and the admin workflow on main of that very
    repository, by id: the subject alone names an environment any workflow may declare."""
    keys = {str(key) for key in (statement.get("Condition") or {}).get("StringEquals") or {}}
    found = [f"condition key {key} is not one of the four the role is pinned by "
             f"({AUDIENCE}, {SUBJECT}, {WORKFLOW}, {REPOSITORY})"
             for key in sorted(keys - {AUDIENCE, SUBJECT, WORKFLOW, REPOSITORY})]
    if conditions(statement, "StringEquals", AUDIENCE) != ["sts.amazonaws.com"]:
        found.append(f"{AUDIENCE} must equal sts.amazonaws.com")
    subjects = conditions(statement, "StringEquals", SUBJECT)
    legacy = [m for s in subjects if (m := LEGACY_SUBJECT.fullmatch(s))]
    immutable = [m for s in subjects if (m := IMMUTABLE_SUBJECT.fullmatch(s))]
    same = len(legacy) == len(immutable) == 1 and all(
        legacy[0][part] == immutable[0][part] for part in ("owner", "repository", "environment"))
    if len(subjects) != 2 or not same:
        found.append(f"subjects must be exactly the legacy and the immutable form of one "
                     f"repository's environment (got {subjects})")
    refs = conditions(statement, "StringEquals", WORKFLOW)
    ref = ADMIN_JOB_WORKFLOW_REF.fullmatch(refs[0]) if len(refs) == 1 else None
    if ref is None or not legacy or (ref["owner"], ref["repository"]) != (
            legacy[0]["owner"], legacy[0]["repository"]):
        found.append(f"{WORKFLOW} must be exactly OWNER/REPO/.github/workflows/admin-task.yml"
                     f"@refs/heads/main of the subjects' repository (got {refs})")
    ids = conditions(statement, "StringEquals", REPOSITORY)
    # Equal to the immutable subject's id, so all digits (the subject pattern allows no other).
    if len(ids) != 1 or not immutable or ids[0] != immutable[0]["repository_id"]:
        found.append(f"{REPOSITORY} must be exactly the immutable subject's repository id "
                     f"(got {ids})")
    return found
