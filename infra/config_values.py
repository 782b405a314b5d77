"""Reading raw stack config values into typed ones, with errors that name key and fix.

Values arrive either decoded (a `Pulumi.<stack>.yaml` loaded in tests) or as the
strings the Pulumi runtime hands over (objects and lists JSON-encoded); both go
through the same coercion so the two paths cannot disagree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from infra.naming import PROJECT

_MISSING = object()


class ConfigError(Exception):
    """Stack configuration that must be fixed before anything is deployed."""


def config_error(key: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"config {qualified(key)} {problem}. Fix: {fix}")


def qualified(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


class ConfigReader:
    """Typed access to one stack's raw config map (keys `namespace:name`)."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw = dict(raw)

    def has(self, key: str) -> bool:
        return self._raw.get(qualified(key)) not in (None, "")

    def _value(self, key: str) -> Any:
        return self._raw.get(qualified(key), _MISSING)

    def _structured(self, key: str, fix: str = "") -> Any:
        value = self._value(key)
        if value is _MISSING and fix:
            raise config_error(key, "is required", fix)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise config_error(key, "is not valid JSON",
                                   "fix the YAML, or use `pulumi config set --path`") from None
        return value

    def string(self, key: str, pattern: re.Pattern[str], fix: str,
               default: str | None = None) -> str:
        value = self._value(key)
        if value is _MISSING or value == "":
            if default is not None:
                return default
            raise config_error(key, "is required", fix)
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise config_error(key, f"is malformed (got {value!r})", fix)
        return value

    def optional_string(self, key: str, pattern: re.Pattern[str], fix: str) -> str | None:
        return self.string(key, pattern, fix) if self.has(key) else None

    def integer(self, key: str, low: int, high: int, fix: str, default: int | None = None) -> int:
        value = self._value(key)
        if value is _MISSING and default is not None:
            return default
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return value
        raise config_error(key, f"must be a whole number from {low} to {high} (got {value!r})",
                           fix)

    def optional_integer(self, key: str, low: int, high: int, fix: str) -> int | None:
        return self.integer(key, low, high, fix) if self.has(key) else None

    def boolean(self, key: str, default: bool) -> bool:
        value = self._value(key)
        if value is _MISSING:
            return default
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return bool(value == "true")
        raise config_error(key, f"must be true or false (got {value!r})",
                           f"`pulumi config set {key} true` or false")

    def strings(self, key: str, pattern: re.Pattern[str], fix: str, *, required: bool = True,
                max_items: int = 16) -> tuple[str, ...]:
        value = self._structured(key, fix if required else "")
        if value is _MISSING:
            return ()
        if (not isinstance(value, list) or (required and not value) or len(value) > max_items
                or not all(isinstance(item, str) and pattern.fullmatch(item) for item in value)):
            raise config_error(key, f"must be a list of up to {max_items} values (got {value!r})",
                               fix)
        return tuple(value)

    def mapping(self, key: str, fix: str) -> dict[str, Any]:
        value = self._structured(key)
        if value is _MISSING:
            return {}
        if not isinstance(value, dict):
            raise config_error(key, f"must be an object (got {value!r})", fix)
        return value

    def steps(self, key: str, fix: str) -> tuple[tuple[str, ...], ...]:
        value = self._structured(key, fix)
        if (not isinstance(value, list) or not value
                or not all(isinstance(step, list) and step
                           and all(isinstance(arg, str) and arg for arg in step)
                           for step in value)):
            raise config_error(key, f"must be a list of argv lists of strings (got {value!r})", fix)
        return tuple(tuple(step) for step in value)

    def unknown_keys(self, known: set[str]) -> list[str]:
        own = f"{PROJECT}:"
        return sorted(k for k in self._raw if k.startswith(own) and k[len(own):] not in known)
