"""Launch settings of any shape: exit 2 with one line naming the problem, never a traceback."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.launcher.conftest import Launcher, World

RUN = ("run", "seed-admin", "--environment", "staging", "--param", "email=ops@example.com",
       "--reason", "first admin")
STOP = ("stop", "--run-id", "4242-1", "--environment", "staging")
VARIABLE = "launch settings from ADMIN_TASKS_SETTINGS"
TOO_LARGE = ("are larger than 1 MiB: that is not a launch settings document (`pulumi stack "
             "output launchSettings`)")


def number(digits: int) -> str:
    return '{"environment": ' + "7" * digits + "}"


IN_THE_VARIABLE = {
    "a 5,000-digit number": (number(5000),
                             f"{VARIABLE} are not valid JSON (a number has 5000 digits (at most "
                             "100))"),
    "3,000-deep nesting": ("[" * 3000 + "]" * 3000,
                           f"{VARIABLE} are not valid JSON (arrays and objects nest deeper than "
                           "32 levels)"),
    "NaN": ('{"environment": NaN}', f"{VARIABLE} are not valid JSON (NaN is not a JSON value)"),
    "Infinity": ('{"environment": -Infinity}',
                 f"{VARIABLE} are not valid JSON (-Infinity is not a JSON value)"),
    "a huge exponent": ('{"environment": 1e999}',
                        f"{VARIABLE} are not valid JSON (the number 1e999 is out of range)"),
    "a key twice": ('{"environment": "staging", "environment": "prod"}',
                    f"{VARIABLE} are not valid JSON (the key 'environment' appears twice in one "
                    "object)"),
    "more than a megabyte": (" " * (1 << 20) + "{}", f"{VARIABLE} {TOO_LARGE}"),
}


@pytest.mark.parametrize("command", [RUN, STOP], ids=["run", "stop"])
@pytest.mark.parametrize(("text", "message"), IN_THE_VARIABLE.values(),
                         ids=IN_THE_VARIABLE.keys())
def test_settings_of_any_shape_exit_2_with_one_line(
        launch: Launcher, world: World, command: tuple[str, ...], text: str,
        message: str) -> None:
    run = launch(*command, ADMIN_TASKS_SETTINGS=text)

    assert (run.exit_code, run.stderr) == (2, f"admin-tasks: {message}\n")
    assert run.result == {"ok": False, "outcome": "invalid", "wasNew": False, "error": message}
    assert world.clients_made == []


def not_utf8(path: Path) -> str:
    path.write_bytes(b'{"environment": "st\xe4ging"}')
    return f"launch settings from {path} are not UTF-8 text (byte 0xe4 at offset 19)"


def a_directory(path: Path) -> str:
    path.mkdir()
    return f"cannot read launch settings {path}: Is a directory"


def missing(path: Path) -> str:
    return f"cannot read launch settings {path}: No such file or directory"


def a_hundred_gigabytes(path: Path) -> str:
    # Sparse: nothing is written; reading it whole would need 100 GB of memory.
    with path.open("wb") as file:
        file.truncate(100 << 30)
    return f"launch settings from {path} {TOO_LARGE}"


@pytest.mark.parametrize("make", [not_utf8, a_directory, missing, a_hundred_gigabytes])
def test_a_settings_file_of_any_kind_exits_2_with_one_line(
        launch: Launcher, world: World, tmp_path: Path, make: Callable[[Path], str]) -> None:
    path = tmp_path / "settings.json"
    message = make(path)

    run = launch(*RUN, "--settings", str(path), ADMIN_TASKS_SETTINGS="")

    assert (run.exit_code, run.stderr) == (2, f"admin-tasks: {message}\n")
    assert world.clients_made == []


def test_a_settings_file_just_under_the_limit_is_read(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    text = json.dumps(world.settings)
    path.write_text(text + " " * ((1 << 20) - len(text)), encoding="utf-8")
    assert os.path.getsize(path) == 1 << 20

    run = launch(*RUN, "--settings", str(path), "--dry-run", ADMIN_TASKS_SETTINGS="")

    assert run.exit_code == 0, run.stderr


def test_a_file_name_in_the_variable_says_to_pass_it_as_a_file(
        launch: Launcher, world: World) -> None:
    run = launch("run", "seed-admin", "--environment", "staging", "--param",
                 "email=a@example.com", "--reason", "r",
                 ADMIN_TASKS_SETTINGS="/tmp/staging-settings.json")
    assert (run.exit_code, run.stderr) == (
        2, "admin-tasks: ADMIN_TASKS_SETTINGS holds the settings document itself, not a file "
           "name: for a file, pass --settings FILE\n")


def test_settings_from_a_file_for_another_environment_name_the_file(
        launch: Launcher, world: World, tmp_path: Path) -> None:
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(world.settings), encoding="utf-8")
    run = launch("run", "seed-admin", "--environment", "prod", "--settings", str(path),
                 "--param", "email=a@example.com", "--reason", "r")
    assert run.exit_code == 2
    assert run.stderr == (f"admin-tasks: the launch settings from {path} are for staging, not "
                          "prod: use that environment's settings (`python -m infra.render_settings "
                          "--environment prod`, or its stack's launchSettings output)\n")
