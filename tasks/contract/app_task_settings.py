"""An application task's own settings: plain ``environment``, ``workingDirectory`` and the
stack's ``appSecrets`` it receives. Validated here, with the declaration
(:mod:`tasks.contract.app_tasks`), so every key has the same clear error.

A variable name that this project, ECS, the shell or the dynamic loader gives a meaning
is refused: a declaration must not shadow the run context the audit record is built from
(``ADMIN_TASK_*``), the database the task is given (``DATABASE_*``), or change what
loads (``LD_*``, ``PYTHON*`` but the two hygiene settings, ``BASH_ENV``, ``ENV``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from tasks.contract.errors import InvalidInput

VARIABLE = re.compile(r"[A-Z_][A-Z0-9_]{0,127}", re.ASCII)
RESERVED_PREFIXES = ("ADMIN_TASK", "DATABASE_", "DJANGO_SUPERUSER_", "AWS_", "ECS_", "LD_",
                     "PYTHON", "BASH_FUNC_")
RESERVED_NAMES = frozenset({"BASH_ENV", "ENV", "IFS", "PS4", "SHELLOPTS", "BASHOPTS", "HOME",
                            "PATH", "SHELL", "CDPATH"})
# Plain environment is visible in the task definition: a name that says it holds a secret
# belongs in appSecrets (the policy pack refuses the same names).
SECRETISH = re.compile(r"PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE|_KEY$")
MAX_VALUE = 4096
_DIRECTORY = re.compile(r"/[A-Za-z0-9._/-]{0,254}", re.ASCII)


class SettingError(InvalidInput):
    """``key`` is the field below the task's declaration."""

    def __init__(self, key: str, problem: str, fix: str) -> None:
        super().__init__(f"{key} {problem}. Fix: {fix}")
        self.key, self.problem, self.fix = key, problem, fix


def reserved(name: str) -> bool:
    return name.startswith(RESERVED_PREFIXES) or name in RESERVED_NAMES


def check_variable_name(name: str, key: str) -> None:
    if not VARIABLE.fullmatch(name):
        raise SettingError(key, f"names the variable {name[:60]!r}, which is not an upper-case "
                           "environment variable name", "use A-Z, 0-9 and _, not starting "
                           "with a digit")
    if reserved(name):
        raise SettingError(key, f"names {name}, which admin-tasks, ECS or the shell already "
                           "gives a meaning", "choose another name: names starting with "
                           f"{', '.join(RESERVED_PREFIXES)} and {sorted(RESERVED_NAMES)} "
                           "are reserved")


def parse_environment(raw: object) -> tuple[tuple[str, str], ...]:
    """``environment``: name → plain value, sorted by name."""
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise SettingError("environment", "must map variable names to values",
                           'e.g. {"DJANGO_SETTINGS_MODULE": "config.settings.production"}')
    for name, value in raw.items():
        check_variable_name(str(name), f"environment.{name}")
        if SECRETISH.search(str(name)):
            raise SettingError(f"environment.{name}", "looks like a secret, and plain values "
                               "are readable in the task definition", "put it in a secret and "
                               "list it under appSecrets")
        if not isinstance(value, str) or len(value) > MAX_VALUE or not value.isprintable():
            raise SettingError(f"environment.{name}", "must be one printable string of at most "
                               f"{MAX_VALUE} characters", "quote the value as a string")
    return tuple(sorted((str(name), value) for name, value in raw.items()))


def parse_working_directory(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not _DIRECTORY.fullmatch(raw) or "/../" in f"{raw}/":
        raise SettingError("workingDirectory", f"must be an absolute path (got {str(raw)[:80]!r})",
                           "e.g. /app, with letters, digits and ._-/ only")
    return raw


def parse_app_secret_names(raw: object, declared: Collection[str]) -> tuple[str, ...]:
    """``appSecrets``: names of the stack's ``appSecrets`` the task receives, each once."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(set(map(str, raw))) != len(raw):
        raise SettingError("appSecrets", "must list names of the stack's appSecrets, each once",
                           'e.g. ["STRIPE_API_KEY"]')
    for name in raw:
        if name not in declared:
            raise SettingError("appSecrets", f"names {str(name)[:60]!r}, which the stack's "
                               "admin-tasks:appSecrets does not declare",
                               f"declare it there, or use one of {sorted(declared)}")
    return tuple(sorted(raw))
