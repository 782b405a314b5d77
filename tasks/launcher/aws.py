"""The one place boto3 clients are made, and AWS errors turned into one clean line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
)
from botocore.exceptions import ConnectionError as AwsConnectionError

from tasks.launcher.results import AwsCallFailed

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_logs import CloudWatchLogsClient

# Standard mode retries throttling and transient errors with jittered exponential
# backoff; DescribeTasks throttles under load, and RunTask is safe to retry because
# every request carries a clientToken.
MAX_ATTEMPTS = 8
THROTTLING_CODES = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException",
                              "RequestLimitExceeded"})


@dataclass(frozen=True)
class Clients:
    ecs: ECSClient
    logs: CloudWatchLogsClient


def make_clients(region: str, session: boto3.session.Session | None = None) -> Clients:
    """ECS and CloudWatch Logs clients for ``region`` (AWS_ENDPOINT_URL is honoured)."""
    config = Config(region_name=region, retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
                    connect_timeout=10, read_timeout=30)
    session = session or boto3.session.Session()
    return Clients(ecs=session.client("ecs", config=config),
                   logs=session.client("logs", config=config))


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_throttling(error: ClientError) -> bool:
    return error_code(error) in THROTTLING_CODES


def _hint(code: str) -> str:
    if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation"):
        return (" (the role from ADMIN_TASKS_ROLE_ARN may not do this: check the stack's "
                "launcher policy for this environment)")
    if code == "ClusterNotFoundException":
        return " (the cluster in the launch settings does not exist in this account and region)"
    return ""


def may_have_been_done(error: BotoCoreError | ClientError) -> bool:
    """True when the request may have reached AWS and been acted on although no answer
    came back: a timeout, a dropped connection or a server error (5xx) on some attempt."""
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return int(status) >= 500
    return isinstance(error, HTTPClientError | AwsConnectionError)


def aws_failure(action: str, error: BotoCoreError | ClientError) -> AwsCallFailed:
    """One clean line for a failed call (with a hint for the errors an operator can fix)."""
    if isinstance(error, NoCredentialsError):
        return AwsCallFailed(f"{action}: no AWS credentials (in the workflow, the "
                             "configure-aws-credentials step provides them)")
    if isinstance(error, ClientError):
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message", "")
        return AwsCallFailed(f"{action} failed: {code}: {message}{_hint(code)}")
    return AwsCallFailed(f"{action} failed: {error}")


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Raise AwsCallFailed naming ``action`` for any botocore failure inside the block."""
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        raise aws_failure(action, error) from None
