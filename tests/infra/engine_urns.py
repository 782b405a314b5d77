"""The URNs the Pulumi engine gives a program's resources, and the earlier URNs their
aliases name, derived from what the program registered (the mock monitor's own URNs
differ: they keep only the parent's last type and keep the root stack's type).

As the engine builds them (pulumi/pkg/resource/urn.go, `NewURN`; the step generator's
alias handling): a resource's qualified type is its parent's qualified type, `$`, its
own type, the root stack's type left out; an alias spec names an earlier name, type,
parent (or `noParent`); and a child inherits one alias for each alias of its parent,
the same child under the parent's earlier URN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class Registration:
    """One RegisterResource request, as the monitor received it."""

    type: str
    name: str
    parent: str
    aliases: tuple[Any, ...]


def _qualified(urn: str) -> str:
    return urn.split("::")[2]


def _is_root(parent: str) -> bool:
    return not parent or _qualified(parent) == ROOT_STACK_TYPE


def _make(stack_and_project: str, qualified: str, name: str) -> str:
    return f"{stack_and_project}::{qualified}::{name}"


class EngineUrns:
    """Engine URNs and alias URNs of every registration of one program run."""

    def __init__(self, registrations: dict[str, Registration]) -> None:
        self._registrations = registrations
        self._urns: dict[str, str] = {}

    def _prefix(self, mock_urn: str) -> str:
        return "::".join(mock_urn.split("::")[:2])

    def urn(self, mock_urn: str) -> str:
        if mock_urn not in self._urns:
            own = self._registrations[mock_urn]
            parent = own.parent
            qualified = own.type if _is_root(parent) else \
                f"{_qualified(self.urn(parent))}${own.type}"
            self._urns[mock_urn] = _make(self._prefix(mock_urn), qualified, own.name)
        return self._urns[mock_urn]

    def aliases(self, mock_urn: str) -> set[str]:
        own = self._registrations[mock_urn]
        prefix = self._prefix(mock_urn)
        found: set[str] = set()
        for alias in own.aliases:
            if alias.WhichOneof("alias") == "urn":
                found.add(alias.urn)
                continue
            spec = alias.spec
            type_, name = spec.type or own.type, spec.name or own.name
            if spec.noParent:
                found.add(_make(prefix, type_, name))
            elif spec.parentUrn:
                found.add(_make(prefix, f"{_qualified(spec.parentUrn)}${type_}", name))
        parent = own.parent
        if not _is_root(parent):
            found |= {_make(prefix, f"{_qualified(earlier)}${own.type}", own.name)
                      for earlier in self.aliases(parent)}
        return found
