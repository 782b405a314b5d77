"""``python -m tasks``: the commands run in the container and on a developer machine.

Every command ends with exactly one JSON object on stdout (the result line) and
exits with the code documented in the README; logs go to stderr. Expected failures
are :class:`AdminTaskError` and never show a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

from tasks.context import context_from_environment
from tasks.database import database_errors, make_engine, resolve_target, running_in_ecs
from tasks.errors import AdminTaskError, InvalidInput
from tasks.launcher.arguments import add_launcher_commands
from tasks.outcome import SeedResult, error_line
from tasks.passwords import DEFAULT_ITERATIONS
from tasks.profiles import BUILT_IN, choose_profile
from tasks.schema import create_tables
from tasks.validation import validate_email

log = logging.getLogger("admin-tasks")
Handler = Callable[[argparse.Namespace, Mapping[str, str]], "CommandResult"]


class CommandResult:
    """A finished command: its result line and exit code."""

    def __init__(self, line: dict[str, Any], exit_code: int, message: str) -> None:
        self.line, self.exit_code, self.message = line, exit_code, message

    @classmethod
    def from_seed(cls, result: SeedResult) -> CommandResult:
        return cls(result.result_line(), result.exit_code, result.message)


class ArgumentParser(argparse.ArgumentParser):
    """Usage errors are invalid input (exit 2 with a result line), like any other."""

    def error(self, message: str) -> NoReturn:
        raise InvalidInput(f"{message} (see `{self.prog} --help`)")


def _init_db(args: argparse.Namespace, environ: Mapping[str, str]) -> CommandResult:
    profile = choose_profile(args.profile, environ, kind=None)
    target = resolve_target(environ)
    with database_errors(target):
        created = create_tables(make_engine(target, must_exist=False), profile)
    outcome = "created" if created else "exists"
    message = (f"created {', '.join(created)} in {target.display}" if created
               else f"the {profile.name} tables already exist in {target.display}")
    line = {"ok": True, "outcome": outcome, "wasNew": bool(created), "profile": profile.name,
            "created": created}
    return CommandResult(line, 0, message)


def _seed_admin(args: argparse.Namespace, environ: Mapping[str, str]) -> CommandResult:
    from tasks.seeding import seed_admin

    raw_email = args.email if args.email is not None else environ.get("ADMIN_EMAIL", "")
    email = validate_email(raw_email)
    context = context_from_environment(environ, args.reason)
    profile = choose_profile(args.profile, environ, kind="role")
    target = resolve_target(environ)
    result = seed_admin(make_engine(target), target, profile, email, context)
    return CommandResult.from_seed(result)


def _iterations(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    raw = args.iterations or environ.get("ADMIN_TASKS_PBKDF2_ITERATIONS") or str(DEFAULT_ITERATIONS)
    if not (str(raw).isascii() and str(raw).isdigit()):
        raise InvalidInput(f"PBKDF2 iterations must be a whole number, got {raw!r}")
    return int(raw)


def _seed_superuser(args: argparse.Namespace, environ: Mapping[str, str]) -> CommandResult:
    from tasks.superuser import seed_superuser, validate_username

    username = validate_username(args.username or environ.get("DJANGO_SUPERUSER_USERNAME", ""))
    email = validate_email(args.email or environ.get("DJANGO_SUPERUSER_EMAIL", ""))
    password = environ.get("DJANGO_SUPERUSER_PASSWORD", "")
    if not password:
        raise InvalidInput(
            "DJANGO_SUPERUSER_PASSWORD is not set: the password is read only from that "
            "variable (in ECS, from the superuser secret), never from a flag"
        )
    iterations = _iterations(args, environ)
    context = context_from_environment(environ, args.reason)
    profile = choose_profile(args.profile, environ, kind="django")
    target = resolve_target(environ)
    result = seed_superuser(
        make_engine(target), target, profile, username=username, email=email,
        password=password, context=context, iterations=iterations,
    )
    return CommandResult.from_seed(result)


def _launcher(args: argparse.Namespace, environ: Mapping[str, str]) -> CommandResult:
    # Imported here: boto3 is in the workflow's install, not in the container image.
    from tasks.launcher.commands import dispatch

    result = dispatch(args, environ)
    return CommandResult(result.line, result.exit_code, result.message)


def _add_profile(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--profile", metavar="PROFILE",
                        help=f"{' or '.join(BUILT_IN)}, or a JSON profile file "
                             f"(default: ADMIN_TASKS_PROFILE, else {default})")


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="python -m tasks", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init_db = commands.add_parser("init-db", help="create the profile's tables if missing")
    _add_profile(init_db, "role")
    init_db.set_defaults(handler=_init_db)

    seed = commands.add_parser("seed-admin", help="make sure an active admin exists for an email")
    _add_profile(seed, "role")
    seed.add_argument("--email", help="the admin's address (default: ADMIN_EMAIL)")
    seed.add_argument("--reason", help="why, for the audit row (default: ADMIN_TASK_REASON)")
    seed.set_defaults(handler=_seed_admin)

    superuser = commands.add_parser("seed-superuser",
                                    help="make sure a Django superuser exists (idempotent)")
    _add_profile(superuser, "django")
    superuser.add_argument("--username", help="default: DJANGO_SUPERUSER_USERNAME")
    superuser.add_argument("--email", help="default: DJANGO_SUPERUSER_EMAIL")
    superuser.add_argument("--reason", help="why, for the audit record")
    superuser.add_argument("--iterations", help="PBKDF2 iterations (default: "
                           f"ADMIN_TASKS_PBKDF2_ITERATIONS, else {DEFAULT_ITERATIONS:,})")
    superuser.set_defaults(handler=_seed_superuser)

    add_launcher_commands(commands, _launcher)
    return parser


def _emit(line: dict[str, Any]) -> None:
    sys.stderr.flush()
    sys.stdout.write(json.dumps(line, default=str) + "\n")
    sys.stdout.flush()


def _configure_logging() -> None:
    """Logs go to the current stderr as ``admin-tasks: message`` lines, never to stdout."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("admin-tasks: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


def _refuse_command_override(argv: Sequence[str], environ: Mapping[str, str]) -> None:
    """A task definition's entry point names the command and nothing else; inside ECS any
    further argument came from a RunTask command override, not from the launcher (which
    passes every input as an environment override), so the task runs nothing."""
    if running_in_ecs(environ) and len(argv) > 1:
        raise InvalidInput(
            f"refusing to run: a command override added {len(argv) - 1} argument(s) to "
            f"{argv[0]!r}; inside ECS a task takes its inputs only from the launcher's "
            "environment overrides"
        )


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    _configure_logging()
    environ = os.environ if environ is None else environ
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        _refuse_command_override(argv, environ)
        args = build_parser().parse_args(argv)
        handler: Handler = args.handler
        result = handler(args, environ)
    except AdminTaskError as error:
        log.error("%s", error)
        _emit(error_line(error.outcome, str(error)))
        return error.exit_code
    log.info("%s", result.message) if result.exit_code == 0 else log.error("%s", result.message)
    _emit(result.line)
    return result.exit_code
