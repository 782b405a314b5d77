"""The launcher: ``python -m tasks run|stop``, run in GitHub Actions (or by hand).

It starts one catalog task on ECS Fargate, stays with it until it stops (status
changes, container logs, timeout, cancellation) and exits with the container's code.
Only :mod:`tasks.launcher.arguments` is imported by ``tasks.cli``: boto3 is imported
when a launcher command runs, never when the container's commands do.
"""
