"""The launcher: ``python -m tasks run|stop``, run in GitHub Actions (or by hand).

It starts one catalog task on ECS Fargate, stays with it until it stops (status
changes, container logs, timeout, cancellation) and exits with the container's code.
Only :mod:`tasks.launcher.arguments` is imported by ``tasks.cli``; boto3 is imported
only once a launcher command is about to call AWS (never for ``--check``,
``--dry-run``, an input that is refused, or the container's commands).
"""
