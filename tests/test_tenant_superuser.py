"""seed-superuser in a tenant's schema (django-tenants keeps a tenant's auth_user in the
tenant's own PostgreSQL schema): the row lands there and nowhere else, a preview reads
there too, and a bad, missing or SQLite schema writes nothing.

Each test has its default schema (the connection's search path, standing for public) and a
second, real schema beside it: the tenant's."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import LAUNCHED, Database
from tests.test_seed_superuser import (
    PASSWORD,
    django_database_settings,
    run_django,
    superuser_env,
)

#: Where the row lands, not how hard it hashes (tests/conftest.py: cheap_hashes).
pytestmark = pytest.mark.usefixtures("cheap_hashes")


@pytest.fixture
def tenant(postgres_database: Database, postgres_url: str) -> Iterator[Database]:
    """A second schema of the test database; the Database object's search path is it."""
    name = f"t_{uuid.uuid4().hex[:12]}_tenant"
    admin = Database("postgres", postgres_url)
    admin.execute(f'create schema "{name}"')
    database = Database("postgres", postgres_database.url.replace(schema_of(postgres_database),
                                                                  name))
    yield database
    database.dispose()
    admin.execute(f'drop schema "{name}" cascade')
    admin.dispose()


def schema_of(database: Database) -> str:
    return database.url.rpartition("search_path%3D")[2]


def usernames(database: Database) -> list[str]:
    return [row["username"] for row in database.rows("auth_user")]


@pytest.fixture
def tenant_tables(postgres_database: Database, tenant: Database, cli: Any) -> Database:
    """auth_user (as init-db creates it) in the default schema and in the tenant's."""
    for database in (postgres_database, tenant):
        assert cli(["init-db", "--profile", "django"], database.env()).code == 0
    return tenant


def test_a_tenants_superuser_lands_in_its_schema_and_django_there_reads_it(
        postgres_database: Database, tenant: Database, cli: Any) -> None:
    """Django's own migrations make both schemas' auth tables; the launcher's variable
    names the tenant, as in ECS (where a command takes no arguments)."""
    for database in (postgres_database, tenant):
        run_django(django_database_settings(database), "migrate")
    env = superuser_env(postgres_database, **LAUNCHED,
                        ADMIN_TASK_PARAM_SCHEMA=schema_of(tenant))

    run = cli(["seed-superuser"], env)

    assert (run.code, run.result["outcome"]) == (0, "created"), run.stderr
    assert run.result["audit"]["schema"] == schema_of(tenant)
    assert f"created superuser ops in schema {schema_of(tenant)}" in run.stderr
    assert (usernames(tenant), usernames(postgres_database)) == (["ops"], [])
    assert json.loads(run_django(django_database_settings(tenant), "check", PASSWORD)) == {
        "password_ok": True, "superuser": True, "staff": True, "active": True,
        "email": "ops@example.com"}

    # Without a schema: the search path's, as before, and the tenant's row stays alone.
    run = cli(["seed-superuser"], superuser_env(postgres_database, **LAUNCHED))

    assert (run.code, run.result["outcome"]) == (0, "created"), run.stderr
    assert "schema" not in run.result["audit"]
    assert "in schema" not in run.stderr
    assert (usernames(tenant), usernames(postgres_database)) == (["ops"], ["ops"])


def test_the_flag_names_the_schema_and_wins_over_the_variable(
        postgres_database: Database, tenant_tables: Database, cli: Any) -> None:
    env = superuser_env(postgres_database, ADMIN_TASK_PARAM_SCHEMA="no_such_schema")

    run = cli(["seed-superuser", "--schema", schema_of(tenant_tables)], env)

    assert run.code == 0, run.stderr
    assert (usernames(tenant_tables), usernames(postgres_database)) == (["ops"], [])


def test_a_preview_reads_and_rolls_back_in_the_tenants_schema(
        postgres_database: Database, tenant_tables: Database, cli: Any) -> None:
    tenant = schema_of(tenant_tables)
    preview = ["seed-superuser", "--schema", tenant, "--preview"]
    run = cli(preview, superuser_env(postgres_database))
    assert (run.code, run.result["outcome"], run.result["preview"]) == (0, "created", True)
    assert run.result["audit"]["schema"] == tenant
    assert (usernames(tenant_tables), usernames(postgres_database)) == ([], [])

    # ops exists in the tenant only: a preview there says so, and elsewhere it would create.
    assert cli(["seed-superuser", "--schema", tenant], superuser_env(tenant_tables)).code == 0
    run = cli(preview, superuser_env(postgres_database))
    assert (run.code, run.result["outcome"]) == (0, "exists"), run.stderr
    assert f"already an active superuser in schema {tenant}" in run.stderr
    run = cli(["seed-superuser", "--preview"], superuser_env(postgres_database))
    assert run.result["outcome"] == "created"
    assert (usernames(tenant_tables), usernames(postgres_database)) == (["ops"], [])


def test_an_existing_non_superuser_in_the_tenant_is_refused_there(
        postgres_database: Database, tenant_tables: Database, cli: Any) -> None:
    tenant_tables.execute(
        "insert into auth_user (password, is_superuser, username, first_name, last_name, email, "
        "is_staff, is_active, date_joined) values ('!', false, 'ops', '', '', 'x@example.com', "
        "false, true, '2024-01-01 00:00:00')")
    before = tenant_tables.snapshot()

    run = cli(["seed-superuser", "--schema", schema_of(tenant_tables)],
              superuser_env(postgres_database))

    assert (run.code, run.result["outcome"]) == (3, "refused")
    assert f"user ops exists in schema {schema_of(tenant_tables)} and is not a superuser" \
        in run.result["error"]
    assert run.result["audit"]["schema"] == schema_of(tenant_tables)
    assert tenant_tables.snapshot() == before and usernames(postgres_database) == []


HOSTILE = ["Acme", "acme;drop table auth_user", 'acme"', "acme.public", "public,acme",
           "1acme", "acme-eu", "pg_catalog", "pg_toast", "a" * 64, "acme\n", " acme", "",
           "acme\u0131", "ac\u200bme"]


@pytest.mark.parametrize("name", HOSTILE, ids=repr)
@pytest.mark.parametrize("source", ["flag", "variable"])
def test_a_name_that_is_not_a_plain_schema_name_is_refused_before_any_connection(
        postgres_database: Database, tenant_tables: Database, cli: Any, name: str,
        source: str) -> None:
    before = (postgres_database.snapshot(), tenant_tables.snapshot())
    argv, extra = (["--schema", name], {}) if source == "flag" else (
        [], {"ADMIN_TASK_PARAM_SCHEMA": name})

    run = cli(["seed-superuser", *argv], superuser_env(postgres_database, **extra))

    assert (run.code, run.result["outcome"]) == (2, "invalid"), run.stdout
    assert run.result["error"].startswith("--schema or ADMIN_TASK_PARAM_SCHEMA: parameter schema ")
    assert run.result["error"].endswith("nothing was run")
    assert (postgres_database.snapshot(), tenant_tables.snapshot()) == before


def test_a_missing_schema_or_one_without_auth_user_writes_nothing(
        postgres_database: Database, tenant: Database, cli: Any) -> None:
    assert cli(["init-db", "--profile", "django"], postgres_database.env()).code == 0
    env = superuser_env(postgres_database)

    run = cli(["seed-superuser", "--schema", "no_such_tenant"], env)
    assert (run.code, run.result["outcome"]) == (4, "error")
    assert "has no schema no_such_tenant: check the name" in run.result["error"]

    run = cli(["seed-superuser", "--schema", schema_of(tenant)], env)  # exists, but empty
    assert (run.code, run.result["outcome"]) == (4, "error")
    assert f"schema {schema_of(tenant)} in " in run.result["error"]
    assert "has no table auth_user: run the application's migrations" in run.result["error"]
    assert run.result["error"].endswith("nothing was changed")
    assert usernames(postgres_database) == [] and tenant.snapshot() == {}


def test_sqlite_has_no_schemas_so_one_is_refused(sqlite_database: Database, cli: Any) -> None:
    assert cli(["init-db", "--profile", "django"], sqlite_database.env()).code == 0
    for argv, extra in ((["--schema", "acme"], {}), ([], {"ADMIN_TASK_PARAM_SCHEMA": "acme"})):
        run = cli(["seed-superuser", *argv], superuser_env(sqlite_database, **extra))

        assert (run.code, run.result["outcome"]) == (2, "invalid"), run.stdout
        assert "schema acme was given, but" in run.result["error"]
        assert "is SQLite, which has no schemas" in run.result["error"]
        assert usernames(sqlite_database) == []
