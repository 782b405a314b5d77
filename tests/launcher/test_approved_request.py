"""The gated job starts only the request the reviewer approved, and a refusal names what
differs: the task, environment, parameters, reason, preview flag, timeout or launch
settings, and nothing else. The digest decides; the parts of the check's request output
only explain. ECS is moto: a refusal makes no AWS call at all."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.launcher.conftest import Launch, Launcher, World, in_github
from tests.launcher.fake_github import FakeGithub
from tests.launcher.test_run import SEED

#: How a refusal names each part of a request.
NAMES = ("the task", "the environment", "the parameters", "the reason", "the preview flag",
         "the timeout", "the launch settings")
INPUTS_DIFFER = ("from what was approved: this run was given other inputs than its check (in "
                 "GitHub, only an edited workflow does that); start a new run from the "
                 "unchanged workflow")
SETTINGS_DIFFER = ("the launch settings differ in {what}: the deployed staging stack is not "
                   "what its stack file on main renders, or it changed since the request was "
                   "shown; run `pulumi up` for staging, then start a new run")


def named(stderr: str) -> list[str]:
    return [name for name in NAMES if re.search(rf"\b{name}\b", stderr)]


def cause(run: Launch) -> str:
    """The refusal after its head (which digests were compared), before 'nothing was started'."""
    head, _, rest = run.stderr.partition("…): ")
    assert head.startswith("admin-tasks: what would run differs from the approval request the "
                           "reviewer saw ("), run.stderr
    assert rest.endswith("; nothing was started\n"), run.stderr
    return rest.removesuffix("; nothing was started\n")


def replaced(old: str, new: str) -> list[str]:
    assert old in SEED
    return [new if argument == old else argument for argument in SEED]


def in_prod(world: World) -> dict[str, str]:
    """The gated job of a run whose environment input became prod: prod's settings."""
    settings = copy.deepcopy(world.settings) | {"environment": "prod"}
    return {"ADMIN_TASKS_SETTINGS": json.dumps(settings)}


Change = Callable[[World], dict[str, str]]


def unchanged(world: World) -> dict[str, str]:
    return {}


def deployed(key: str, value: Any, *, of_the_task: bool = False) -> Change:
    """The stack deployed since the check: one value of the settings (or of seed-admin's
    entry in them) is another."""
    def change(world: World) -> dict[str, str]:
        (world.settings["tasks"]["seed-admin"] if of_the_task else world.settings)[key] = value
        return {}
    return change


CASES: list[tuple[str, list[str], Change, list[str], str]] = [
    ("task", replaced("seed-admin", "remove-admin"), unchanged, ["the task"],
     f"the task differs {INPUTS_DIFFER}"),
    ("environment", replaced("staging", "prod"), in_prod, ["the environment"],
     f"the environment differs {INPUTS_DIFFER}"),
    ("parameters", replaced("email=Ops@Example.com", "email=other@example.com"), unchanged,
     ["the parameters"], f"the parameters differ {INPUTS_DIFFER}"),
    ("reason", replaced("first admin for launch", "another reason"), unchanged, ["the reason"],
     f"the reason differs {INPUTS_DIFFER}"),
    ("preview", [*SEED, "--preview"], unchanged, ["the preview flag"],
     f"the preview flag differs {INPUTS_DIFFER}"),
    ("timeout", [*SEED, "--timeout=120"], unchanged, ["the timeout"],
     f"the timeout differs {INPUTS_DIFFER}"),
    ("network in the settings", list(SEED), deployed("subnets", ["subnet-0123456789abcdef0"]),
     ["the launch settings"], SETTINGS_DIFFER.format(what="subnets")),
    ("timeout in the settings", list(SEED),
     deployed("timeoutSeconds", 900, of_the_task=True),
     ["the launch settings"], SETTINGS_DIFFER.format(what="tasks.seed-admin.timeoutSeconds")),
    ("image in the settings", list(SEED),
     deployed("imageRef", "111111111111.dkr.ecr.eu-west-1.amazonaws.com/admin-tasks:2026.12.01",
              of_the_task=True),
     ["the launch settings"], SETTINGS_DIFFER.format(what="tasks.seed-admin.imageRef")),
    ("reason and settings", replaced("first admin for launch", "another reason"),
     deployed("timeoutSeconds", 900, of_the_task=True),
     ["the reason", "the launch settings"],
     f"the reason differs {INPUTS_DIFFER}; and "
     + SETTINGS_DIFFER.format(what="tasks.seed-admin.timeoutSeconds")),
    ("parameters and reason", [
        *replaced("email=Ops@Example.com", "email=other@example.com")[:-1], "another reason"],
     unchanged, ["the parameters", "the reason"],
     f"the parameters and the reason differ {INPUTS_DIFFER}"),
]


@pytest.mark.parametrize(("argv", "change", "names", "message"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_a_refusal_names_what_differs_and_only_that(
        launch: Launcher, world: World, github_api: FakeGithub, argv: list[str],
        change: Change, names: list[str], message: str) -> None:
    approved = launch(*SEED, "--check").result["request"]
    environ = change(world)

    run = launch(*argv, f"--approved-request={approved}", **in_github(github_api), **environ)

    assert (run.exit_code, run.result["outcome"]) == (3, "refused"), run.stderr
    assert named(run.stderr) == names
    assert cause(run) == message
    assert "Traceback" not in run.stderr
    assert world.clients_made == [] and world.tasks() == []


def test_what_the_reviewer_saw_is_started(
        launch: Launcher, world: World, github_api: FakeGithub) -> None:
    approved = launch(*SEED, "--check").result["request"]
    launch.clock.at(1, lambda: world.stop(exit_code=0))

    run = launch(*SEED, f"--approved-request={approved}", **in_github(github_api))

    assert run.exit_code == 0 and len(world.tasks()) == 1
    assert run.result["approvedBy"] == ["bob"]


def test_the_digest_decides_even_when_every_part_matches(
        launch: Launcher, world: World, github_api: FakeGithub) -> None:
    """A request output whose parts are all this request's but whose digest is another's
    starts nothing: the parts never allow a run."""
    parts = launch(*SEED, "--check").result["request"][64:]

    run = launch(*SEED, f"--approved-request={'0' * 64}{parts}", **in_github(github_api))

    assert run.exit_code == 3 and named(run.stderr) == []
    assert cause(run) == ("none of its parts does, so the check and this run computed the "
                          "request differently (another version of the launcher); start a new "
                          "run")
    assert world.clients_made == [] and world.tasks() == []


def test_parts_that_differ_do_not_refuse_the_approved_digest(
        launch: Launcher, world: World, github_api: FakeGithub) -> None:
    digest = launch(*SEED, "--check").result["request"][:64]
    launch.clock.at(1, lambda: world.stop(exit_code=0))

    run = launch(*SEED, f"--approved-request={digest}.reason-{'0' * 16}",
                 **in_github(github_api))

    assert run.exit_code == 0 and len(world.tasks()) == 1


def test_a_bare_digest_is_checked_and_a_refusal_says_it_cannot_name_the_cause(
        launch: Launcher, world: World, github_api: FakeGithub) -> None:
    digest = launch(*SEED, "--check").result["request"][:64]

    run = launch(*replaced("first admin for launch", "another reason"),
                 f"--approved-request={digest}", **in_github(github_api))

    assert run.exit_code == 3 and named(run.stderr) == []
    assert run.stderr.endswith("…); the approved digest alone cannot say what differs (pass "
                               "the check's whole request output to see it); nothing was "
                               "started\n")
    assert world.clients_made == [] and world.tasks() == []
