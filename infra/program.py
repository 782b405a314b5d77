"""The Pulumi program: read the stack config once, validate it, declare the stack.

`infra/__main__.py` only calls :func:`main`; tests call it too, under mocks.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from infra.config import ConfigError, StackConfig, parse_config
from infra.launch import launch_settings
from infra.stack import build_stack
from tasks.errors import InvalidInput


def read_raw_config() -> dict[str, Any]:
    """Every `namespace:key` of the stack, as the runtime hands them over (strings).

    The Pulumi SDK has no public "all keys" call; the map lets typos be reported
    instead of silently falling back to a default.
    """
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def load() -> tuple[StackConfig, dict[str, Any]]:
    """The validated config and launch settings, or a RunError naming the key and the fix."""
    try:
        config = parse_config(read_raw_config(), pulumi.get_stack())
        return config, launch_settings(config)
    except (ConfigError, InvalidInput) as error:
        # RunError: Pulumi prints the message alone, with no traceback and no resources.
        raise pulumi.RunError(str(error)) from None


def main() -> None:
    config, settings = load()
    for name, value in build_stack(config, settings).items():
        pulumi.export(name, value)
