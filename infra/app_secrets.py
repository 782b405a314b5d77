"""`admin-tasks:appSecrets`: the application's own secrets that its tasks may receive.

Each entry names the variable it becomes and where its value is: an existing Secrets
Manager secret in the cluster's account and region, whole or one JSON key. A task lists
the names it needs (`appTasks.<task>.appSecrets`); the execution role may read exactly
the secrets some task lists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from infra import config_rules as rules
from infra.config_sections import NetworkConfig
from infra.config_values import ConfigReader, config_error
from tasks.contract import SettingError, check_variable_name

KEY = "appSecrets"
_JSON_KEY = re.compile(r"[A-Za-z0-9_.-]{1,128}", re.ASCII)
_FIX = ('map variable names to {arn, key}, e.g. {"STRIPE_API_KEY": {"arn": '
        '"arn:aws:secretsmanager:REGION:ACCOUNT:secret:stripe-AbCdEf", "key": "api_key"}}')


@dataclass(frozen=True)
class AppSecret:
    """One application secret: the variable it becomes, and where its value is."""

    name: str
    arn: str
    json_key: str | None = None


def parse_app_secrets(reader: ConfigReader, network: NetworkConfig) -> dict[str, AppSecret]:
    raw = reader.mapping(KEY, _FIX)
    return {str(name): _entry(str(name), entry, network) for name, entry in raw.items()}


def _entry(name: str, entry: object, network: NetworkConfig) -> AppSecret:
    where = f"{KEY}.{name}"
    try:
        check_variable_name(name, where)
    except SettingError as error:
        raise config_error(where, error.problem, error.fix) from None
    if not isinstance(entry, Mapping) or not {"arn"} <= set(entry) <= {"arn", "key"}:
        raise config_error(where, f"must be {{arn, key}} (got {entry!r})"[:200], _FIX)
    arn, key = entry["arn"], entry.get("key")
    match = rules.SECRET_ARN.fullmatch(arn) if isinstance(arn, str) else None
    if match is None:
        raise config_error(f"{where}.arn", f"is not a Secrets Manager secret ARN (got {arn!r})",
                           "use the secret's full ARN, with its 6-character suffix")
    rules.check_same_place(f"{where}.arn", match, network.region, network.account)
    if key is not None and not (isinstance(key, str) and _JSON_KEY.fullmatch(key)):
        raise config_error(f"{where}.key", f"is not a JSON key (got {key!r})",
                           "name one key of the secret's JSON, or leave key out for the "
                           "whole secret")
    return AppSecret(name=name, arn=arn, json_key=key)
