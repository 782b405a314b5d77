"""Guardrails that need the whole stack: what is attached to the launcher role, and which
GitHub environments are production.

A resource policy sees one resource: it cannot tell which role a `RolePolicy` or a
`RolePolicyAttachment` belongs to, nor whether a GitHub environment (which has no tags)
was declared production by stack config. These checks see every resource at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from infra.policy.iam_rules import (
    LAUNCHER_LIKE,
    Props,
    as_list,
    document,
    granted_among,
    is_github_role,
    role_name,
)
from infra.policy.permission_rules import ROLE_POLICY, launcher_document_violations
from infra.policy.resource_rules import (
    ENVIRONMENT_TAG,
    is_production,
    production_environment_violations,
    tagged_production,
)

# A resource as the stack-wide checks see it: (type, input properties, URN).
StackResource = tuple[str, Props, str]
Resources = Sequence[StackResource]
ROLE = "aws:iam/role:Role"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
REPOSITORY_ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"


class Finding(NamedTuple):
    """One stack-wide violation, with the URN of the resource that causes it (so the pack
    can report it against that resource, as a resource policy would)."""

    urn: str
    message: str


def launcher_role_violations(resources: Resources) -> list[Finding]:
    """Guardrail 3 (stack-wide): every policy on the environment's GitHub role, however it
    is attached, grants only the launcher's scoped actions; managed policies are refused."""
    launchers = _launcher_roles(resources)
    return [Finding(urn, problem) for resource_type, props, urn in resources
            for problem in _on_launcher_role(resource_type, props, launchers)]


def _launcher_roles(resources: Resources) -> set[str]:
    return {role_name(props.get("name")) for resource_type, props, _ in resources
            if resource_type == ROLE and is_github_role(props)}


def other_launcher_violations(resources: Resources) -> list[Finding]:
    """Guardrail 3 (stack-wide): no role but the environment's GitHub role may launch,
    stop or reach into tasks or pass a role (e.g. a role trusting an account root, given
    a well-scoped RunTask policy that the per-resource rule alone would accept).
    Attachments of managed policies are refused on every role by guardrail 4."""
    launchers = _launcher_roles(resources)
    found = []
    for resource_type, props, urn in resources:
        if resource_type == ROLE and role_name(props.get("name")) not in launchers:
            granted = [(str(props.get("name") or "(unnamed)"), inline.get("policy"))
                       for inline in as_list(props.get("inlinePolicies"))
                       if isinstance(inline, Mapping)]
        elif resource_type == ROLE_POLICY and role_name(props.get("role")) not in launchers:
            granted = [(str(props.get("role")), props.get("policy"))]
        else:
            continue
        for role, policy in granted:
            actions = granted_among(document(policy or "{}"), LAUNCHER_LIKE)
            if actions:
                found.append(Finding(urn, f"role {role} may {actions}: only the environment's "
                                     "GitHub role launches admin tasks"))
    return found


def _on_launcher_role(resource_type: str, props: Props, launchers: set[str]) -> list[str]:
    if resource_type == ROLE and role_name(props.get("name")) in launchers:
        return _role_own_policies(role_name(props.get("name")), props)
    if resource_type == ROLE_POLICY and role_name(props.get("role")) in launchers:
        where = f"inline policy {props.get('name') or '(unnamed)'} on {props.get('role')}"
        return [f"{where}: {problem}" for problem in
                launcher_document_violations(document(props.get("policy") or "{}"))]
    if resource_type == ROLE_POLICY_ATTACHMENT and role_name(props.get("role")) in launchers:
        return [_managed(props.get("role"), props.get("policyArn"))]
    if resource_type == POLICY_ATTACHMENT:
        return [_managed(role, props.get("policyArn"))
                for role in as_list(props.get("roles")) if role_name(role) in launchers]
    return []


def _role_own_policies(role: str, props: Props) -> list[str]:
    found = [_managed(role, arn) for arn in as_list(props.get("managedPolicyArns"))]
    for inline in as_list(props.get("inlinePolicies")):
        if isinstance(inline, Mapping) and inline.get("policy"):
            where = f"inline policy {inline.get('name') or '(unnamed)'} of {role}"
            found += [f"{where}: {problem}"
                      for problem in launcher_document_violations(document(inline["policy"]))]
    return found


def _managed(role: object, arn: object) -> str:
    return (f"managed policy {arn} is attached to the launcher role {role}; it may have only "
            "the stack's least-privilege inline launcher policy")


def production_github_violations(resources: Resources, minimum_reviewers: int,
                                 ) -> list[Finding]:
    """Guardrail 2 (stack-wide): a GitHub environment whose AWS resources are tagged
    production gets the production rules, whatever its name. (Names starting with `prod`
    are already checked per resource by `reviewed-github-environment`.)"""
    production = {str(_tags(props).get(ENVIRONMENT_TAG)) for _, props, _ in resources
                  if tagged_production(props) and ENVIRONMENT_TAG in _tags(props)}
    return [Finding(urn, problem) for resource_type, props, urn in resources
            if resource_type == REPOSITORY_ENVIRONMENT
            and str(props.get("environment")) in production
            and not is_production(str(props.get("environment")))
            for problem in production_environment_violations(props, minimum_reviewers)]


def _tags(props: Props) -> Mapping[str, Any]:
    tags = props.get("tags")
    return tags if isinstance(tags, Mapping) else {}
