"""The database of a built-in task in ECS: the one its task definition binds
(:mod:`tasks.contract.binding`), never one an environment override names.

Every variable that could move the connection (``DATABASE_URL``, ``DATABASE_HOST``,
``DATABASE_PORT``, ``DATABASE_NAME``, ``DATABASE_SSLMODE``, ``ADMIN_TASKS_DATABASE_AUTH``)
must agree with the binding or be absent; one that disagrees is exit 2, naming it, before
any connection. The credentials come from where the binding says (the created secret's
``DATABASE_URL``, or an existing secret's ``DATABASE_USER``/``DATABASE_PASSWORD``) and
must hold a password: in ECS a connection never authenticates with ``none``.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.engine import URL

from tasks.contract.binding import SSLMODES, Binding
from tasks.contract.errors import InvalidInput

AUTH_VARIABLE = "ADMIN_TASKS_DATABASE_AUTH"
ITERATIONS_VARIABLE = "ADMIN_TASKS_PBKDF2_ITERATIONS"
URL_ONLY = ("DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_USER",
            "DATABASE_PASSWORD")


def _disagrees(name: str, bound: object) -> InvalidInput:
    return InvalidInput(f"{name} disagrees with the task definition, which binds this task to "
                        f"{bound}: an environment override cannot move a built-in task's "
                        "database or weaken its authentication; nothing was run")


def check_variables(environ: Mapping[str, str], binding: Binding) -> None:
    """Each variable that is set must say what the binding says."""
    expected = {AUTH_VARIABLE: binding.auth, "DATABASE_SSLMODE": binding.sslmode,
                ITERATIONS_VARIABLE: str(binding.iterations)}
    if binding.credentials == "user-password":
        expected |= {"DATABASE_HOST": binding.host, "DATABASE_PORT": str(binding.port),
                     "DATABASE_NAME": binding.name}
    for name, value in expected.items():
        if name in environ and environ[name] != value:
            raise _disagrees(name, f"{name}={value}")
    if binding.credentials == "user-password" and "DATABASE_URL" in environ:
        raise _disagrees("DATABASE_URL", "DATABASE_USER and DATABASE_PASSWORD from its secret")
    if binding.credentials == "url":
        stray = [name for name in URL_ONLY if name in environ]
        if stray:
            raise _disagrees(stray[0], "the DATABASE_URL of its secret")


def bound_url(environ: Mapping[str, str], binding: Binding, url: URL | None) -> URL:
    """The URL to connect with: the secret's own (``url``), checked against the binding, or
    built from the binding and the secret's user and password."""
    if binding.credentials == "url":
        if url is None:
            raise InvalidInput("DATABASE_URL is not set: the task definition injects it from "
                               "the database secret; nothing was run")
        where = (url.host, url.port or 5432, url.database)
        if where != (binding.host, binding.port, binding.name) or url.query.get("host"):
            raise _disagrees("DATABASE_URL", f"{binding.host}:{binding.port}/{binding.name}")
        sslmode = url.query.get("sslmode", binding.sslmode)
        if not isinstance(sslmode, str) or sslmode not in SSLMODES or \
                SSLMODES.index(sslmode) < SSLMODES.index(binding.sslmode):
            raise _disagrees("DATABASE_URL's sslmode", f"sslmode={binding.sslmode} or stricter")
        url = url.update_query_dict({"sslmode": sslmode})
    else:
        user, password = environ.get("DATABASE_USER"), environ.get("DATABASE_PASSWORD")
        if not user:
            raise InvalidInput("DATABASE_USER is not set: the task definition injects it from "
                               "the database secret; nothing was run")
        url = URL.create("postgresql+psycopg", username=user, password=password,
                         host=binding.host, port=binding.port, database=binding.name,
                         query={"sslmode": binding.sslmode})
    if not url.password:
        raise InvalidInput("the database credentials hold no password: in ECS a built-in task "
                           "never connects without one (a server that trusts the client is "
                           "refused); put the password in the database secret")
    return url


def bound_iterations(environ: Mapping[str, str], binding: Binding | None) -> str | None:
    """The PBKDF2 iterations the binding fixes (its variable must agree), or None."""
    if binding is None:
        return None
    if ITERATIONS_VARIABLE in environ and environ[ITERATIONS_VARIABLE] != str(binding.iterations):
        raise _disagrees(ITERATIONS_VARIABLE, f"{binding.iterations} iterations")
    return str(binding.iterations)
