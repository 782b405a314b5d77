"""The Pulumi program: one `AdminTasks` component from this stack's config.

`infra/__main__.py` only calls :func:`main`; tests call :func:`declare` under mocks. A
team with its own Pulumi program instantiates the component there instead
(docs/DEPLOYING.md).
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from infra.admin_tasks import AdminTasks, AdminTasksArgs
from infra.config import ConfigError
from infra.naming import PROJECT


def read_raw_config() -> dict[str, Any]:
    """Every `namespace:key` of the stack, as the runtime hands them over (strings).

    The Pulumi SDK has no public "all keys" call; the map lets typos be reported
    instead of silently falling back to a default.
    """
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def declare() -> dict[str, Any]:
    """The stack's resources; returns its outputs (a config error is a RunError: Pulumi
    prints the message alone, with no traceback and no resources)."""
    try:
        args = AdminTasksArgs.from_config(read_raw_config())
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    return AdminTasks(PROJECT, args).outputs


def main() -> None:
    for name, value in declare().items():
        pulumi.export(name, value)
