"""What every command that writes shares before it touches the database: its options,
reading its inputs (a flag, else the variable the launcher sets: inside ECS a command
takes no arguments), and running it once they are all valid."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tasks.contract.binding import DEFAULT_ITERATIONS, Binding
from tasks.contract.context import RunContext, context_from_environment
from tasks.contract.errors import InvalidInput
from tasks.contract.outcome import CommandResult, Decision
from tasks.contract.validation import validate_email
from tasks.jobs.database import DatabaseTarget, make_engine, resolve_target
from tasks.jobs.database_binding import bound_iterations
from tasks.jobs.profiles import BUILT_IN, Profile, ProfileKind, choose_profile

PREVIEW_VARIABLE = "ADMIN_TASK_PREVIEW"
PASSWORD_VARIABLE = "DJANGO_SUPERUSER_PASSWORD"  # noqa: S105 (a name, not a password)
Handler = Callable[[argparse.Namespace, Mapping[str, str]], CommandResult]


def add_profile(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--profile", metavar="PROFILE",
                        help=f"{' or '.join(BUILT_IN)}, or a JSON profile file "
                             f"(default: ADMIN_TASKS_PROFILE, else {default})")


def add_write_command(commands: Any, name: str, summary: str, handler: Handler, *,
                      kind: ProfileKind) -> argparse.ArgumentParser:
    """A command that writes: --profile, --reason and --preview, like every other."""
    parser: argparse.ArgumentParser = commands.add_parser(name, help=summary, description=summary)
    add_profile(parser, kind)
    parser.add_argument("--reason", help="why, for the audit record (default: ADMIN_TASK_REASON)")
    parser.add_argument("--preview", action="store_true",
                        help="run the same checks and statements, report what would change, "
                             f"then roll back: write nothing (default: {PREVIEW_VARIABLE}=true)")
    parser.set_defaults(handler=handler, writes=True)
    return parser


def add_iterations(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--iterations", help="PBKDF2 iterations (default: "
                        f"ADMIN_TASKS_PBKDF2_ITERATIONS, else {DEFAULT_ITERATIONS:,})")


def preview_mode(flag: bool, environ: Mapping[str, str]) -> bool:
    """``--preview``, else ADMIN_TASK_PREVIEW (``true`` or ``false``; unset or empty: false)."""
    raw = environ.get(PREVIEW_VARIABLE, "")
    if raw not in ("", "true", "false"):
        raise InvalidInput(f"{PREVIEW_VARIABLE} must be true or false, got {raw[:40]!r}; "
                           "nothing was run")
    return flag or raw == "true"


def email_input(flag: str | None, environ: Mapping[str, str]) -> str:
    if flag is None and not environ.get("ADMIN_EMAIL"):
        raise InvalidInput("no email: pass --email ADDRESS, or set ADMIN_EMAIL (in a task "
                           "definition the launcher sets it from the email parameter)")
    return validate_email(flag if flag is not None else environ.get("ADMIN_EMAIL", ""))


def username_input(flag: str | None, environ: Mapping[str, str], variable: str) -> str:
    from tasks.jobs.superuser import validate_username

    return validate_username(flag if flag is not None else environ.get(variable, ""), variable)


def superuser_password(environ: Mapping[str, str]) -> str:
    password = environ.get(PASSWORD_VARIABLE, "")
    if not password:
        raise InvalidInput(
            f"{PASSWORD_VARIABLE} is not set: the password is read only from that "
            "variable (in ECS, from the superuser secret), never from a flag"
        )
    return password


def iterations(flag: str | None, environ: Mapping[str, str]) -> int:
    raw = flag or bound_iterations(environ, Binding.from_environ(environ)) \
        or environ.get("ADMIN_TASKS_PBKDF2_ITERATIONS") or str(DEFAULT_ITERATIONS)
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidInput(f"PBKDF2 iterations must be a whole number, got {raw!r}")
    return int(raw)


@dataclass(frozen=True)
class Run:
    """A command whose run context, profile and database are valid; nothing opened yet.
    ``schema``: the PostgreSQL schema of the profile's tables (None: the search path's)."""

    context: RunContext
    profile: Profile
    target: DatabaseTarget
    preview: bool
    schema: str | None = None

    @classmethod
    def prepare(cls, args: argparse.Namespace, environ: Mapping[str, str],
                kind: ProfileKind) -> Run:
        return cls(context_from_environment(environ, args.reason),
                   choose_profile(args.profile, environ, kind=kind), resolve_target(environ),
                   args.preview)

    def perform(self, act: Callable[..., Decision]) -> CommandResult:
        from tasks.jobs.operation import perform

        result = perform(make_engine(self.target), self.target, self.profile, self.context, act,
                         preview=self.preview, schema=self.schema)
        return CommandResult.from_task(result)
