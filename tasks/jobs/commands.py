"""``init-db``, ``seed-admin`` and ``seed-superuser``: read and check the inputs, then run."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from tasks.contract.outcome import CommandResult
from tasks.contract.validation import validate_email
from tasks.jobs.database import database_errors, make_engine, resolve_target
from tasks.jobs.inputs import (
    Run,
    add_iterations,
    add_profile,
    add_write_command,
    email_input,
    iterations,
    superuser_password,
)
from tasks.jobs.profiles import choose_profile
from tasks.jobs.schema import create_tables
from tasks.jobs.tenant_schema import SCHEMA_VARIABLE, schema_input


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
    from tasks.jobs.seeding import seed_admin

    email = email_input(args.email, environ)
    return Run.prepare(args, environ, "role").perform(partial(seed_admin, email=email))


def _seed_superuser(args: argparse.Namespace, environ: Mapping[str, str]) -> CommandResult:
    from tasks.jobs.superuser import checked_hash, seed_superuser, validate_username

    username = validate_username(args.username or environ.get("DJANGO_SUPERUSER_USERNAME", ""))
    email = validate_email(args.email or environ.get("DJANGO_SUPERUSER_EMAIL", ""))
    password = superuser_password(environ)
    rounds = iterations(args.iterations, environ)
    run = Run.prepare(args, environ, "django")
    run = replace(run, schema=schema_input(args.schema, environ, run.target))
    # The new row's first and last names are empty, so these are all it can resemble.
    password_hash = checked_hash(password, {"username": username, "email": email}, rounds)
    return run.perform(partial(seed_superuser, username=username, email=email,
                               password_hash=password_hash))


def add_seed_commands(commands: Any) -> None:
    init_db = commands.add_parser("init-db", help="create the profile's tables if missing")
    add_profile(init_db, "role")
    init_db.set_defaults(handler=_init_db)

    seed = add_write_command(commands, "seed-admin",
                             "make sure an active admin exists for an email", _seed_admin,
                             kind="role")
    seed.add_argument("--email", help="the admin's address (default: ADMIN_EMAIL)")

    superuser = add_write_command(commands, "seed-superuser",
                                  "make sure a Django superuser exists (idempotent)",
                                  _seed_superuser, kind="django")
    superuser.add_argument("--username", help="default: DJANGO_SUPERUSER_USERNAME")
    superuser.add_argument("--email", help="default: DJANGO_SUPERUSER_EMAIL")
    superuser.add_argument("--schema", help="the PostgreSQL schema of auth_user, e.g. a "
                           f"django-tenants tenant's (default: {SCHEMA_VARIABLE}, else the "
                           "search path: public)")
    add_iterations(superuser)
