"""``python -m tasks``: the commands run in the container and on a developer machine.

Every command ends with exactly one JSON object on stdout (the result line) and
exits with the code documented in docs/TASK-PACKAGE.md; logs go to stderr. Expected failures
are :class:`AdminTaskError` and never show a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from tasks.contract.binding import BINDING_VARIABLE, split_binding
from tasks.contract.context import CONTAINER_MARKER, running_in_ecs
from tasks.contract.errors import AdminTaskError, InvalidInput
from tasks.contract.outcome import CommandResult, bound_to_run, error_line
from tasks.contract.run_record import fixed_arguments
from tasks.jobs.accounts.commands import add_account_commands
from tasks.jobs.app_run import add_record_command
from tasks.jobs.commands import add_seed_commands
from tasks.jobs.inputs import Handler, preview_mode
from tasks.jobs.sealed_secret import unsealed
from tasks.launcher.arguments import add_launcher_commands

log = logging.getLogger("admin-tasks")
#: Said on stderr after every preview that ran to an outcome (a failure wrote nothing anyway).
PREVIEW_NOTE = ("this was a preview: its transaction was rolled back and nothing was written, "
                "no audit row either")


class ArgumentParser(argparse.ArgumentParser):
    """Usage errors are invalid input (exit 2 with a result line), like any other."""

    #: Set by build_parser from the arguments it is built for: the command they name
    #: (argparse reports unrecognized arguments from the top-level parser, so the help
    #: pointer names the command here), and what was typed that may be a secret (argparse
    #: quotes values in its messages; they are never echoed).
    command: str | None = None
    typed: tuple[str, ...] = ()

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:  # named, never echoed: a mistyped value may be a password
            names = [extra.partition("=")[0] for extra in extras]
            options = [name for name in names if _OPTION.fullmatch(name)]
            values = len(typed_values(extras, ()))
            listed = ", ".join(options)
            if values:
                count = "1 value" if values == 1 else f"{values} values"
                listed += f"{' and ' if listed else ''}{count} (not shown: a value may be a secret)"
            self.error(f"unrecognized arguments: {listed}")
        return parsed

    def error(self, message: str) -> NoReturn:
        hint = ("; a task's parameters are passed as --param NAME=VALUE"
                if message.startswith("unrecognized arguments: --") and self.command == "run"
                else "")
        prog = f"{self.prog} {self.command}" if self.command else self.prog
        raise InvalidInput(f"{_redacted(message, self.typed)}{hint} (see `{prog} --help`)")


#: An option's name as an operator types it (never a value): --email, --param, or --.
_OPTION = re.compile(r"--(?:[a-z][a-z0-9-]*)?", re.ASCII)


def typed_values(argv: Sequence[str], commands: Sequence[str]) -> tuple[str, ...]:
    """Every argument that is not an option's name or a command: values, and options of an
    unexpected shape (``-ehunter2``), whose text may be a password."""
    found = []
    for argument in argv:
        name, equals, value = argument.partition("=")
        if _OPTION.fullmatch(name):
            found += [value] if equals else []
        elif argument not in commands:
            found.append(argument)
    return tuple(sorted(filter(None, found), key=len, reverse=True))


def _redacted(message: str, typed: Sequence[str]) -> str:
    """argparse quotes what it read ('hunter2', or part of it: 'unter2' of -hunter2), and
    echoes an ambiguous option whole: none of it is shown."""
    message = re.sub(r"'([^']*)'", lambda quoted: "'…'" if quoted.group(1) and any(
        quoted.group(1) in value for value in typed) else quoted.group(0), message)
    for value in typed:  # longest first
        message = message.replace(value, "…") if len(value) >= 4 else message
    return message


def _launcher(args: argparse.Namespace, environ: Mapping[str, str]) -> CommandResult:
    # Imported here: boto3 is in the workflow's install, not in the container image.
    from tasks.launcher.commands import dispatch

    return dispatch(args, environ)


def build_parser(argv: Sequence[str] = ()) -> ArgumentParser:
    """The parser for ``argv``: its usage errors name the command and never show a value."""
    parser = ArgumentParser(prog="python -m tasks", description="The commands run in the "
                            "container and on a developer machine, and the launcher (run, stop).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_seed_commands(commands)
    add_account_commands(commands)
    add_record_command(commands)
    add_launcher_commands(commands, _launcher)
    parser.command = argv[0] if argv and argv[0] in commands.choices else None
    typed = typed_values(argv[1:], tuple(commands.choices))  # argv[0] is the command
    for each in (parser, *commands.choices.values()):
        each.typed = typed
    return parser


def _emit(line: dict[str, Any], environ: Mapping[str, str]) -> None:
    """The result line; in ECS bound to the run (:func:`bound_to_run`)."""
    sys.stderr.flush()
    sys.stdout.write(json.dumps(bound_to_run(line, environ), default=str) + "\n")
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
    fixed = fixed_arguments(argv)
    if running_in_ecs(environ) and len(argv) > fixed:
        raise InvalidInput(
            f"refusing to run: a command override added {len(argv) - fixed} argument(s) to "
            f"{argv[0]!r}; inside ECS a task takes its inputs only from the launcher's "
            "environment overrides"
        )


def forget_libpq_environment() -> None:
    """libpq reads PG* variables itself (PGHOSTADDR would send the connection elsewhere,
    PGOPTIONS change its settings): the package is configured by DATABASE_* alone."""
    for name in [name for name in os.environ if name.startswith("PG")]:
        del os.environ[name]


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None, *,
         in_task_definition: bool = False) -> int:
    """``in_task_definition``: started by a task definition's entry point
    (:mod:`tasks.container`), which holds as in ECS whatever the environment says."""
    _configure_logging()
    forget_libpq_environment()
    environ = os.environ if environ is None else environ
    # The binding is the task definition's, never the environment's.
    environ = {name: value for name, value in environ.items() if name != BINDING_VARIABLE}
    if in_task_definition:
        environ[CONTAINER_MARKER] = "1"
    argv = sys.argv[1:] if argv is None else list(argv)
    preview: bool | None = None  # known once read, for the commands that take --preview
    try:
        if in_task_definition:
            binding, argv = split_binding(argv)
            if binding is not None:
                environ[BINDING_VARIABLE] = binding.to_json()
            environ = unsealed(environ, binding)
        _refuse_command_override(argv, environ)
        args = build_parser(argv).parse_args(argv)
        if getattr(args, "writes", False):
            preview = args.preview = preview_mode(args.preview, environ)
        handler: Handler = args.handler
        result = handler(args, environ)
    except AdminTaskError as error:
        log.error("%s", error)
        _emit(error_line(error.outcome, str(error), preview), environ)
        return error.exit_code
    log.info("%s", result.message) if result.exit_code == 0 else log.error("%s", result.message)
    if preview:
        log.info("%s", PREVIEW_NOTE)
    _emit(result.line, environ)
    return result.exit_code
