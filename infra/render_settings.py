"""`python -m infra.render_settings STACK`: the launch settings a stack would export.

What `pulumi stack output launchSettings` prints after `pulumi up`, computed from
`Pulumi.<STACK>.yaml` alone (no Pulumi CLI, no AWS): for trying the launcher's
`--dry-run` and `--check` locally, and for reviewing a config change before deploying it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from infra.config import ConfigError, parse_config
from infra.launch import launch_settings
from tasks.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[1]


def stack_file_config(stack: str, root: Path = ROOT) -> dict[str, Any]:
    """The `config:` map of `Pulumi.<stack>.yaml`, decoded as the tests and this tool see it."""
    path = root / f"Pulumi.{stack}.yaml"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read {path.name}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path.name} is not valid YAML ({error})") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise ConfigError(f"{path.name} has no `config:` map")
    return config


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m infra.render_settings STACK   (reads Pulumi.STACK.yaml)",
              file=sys.stderr)
        return 2
    try:
        settings = launch_settings(parse_config(stack_file_config(args[0]), args[0]))
    except (ConfigError, InvalidInput) as error:
        print(f"infra.render_settings: {error}", file=sys.stderr)
        return 2
    print(json.dumps(settings, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
