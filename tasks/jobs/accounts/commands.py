"""The break-glass commands' options and handlers: read and check the inputs, then run."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from functools import partial
from typing import Any

from tasks.contract.outcome import CommandResult
from tasks.jobs.inputs import (
    Run,
    add_iterations,
    add_write_command,
    email_input,
    iterations,
    superuser_password,
    username_input,
)
from tasks.jobs.passwords import check_password_policy

USERNAME_VARIABLE = "ADMIN_USERNAME"


def _remove_admin(args: argparse.Namespace, environ: Mapping[str, str]) -> CommandResult:
    from tasks.jobs.accounts.role import remove_admin

    email = email_input(args.email, environ)
    return Run.prepare(args, environ, "role").perform(partial(remove_admin, email=email))


def _reactivate_admin(args: argparse.Namespace, environ: Mapping[str, str]) -> CommandResult:
    from tasks.jobs.accounts.role import reactivate_admin

    email = email_input(args.email, environ)
    return Run.prepare(args, environ, "role").perform(partial(reactivate_admin, email=email))


def _deactivate_superuser(args: argparse.Namespace, environ: Mapping[str, str]) -> CommandResult:
    from tasks.jobs.accounts.django import deactivate_superuser

    username = username_input(args.username, environ, USERNAME_VARIABLE)
    return Run.prepare(args, environ, "django").perform(
        partial(deactivate_superuser, username=username))


def _reset_superuser_password(args: argparse.Namespace,
                              environ: Mapping[str, str]) -> CommandResult:
    from tasks.jobs.accounts.django import reset_superuser_password
    from tasks.jobs.passwords import pbkdf2_sha256

    username = username_input(args.username, environ, USERNAME_VARIABLE)
    password = superuser_password(environ)
    rounds = iterations(args.iterations, environ)
    run = Run.prepare(args, environ, "django")
    # The rules that need no user row, before any connection; the similarity to the row's
    # own names and email is checked inside the transaction, once the row is read.
    check_password_policy(password, {})
    password_hash = pbkdf2_sha256(password, iterations=rounds)
    return run.perform(partial(reset_superuser_password, username=username, password=password,
                               password_hash=password_hash))


def add_account_commands(commands: Any) -> None:
    for name, summary, role_handler in (
        ("remove-admin", "soft-delete an admin account, never the last active admin",
         _remove_admin),
        ("reactivate-admin", "make an inactive admin account active again", _reactivate_admin),
    ):
        parser = add_write_command(commands, name, summary, role_handler, kind="role")
        parser.add_argument("--email", help="the admin's address (default: ADMIN_EMAIL)")
    deactivate = add_write_command(
        commands, "deactivate-superuser",
        "deactivate a Django superuser, never the last active one", _deactivate_superuser,
        kind="django")
    reset = add_write_command(
        commands, "reset-superuser-password",
        "set a Django superuser's password to DJANGO_SUPERUSER_PASSWORD",
        _reset_superuser_password, kind="django")
    for parser in (deactivate, reset):
        parser.add_argument("--username",
                            help=f"the superuser's username (default: {USERNAME_VARIABLE})")
    add_iterations(reset)
