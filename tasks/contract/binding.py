"""What a built-in task's database connection is bound to, fixed in its task definition.

The stack writes the binding into the entry point, before the command
(``python -I -m tasks.container --database-host=… … seed-superuser``), which RunTask
cannot override; :mod:`tasks.container` reads it there and the container's commands
refuse any environment variable that disagrees (an environment override is the one
input a holder of the launcher role controls). Both sides use this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from tasks.contract.errors import InvalidInput

#: Set in-process by tasks.container from its own arguments, never read from the real
#: environment (the CLI drops any variable of this name it is given).
BINDING_VARIABLE = "ADMIN_TASKS_BINDING"
#: Django 5.2's PBKDF2PasswordHasher.iterations: what the built-in tasks hash with.
DEFAULT_ITERATIONS = 1_000_000
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
AUTH_MODES = ("scram-sha-256", "md5")
Credentials = Literal["url", "user-password"]
_HOST = re.compile(r"(?!-)[A-Za-z0-9.-]{1,253}(?<!-)", re.ASCII)
_NAME = re.compile(r"[A-Za-z0-9_$-]{1,63}", re.ASCII)
_FLAG = re.compile(r"--([a-z0-9-]+)=(.*)", re.DOTALL)
FLAGS = {"database-host": "host", "database-port": "port", "database-name": "name",
         "database-credentials": "credentials", "database-auth": "auth",
         "database-sslmode": "sslmode", "pbkdf2-iterations": "iterations"}
#: Only on the tasks that read the superuser secret (tasks.jobs.sealed_secret).
OPTIONAL_FLAGS = {"superuser-seal": "seal"}
#: The whole superuser secret, one variable: its seal authenticates its other keys.
SEALED_SUPERUSER_VARIABLE = "DJANGO_SUPERUSER_SECRET"
SEAL = re.compile(r"sha256:[0-9a-f]{64}", re.ASCII)


@dataclass(frozen=True)
class Binding:
    """Where a built-in task connects, how it authenticates, and its hashing cost."""

    host: str
    port: int
    name: str
    credentials: Credentials
    """`url`: DATABASE_URL from the created secret (its host, port and database must be
    these); `user-password`: DATABASE_USER and DATABASE_PASSWORD from an existing one."""
    auth: str
    sslmode: str
    iterations: int
    seal: str | None = None
    """``sha256:<hex>`` of the superuser secret's ``seal`` key: the task reads that secret
    whole and refuses one whose seal does not hash to this."""

    def argv(self) -> list[str]:
        flags = [f"--{flag}={getattr(self, field)}" for flag, field in FLAGS.items()]
        return flags + ([f"--superuser-seal={self.seal}"] if self.seal else [])

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Binding | None:
        raw = environ.get(BINDING_VARIABLE)
        return None if raw is None else cls(**json.loads(raw))


def _checked(values: Mapping[str, str]) -> Binding:
    def bad(flag: str, rule: str) -> InvalidInput:
        return InvalidInput(f"the task definition's --{flag}={values[(FLAGS | OPTIONAL_FLAGS)[flag]][:80]!r} "
                            f"is not {rule}: fix the stack and run `pulumi up`")

    port, iterations = values["port"], values["iterations"]
    checks = (("database-host", "a host name", bool(_HOST.fullmatch(values["host"]))),
              ("database-port", "a port number", port.isdigit() and 0 < int(port) < 65536),
              ("database-name", "a database name", bool(_NAME.fullmatch(values["name"]))),
              ("database-credentials", "url or user-password",
               values["credentials"] in ("url", "user-password")),
              ("database-auth", "scram-sha-256 or md5", values["auth"] in AUTH_MODES),
              ("database-sslmode", "an sslmode", values["sslmode"] in SSLMODES),
              ("pbkdf2-iterations", "a whole number from 100,000",
               iterations.isdigit() and 100_000 <= int(iterations) <= 100_000_000),
              ("superuser-seal", "sha256:<64 hex digits>",
               "seal" not in values or bool(SEAL.fullmatch(values["seal"]))))
    for flag, rule, ok in checks:
        if not ok:
            raise bad(flag, rule)
    credentials: Credentials = "url" if values["credentials"] == "url" else "user-password"
    return Binding(values["host"], int(port), values["name"], credentials, values["auth"],
                   values["sslmode"], int(iterations), values.get("seal"))


def split_binding(argv: Sequence[str]) -> tuple[Binding | None, list[str]]:
    """The leading binding flags of a task definition's arguments, and the rest (the
    command). Every flag or none; each once; nothing else before the command."""
    leading = _leading(argv)
    if not leading:
        return None, list(argv)
    values: dict[str, str] = {}
    for arg in leading:
        match = _FLAG.fullmatch(arg)
        field = (FLAGS | OPTIONAL_FLAGS).get(match[1]) if match else None
        if field is None or field in values:
            raise InvalidInput(f"the task definition's entry point has {arg[:60]!r} before the "
                               "command, which is not a binding flag given once: fix the "
                               "stack and run `pulumi up`")
        assert match is not None
        values[field] = match[2]
    missing = [flag for flag, field in FLAGS.items() if field not in values]
    if missing:
        raise InvalidInput(f"the task definition's binding lacks --{missing[0]}: fix the stack "
                           "and run `pulumi up`")
    return _checked(values), list(argv[len(leading):])


def _leading(argv: Sequence[str]) -> list[str]:
    """The arguments before the command that look like binding flags (``--help`` and the
    command's own options are not)."""
    found = []
    for arg in argv:
        if not arg.startswith(("--database-", "--pbkdf2-", "--superuser-")):
            break
        found.append(arg)
    return found
