"""admin-tasks: the task package, in three rooms and a front door.

- :mod:`tasks.contract`: the launch-settings contract the Pulumi program, the launcher and
  the container share (catalog, parameter types, application-task declarations, the
  settings document, the run context, the result line, validators). Imports nothing else.
- :mod:`tasks.jobs`: the container's commands (seeding, superuser, break-glass accounts,
  schema, database target). What the tasks image needs beside the contract.
- :mod:`tasks.launcher`: ``run`` and ``stop``, which start one task on ECS Fargate from
  GitHub Actions (or a terminal) and follow it. What the workflow needs beside the contract.
- The front door: :mod:`tasks.cli` (``python -m tasks``) and :mod:`tasks.container`
  (``python -I -m tasks.container``, the entry point of every built-in task definition).

The container's commands and the launcher never import each other; nothing in the package
imports Pulumi or ``infra``, and only the launcher imports boto3 (the container installs
only SQLAlchemy and psycopg). ``make lint`` checks these rules with import-linter
(``[tool.importlinter]`` in pyproject.toml).
"""
