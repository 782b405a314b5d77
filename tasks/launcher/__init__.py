"""The launcher: ``python -m tasks run|stop``, run in GitHub Actions (or by hand).

It starts one catalog or application task on ECS Fargate, stays with it until it stops
(status changes, container logs, timeout, cancellation) and exits with the container's
code. It imports the contract (:mod:`tasks.contract`), never the container's commands.
Only the CLI imports it, and only :mod:`tasks.launcher.arguments` and
:mod:`tasks.launcher.commands`; boto3 is imported only once a launcher command is about to
call AWS (never for ``--check``, ``--dry-run``, an input that is refused, or the
container's commands).
"""
