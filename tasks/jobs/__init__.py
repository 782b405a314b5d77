"""The container's commands: what the tasks image runs against the database.

``init-db``, ``seed-admin``, ``seed-superuser`` (:mod:`.commands`, :mod:`.seeding`,
:mod:`.superuser`), the break-glass account commands (:mod:`.accounts`), and what they
share: the database target and its checks (:mod:`.database`, :mod:`.database_url`,
:mod:`.database_checks`), schema profiles (:mod:`.profiles`, :mod:`.schema`), the
PostgreSQL schema a command may be pointed at (:mod:`.tenant_schema`), passwords
(:mod:`.passwords`, with Django's common-password list in ``data/``), and the one audited
operation each of them is (:mod:`.operation`, :mod:`.inputs`).

Runtime dependencies only (SQLAlchemy, psycopg): it imports the contract
(:mod:`tasks.contract`) and never the launcher, boto3 or Pulumi. Only the CLI
(:mod:`tasks.cli`) imports it. ``make lint`` checks all of this with import-linter.
"""
