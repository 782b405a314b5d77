"""The stack's real built-in task definitions (under Pulumi mocks), bound to a local
listener, with the secret values ECS would inject: what tests/test_database_binding.py
and tests/test_sealed_secret.py start under the ECS emulation."""

from __future__ import annotations

from typing import Any

from tests.infra.harness import main_container, run_stack, stack_config

SUPERUSER = {"username": "root-admin", "email": "root@example.com",
             "password": "correct horse battery staple 42"}
# The preimages of the example stacks' superuserSecretSeal.
SEALS = {"staging": "example-seal-staging", "prod": "example-seal-prod"}


def deployed(stack: str, port: int, name: str = "seed-superuser",
             ) -> tuple[dict[str, Any], dict[str, str]]:
    """The task ``name``'s container in ``stack`` bound to 127.0.0.1:``port``, and its
    secrets."""
    config = stack_config(stack) | {"admin-tasks:databaseHost": "127.0.0.1",
                                    "admin-tasks:databasePort": port}
    config.pop("admin-tasks:tasks", None)
    run = run_stack(config, stack)
    environment = run.outputs["githubEnvironment"]
    (definition,) = [d for d in run.of_type("aws:ecs/taskDefinition:TaskDefinition")
                     if d.inputs["family"] == f"admin-tasks-{environment}-{name}"]
    container = main_container(definition.inputs)
    arns = run.outputs["secretArns"]
    url = f"postgresql://admin:s3cret@127.0.0.1:{port}/{config['admin-tasks:databaseName']}"
    values = {f"{arns['database']}:url": url, f"{arns['database']}:username": "admin",
              f"{arns['database']}:password": "s3cret"}
    superuser = SUPERUSER | {"seal": SEALS[stack]}
    values |= {f"{arns['django-superuser']}:{key}": value for key, value in superuser.items()}
    return container, values
