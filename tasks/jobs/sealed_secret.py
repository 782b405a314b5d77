"""The superuser secret of a built-in task in ECS: read whole, and only if it is sealed.

A RunTask environment override may be able to replace a variable that ECS fills from a
secret (the EC2 agent injects secrets after the overrides; Fargate's order is not
documented). So a task that reads the superuser secret gets it as one variable,
``DJANGO_SUPERUSER_SECRET`` (the secret's whole JSON), and its task definition carries
``--superuser-seal=sha256:<hex>`` of the secret's ``seal`` key. Only someone who can read
the secret knows a seal that hashes to it, so a replaced value is refused, whatever ECS
does with overrides; ``username``, ``email`` and ``password`` are then taken from that one
verified document. The per-key variables are never read from the environment in ECS.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

from tasks.contract.binding import SEALED_SUPERUSER_VARIABLE, Binding
from tasks.contract.catalog import SECRET_INPUTS
from tasks.contract.errors import InvalidInput

#: The secret's JSON key → the variable the commands read it from (the catalog's mapping).
KEYS = {str(item.json_key): item.env_var for item in SECRET_INPUTS["django-superuser"]}
_FIX = ("put the superuser secret with its seal (docs/DEPLOYING.md, \"Secrets\") and its "
        "digest in admin-tasks:superuserSecretSeal; nothing was run")


def unsealed(environ: Mapping[str, str], binding: Binding | None) -> dict[str, str]:
    """``environ`` with the superuser variables taken from the sealed secret (none without
    a seal); the variables themselves, when an override sets them, are refused."""
    result = dict(environ)
    if binding is None:
        return result
    stray = [name for name in KEYS.values() if name in environ]
    if stray:
        raise InvalidInput(f"{stray[0]} is set in the environment: in ECS the superuser comes "
                           f"only from the sealed {SEALED_SUPERUSER_VARIABLE}, so an override "
                           "cannot name it; nothing was run")
    raw = result.pop(SEALED_SUPERUSER_VARIABLE, None)
    if binding.seal is None:
        return result
    document = _document(raw)
    seal = "sha256:" + hashlib.sha256(document["seal"].encode()).hexdigest()
    if not hmac.compare_digest(seal, binding.seal):
        raise InvalidInput(f"{SEALED_SUPERUSER_VARIABLE} is not sealed with the task "
                           f"definition's seal (replaced, or the seal changed): {_FIX}")
    return result | {variable: document[key] for key, variable in KEYS.items()}


def _document(raw: str | None) -> dict[str, str]:
    if raw is None:
        raise InvalidInput(f"{SEALED_SUPERUSER_VARIABLE} is not set: the task definition "
                           "injects the superuser secret under that name; nothing was run")
    try:
        document = json.loads(raw)
    except ValueError:
        document = None
    wanted = ("seal", *KEYS)
    if not isinstance(document, dict) or not all(
            isinstance(document.get(key), str) and document[key] for key in wanted):
        raise InvalidInput(f"{SEALED_SUPERUSER_VARIABLE} is not a JSON object with non-empty "
                           f"string keys {', '.join(wanted)}: {_FIX}")
    return {key: document[key] for key in wanted}
