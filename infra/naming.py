"""Names every resource and document agrees on, computed from the environment name.

The launch settings, the task definitions, the IAM policies and the policy pack all
derive names from here, so a rename cannot leave one of them pointing elsewhere.
"""

from __future__ import annotations

PROJECT = "admin-tasks"
OIDC_HOST = "token.actions.githubusercontent.com"
OIDC_URL = f"https://{OIDC_HOST}"
OIDC_AUDIENCE = "sts.amazonaws.com"
ECS_TASKS_SERVICE = "ecs-tasks.amazonaws.com"
LOG_STREAM_PREFIX = PROJECT
DEPLOYMENT_BRANCH = "main"
# The one workflow, on the one branch, whose jobs may assume the environment's role: the
# subject names only the environment, which any other workflow can declare too.
ADMIN_WORKFLOW_PATH = ".github/workflows/admin-task.yml"
ADMIN_WORKFLOW_REF = f"refs/heads/{DEPLOYMENT_BRANCH}"


def prefix(environment: str) -> str:
    """`admin-tasks-<env>`: the prefix of every physical name in the environment."""
    return f"{PROJECT}-{environment}"


def task_family(environment: str, task: str) -> str:
    return f"{prefix(environment)}-{task}"


def log_group_name(environment: str) -> str:
    return f"/{PROJECT}/{environment}"


def secret_name(environment: str, logical_name: str) -> str:
    """Secrets live under `admin-tasks/<env>/` (guardrail 6)."""
    return f"{PROJECT}/{environment}/{logical_name}"


def github_subjects(owner: str, repository: str, owner_id: int, repository_id: int,
                    environment: str) -> list[str]:
    """The two `sub` claims GitHub sends for a job in `environment` (legacy, immutable)."""
    suffix = f"environment:{environment}"
    return [
        f"repo:{owner}/{repository}:{suffix}",
        f"repo:{owner}@{owner_id}/{repository}@{repository_id}:{suffix}",
    ]


def admin_job_workflow_ref(owner: str, repository: str) -> str:
    """The `job_workflow_ref` claim of a job of the admin workflow on main."""
    return f"{owner}/{repository}/{ADMIN_WORKFLOW_PATH}@{ADMIN_WORKFLOW_REF}"
