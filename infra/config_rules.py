"""Patterns and limits the stack config is checked against (AWS and GitHub formats)."""

from __future__ import annotations

import re

from infra.config_values import config_error
from tasks.contract import IMAGE_REFERENCE, PARTITION

ENVIRONMENT_FIX = "use 1-32 lower-case letters, digits and inner hyphens (e.g. staging, prod)"
GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
GITHUB_REPOSITORY = re.compile(r"(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}")
GITHUB_TEAM = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,98}[a-z0-9])?")
OIDC_PROVIDER_ARN = re.compile(
    rf"arn:{PARTITION}:iam::(?P<account>\d{{12}}):oidc-provider/token\.actions\.githubusercontent\.com"
)
SECRET_ARN = re.compile(
    rf"arn:{PARTITION}:secretsmanager:(?P<region>[a-z0-9-]+):(?P<account>\d{{12}}):"
    r"secret:[A-Za-z0-9/_+=.@!-]{1,512}"
)
KMS_KEY_ARN = re.compile(
    rf"arn:{PARTITION}:kms:(?P<region>[a-z0-9-]+):(?P<account>\d{{12}}):"
    r"key/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
)
IMAGE = IMAGE_REFERENCE
ECR_IMAGE = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[a-z0-9._/-]+?)(?::[A-Za-z0-9._-]+)?(?:@sha256:[0-9a-f]{64})?"
)
HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
DATABASE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$-]{0,62}")
# The shape only: root in every spelling (0, 00, 0:0, root:x, " 0") is refused before it, by
# the policy pack's own infra.policy.resource_rules.is_root_user.
CONTAINER_USER = re.compile(r"[1-9]\d{0,9}(?::\d{1,10})?|[a-z_][a-z0-9_-]{0,31}(?::[a-z0-9_-]+)?")
ANY_TEXT = re.compile(r".+", re.DOTALL)

# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)
MINIMUM_RETENTION_PRODUCTION = 365
MINIMUM_RETENTION_OTHER = 30

# Fargate's valid (cpu -> memory MiB) combinations.
_FARGATE_MEMORY = {
    256: range(512, 2049, 512), 512: range(1024, 4097, 1024), 1024: range(2048, 8193, 1024),
    2048: range(4096, 16385, 1024), 4096: range(8192, 30721, 1024),
    8192: range(16384, 61441, 4096), 16384: range(32768, 122881, 8192),
}


def reject_wildcards(key: str, value: str) -> None:
    """Owner and repository end up in a trust-policy subject: no pattern characters at all."""
    if any(ch in value for ch in "*?[]"):
        raise config_error(key, f"contains a wildcard ({value!r}), which would widen the "
                           "OIDC trust policy to other repositories",
                           "name exactly one owner and repository, without * or ?")


def check_fargate_size(cpu: int, memory: int, cpu_key: str = "taskCpu",
                       memory_key: str = "taskMemory") -> None:
    if cpu not in _FARGATE_MEMORY:
        raise config_error(cpu_key, f"is {cpu}, not a Fargate CPU size",
                           f"use one of {sorted(_FARGATE_MEMORY)}")
    if memory not in _FARGATE_MEMORY[cpu]:
        allowed = _FARGATE_MEMORY[cpu]
        raise config_error(memory_key, f"is {memory} MiB, not valid with {cpu} CPU units",
                           f"use {allowed.start}-{allowed.stop - 1} MiB in steps of {allowed.step}")


def check_retention(days: int, production: bool) -> None:
    minimum = MINIMUM_RETENTION_PRODUCTION if production else MINIMUM_RETENTION_OTHER
    if days not in LOG_RETENTION_DAYS or days < minimum:
        allowed = [d for d in LOG_RETENTION_DAYS if d >= minimum]
        raise config_error("logRetentionDays", f"is {days}: the admin log group is the audit "
                           f"trail and needs at least {minimum} days here",
                           f"use one of {allowed}")


def check_same_place(key: str, match: re.Match[str], region: str, account: str) -> None:
    """An ARN from config must be in the cluster's region and account."""
    found_region = match.groupdict().get("region", region)
    if found_region != region or match.group("account") != account:
        raise config_error(key, f"is in {found_region}/{match.group('account')}, but the "
                           f"cluster is in {region}/{account}",
                           "use a resource in the cluster's account and region")
