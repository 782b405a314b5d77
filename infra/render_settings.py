"""`python -m infra.render_settings STACK` (or `--environment ENV`): the launch settings
a stack would export.

What `pulumi stack output launchSettings` prints after `pulumi up`, computed from
`Pulumi.<STACK>.yaml` alone (no Pulumi CLI, no AWS): the workflow's check job renders
them from the stack files on main to check a request and show it to the reviewer; locally
they let the launcher's `--dry-run` and `--check` be tried, and a config change be
reviewed before it is deployed. Needs PyYAML (in the launcher's requirements).

A repository whose own Pulumi program declares the `AdminTasks` component has no stack
file of this project: it commits the component's `launch_settings` output as
`launch-settings/ENV.json`, which `--environment ENV` checks with the launcher's parser
and prints. Stack files and that directory are read from the current directory (run it
from the repository root, as the workflow does).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from infra.config import ConfigError, parse_config
from infra.launch import launch_settings
from tasks.contract import InvalidInput, load_settings, validate_environment_name

ROOT = Path(__file__).resolve().parents[1]
COMMITTED_SETTINGS = "launch-settings"


def stack_file_config(stack: str, root: Path = ROOT) -> dict[str, Any]:
    """The `config:` map of `Pulumi.<stack>.yaml`, decoded as the tests and this tool see it."""
    try:
        import yaml  # the launcher's and the test tools' install have it; make seed's not
    except ImportError:
        raise ConfigError("reading a stack file needs PyYAML: pip install -e '.[launcher]' "
                          "(make test installs it)") from None
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        stacks = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml")
                        for p in root.glob("Pulumi.*.yaml"))
        raise ConfigError(f"there is no {path.name}: the stacks are {', '.join(stacks)}")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read {path.name}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path.name} is not UTF-8 text: save it as UTF-8") from None
    except (yaml.YAMLError, RecursionError) as error:
        detail = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise ConfigError(f"{path.name} is not valid YAML ({detail})") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise ConfigError(f"{path.name} has no `config:` map")
    return config


def stack_of_environment(environment: str, root: Path = ROOT) -> str:
    """The stack whose config names ``environment`` (its `environment` key, else its name).
    Every stack file is read: one that cannot be is an error naming it (it might name
    ``environment`` too, so skipping it could pick the wrong stack)."""
    found = [stack for stack in _admin_stacks(root)
             if stack_file_config(stack, root).get("admin-tasks:environment", stack) == environment]
    if len(found) != 1:
        raise ConfigError(f"{len(found)} stack files configure environment {environment!r} "
                          f"({', '.join(found) or 'none'}); exactly one must")
    return found[0]


def _admin_stacks(root: Path) -> list[str]:
    """The stacks of this project: a stack file without an `admin-tasks:` key is another
    program's (a team's own program that uses the component)."""
    stacks = []
    for path in sorted(root.glob("Pulumi.*.yaml")):
        stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        if any(str(key).startswith("admin-tasks:") for key in stack_file_config(stack, root)):
            stacks.append(stack)
    return stacks


def committed_settings(environment: str, root: Path) -> dict[str, Any] | None:
    """`launch-settings/ENV.json`, checked as the launcher checks it, or None if absent."""
    path = root / COMMITTED_SETTINGS / f"{environment}.json"
    if not path.is_file():
        return None
    if any(stack_file_config(stack, root).get("admin-tasks:environment", stack) == environment
           for stack in _admin_stacks(root)):
        raise ConfigError(f"both a stack file and {COMMITTED_SETTINGS}/{path.name} configure "
                          f"environment {environment!r}: keep one")
    source = f"{COMMITTED_SETTINGS}/{path.name}"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise ConfigError(f"cannot read {source} as UTF-8 text") from None
    settings = load_settings(text, source)
    if settings.environment != environment:
        raise ConfigError(f"{source} holds the settings of {settings.environment}, not "
                          f"{environment}: commit that environment's launch_settings output")
    document: dict[str, Any] = json.loads(text)
    return document


USAGE = ("usage: python -m infra.render_settings STACK        (reads Pulumi.STACK.yaml)\n"
         "       python -m infra.render_settings --environment ENV")


def render(name: str, *, by_environment: bool, root: Path) -> dict[str, Any]:
    if by_environment:
        validate_environment_name(name)  # before it is part of any file name
    if by_environment and (committed := committed_settings(name, root)) is not None:
        return committed
    stack = stack_of_environment(name, root) if by_environment else name
    return launch_settings(parse_config(stack_file_config(stack, root), stack))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["-h"], ["--help"]):
        print(f"{USAGE}\n\n{__doc__.strip()}")
        return 0
    if len(args) == 2 and args[0] == "--environment":
        args = args[1:]
        find = True
    elif len(args) == 1 and not args[0].startswith("-"):
        find = False
    else:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        settings = render(args[0], by_environment=find, root=Path.cwd())
    except (ConfigError, InvalidInput) as error:
        print(f"infra.render_settings: {error}", file=sys.stderr)
        return 2
    print(json.dumps(settings, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
