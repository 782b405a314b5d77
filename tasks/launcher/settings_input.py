"""Where the launch settings come from: ``--settings FILE`` or ADMIN_TASKS_SETTINGS.

Either may hold anything: a file may be a directory, not UTF-8 or a hundred gigabytes,
so at most one settings document's worth is read, and every problem is one line
(InvalidInput, exit 2). The document itself is checked by :mod:`tasks.contract.settings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tasks.contract.errors import InvalidInput
from tasks.contract.settings import MAX_SETTINGS_BYTES, LaunchSettings, load_settings, too_large

SETTINGS_VARIABLE = "ADMIN_TASKS_SETTINGS"


def load_launch_settings(settings_file: str | None, environ: Mapping[str, str],
                         environment: str) -> LaunchSettings:
    """The settings from ``--settings FILE`` or ADMIN_TASKS_SETTINGS, for ``environment``."""
    if settings_file:
        text, source = _read_settings_file(settings_file), settings_file
    elif environ.get(SETTINGS_VARIABLE):
        text, source = environ[SETTINGS_VARIABLE], SETTINGS_VARIABLE
    else:
        raise InvalidInput(f"no launch settings: set {SETTINGS_VARIABLE} or pass --settings FILE "
                           "(`pulumi stack output launchSettings`)")
    if source == SETTINGS_VARIABLE and text.lstrip()[:1] not in ("{", "["):
        raise InvalidInput(f"{SETTINGS_VARIABLE} holds the settings document itself, not a "
                           "file name: for a file, pass --settings FILE")
    try:
        settings = load_settings(text, source)
    except InvalidInput as error:
        raise InvalidInput(str(error).replace(f"fix {SETTINGS_VARIABLE}", f"fix {source}")) \
            from None
    if settings.environment != environment:
        fix = (f"use that environment's {SETTINGS_VARIABLE}" if source == SETTINGS_VARIABLE
               else f"use that environment's settings (`python -m infra.render_settings "
                    f"--environment {environment}`, or its stack's launchSettings output)")
        raise InvalidInput(f"the launch settings from {source} are for {settings.environment}, "
                           f"not {environment}: {fix}")
    return settings


def _read_settings_file(path: str) -> str:
    """The file's text; never more than the largest settings document is read."""
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_SETTINGS_BYTES + 1)
    except OSError as error:
        raise InvalidInput(f"cannot read launch settings {path}: {error.strerror or error}") from None
    if len(data) > MAX_SETTINGS_BYTES:
        raise too_large(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(f"launch settings from {path} are not UTF-8 text (byte "
                           f"{data[error.start]:#04x} at offset {error.start})") from None
