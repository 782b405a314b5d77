"""``--schema`` / ``ADMIN_TASK_PARAM_SCHEMA``: run a command's statements in one PostgreSQL
schema, as django-tenants keeps each tenant's ``auth_user`` in the tenant's own schema.

The name is checked by the catalog's own parameter rule (the launcher's), before any
connection. It never enters SQL text as such: the tables are built without a schema and
SQLAlchemy's ``schema_translate_map`` places them in it, quoting the name as an
identifier wherever that is needed. Before any statement touches a row, the schema and
every table of the profile must exist there; otherwise the run stops (exit 4) and writes
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from tasks.contract.catalog import SCHEMA
from tasks.contract.errors import DatabaseFailed, InvalidInput
from tasks.jobs.database_url import DatabaseTarget
from tasks.jobs.schema import Tables

SCHEMA_VARIABLE = SCHEMA.env_var


def schema_input(flag: str | None, environ: Mapping[str, str],
                 target: DatabaseTarget) -> str | None:
    """``--schema``, else ADMIN_TASK_PARAM_SCHEMA; None (neither): the connection's own
    search path. Set but empty, not a schema name, or on SQLite: InvalidInput."""
    raw = flag if flag is not None else environ.get(SCHEMA_VARIABLE)
    if raw is None:
        return None
    try:
        schema = SCHEMA.validate(raw)
    except InvalidInput as error:
        raise InvalidInput(f"--schema or {SCHEMA_VARIABLE}: {error}; nothing was run") from None
    if target.is_sqlite:
        raise InvalidInput(f"schema {schema} was given, but {target.display} is SQLite, which "
                           "has no schemas: leave --schema (the schema parameter) out, or point "
                           "DATABASE_URL at the PostgreSQL database; nothing was run")
    return schema


def enter_schema(connection: Connection, target: DatabaseTarget, schema: str,
                 tables: Tables) -> None:
    """Make every statement on ``connection`` use ``schema``'s tables; DatabaseFailed when
    the schema, or one of the profile's tables in it, does not exist."""
    connection.execution_options(schema_translate_map={None: schema})
    dialect = connection.dialect
    if not dialect.has_schema(connection, schema):
        raise DatabaseFailed(
            f"database {target.display} has no schema {schema}: check the name (with "
            "django-tenants, the tenant's schema_name) and create the tenant first; nothing "
            "was changed")
    for table in tables.metadata.sorted_tables:
        if not dialect.has_table(connection, table.name, schema=schema):
            raise DatabaseFailed(
                f"schema {schema} in {target.display} has no table {table.name}: run the "
                "application's migrations for it (django-tenants: migrate_schemas --schema="
                f"{schema}), or choose the schema that holds it; nothing was changed")
