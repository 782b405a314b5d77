"""A container of a task definition started as ECS starts it, for the container's side of
the tests: the definition's `environment`, then the RunTask `environment` overrides
(which "override the existing environment variables from the Docker image or the task
definition", ECS API reference, ContainerOverride), then the `secrets`, each resolved
from its `valueFrom` (`<arn>:<json key>::`, or the bare ARN: the whole secret) and
injected as a variable; the argv is
`entryPoint` + `command` (a command override replaces `command`, never `entryPoint`).

Whether an override of a secret's own name wins over the injected secret is not
documented for Fargate (docs/THREAT-MODEL.md): `secrets_win=False` emulates an override
replacing it, so a test can show the package holds either way.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

# What the ECS agent sets in every container (the task metadata endpoint v4).
AGENT_VARIABLES = {"ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/emulated",
                   "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE"}


def container_environment(container: Mapping[str, Any], secret_values: Mapping[str, str],
                          overrides: Mapping[str, str], *,
                          secrets_win: bool = True) -> dict[str, str]:
    """The environment the container's process starts with. ``secret_values`` maps each
    secret's ARN to its JSON document's keys (``{arn: {key: value}}`` flattened as
    ``arn:key``); a whole secret is that JSON document."""
    environment = {item["name"]: item["value"] for item in container["environment"]}
    secrets = {}
    for item in container["secrets"]:
        arn_and_key = item["valueFrom"].removesuffix("::")
        if arn_and_key in secret_values:
            secrets[item["name"]] = secret_values[arn_and_key]
        else:  # the whole secret: the JSON of its keys
            prefix = f"{arn_and_key}:"
            secrets[item["name"]] = json.dumps({
                key.removeprefix(prefix): value for key, value in secret_values.items()
                if key.startswith(prefix)})
    if secrets_win:
        return {**AGENT_VARIABLES, **environment, **overrides, **secrets}
    return {**AGENT_VARIABLES, **environment, **secrets, **overrides}


def run_container(container: Mapping[str, Any], environment: Mapping[str, str],
                  command_override: list[str] | None = None,
                  timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The container's argv run here: its `python` is this interpreter."""
    argv = [*container["entryPoint"], *(command_override or container["command"])]
    if argv[0] == "python":
        argv[0] = sys.executable
    return subprocess.run(argv, env={"PATH": os.environ["PATH"], **environment},
                          capture_output=True, text=True, check=False, timeout=timeout,
                          stdin=subprocess.DEVNULL)


@dataclass
class Listener:
    """A TCP port on 127.0.0.1 that counts the connections made to it (and closes them)."""

    port: int = 0
    connections: int = 0
    _socket: socket.socket | None = field(default=None, repr=False)


@contextmanager
def listening() -> Iterator[Listener]:
    listener = Listener()
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    listener.port = server.getsockname()[1]
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            listener.connections += 1
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()
