"""Property test of ``python -m tasks run``'s argument handling.

Whatever argv an operator or a broken workflow passes, the launcher ends with a
documented exit code (0, 1, 2, 124, 130 or the container's own), one JSON result line
and no traceback; a rejected request (exit 2) made no RunTask call and started nothing.
Explicit cases of each rejection live in ``tests/launcher/test_input.py``.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tasks.contract.catalog import MAX_TIMEOUT_SECONDS
from tests.launcher.conftest import FakeClock, Launcher, World, reset_account
from tests.reliability.strategies import valid_addresses

CONTAINER_EXIT_CODES = [0, 3, 4, 42]
LAUNCHER_EXIT_CODES = {0, 1, 2, 124, 130}
EXAMPLES = int(os.environ.get("ADMIN_TASKS_FUZZ_EXAMPLES", "60"))

junk = st.text(max_size=12).filter(lambda text: not text.startswith(("-h", "--h")))
tasks = st.one_of(st.sampled_from(["seed-admin", "seed-superuser", "migrate"]), junk)
params = st.lists(st.builds(lambda key, value: f"{key}={value}" if key is not None else value,
                            st.one_of(st.none(), st.sampled_from(["email", "x", ""])),
                            st.one_of(valid_addresses, junk)), max_size=3)
timeouts = st.one_of(st.integers(-5, MAX_TIMEOUT_SECONDS + 5).map(str), junk)


@st.composite
def argv(draw: st.DrawFn) -> list[str]:
    """Shaped like the workflow's command, each part possibly missing or wrong."""
    parts: list[list[str]] = [
        ["--environment", draw(st.sampled_from(["staging", "prod", ""]) | junk)],
        *(["--param", value] for value in draw(params)),
        ["--reason", draw(st.sampled_from(["first admin", "", " "]) | st.text(max_size=20))],
        ["--timeout", draw(timeouts)], ["--no-wait"], ["--dry-run"]]
    kept = draw(st.lists(st.booleans(), min_size=len(parts), max_size=len(parts)))
    chosen = [token for part, keep in zip(parts, kept, strict=True) if keep for token in part]
    return ["run", draw(tasks), *draw(st.permutations(chosen).map(list))] if draw(
        st.booleans()) else ["run", draw(tasks), *chosen]


@st.composite
def well_formed_argv(draw: st.DrawFn) -> list[str]:
    """What the workflow sends: a real task, staging, a reason, sometimes a timeout or flag."""
    task = draw(st.sampled_from(["seed-admin", "seed-superuser", "migrate"]))
    email = ["--param", f"email={draw(valid_addresses)}"] if task == "seed-admin" else []
    extra = draw(st.lists(st.sampled_from(["--no-wait", "--dry-run", "--timeout"]), unique=True))
    extra = [token for flag in extra for token in (
        [flag, str(draw(st.integers(1, MAX_TIMEOUT_SECONDS)))] if flag == "--timeout" else [flag])]
    return ["run", task, "--environment", "staging", *email, "--reason", "first admin", *extra]


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arguments=st.one_of(argv(), well_formed_argv()), container_exit=st.sampled_from(CONTAINER_EXIT_CODES))
def test_any_argv_ends_with_a_documented_exit_code_and_rejection_calls_nothing(
        launch: Launcher, mocked_network: dict[str, Any], arguments: list[str],
        container_exit: int) -> None:
    launch.world = World(settings=reset_account(mocked_network), ecs=launch.world.ecs,
                         logs=launch.world.logs)
    launch.clock = FakeClock()
    launch.clock.at(1, lambda: [launch.world.stop(exit_code=container_exit)
                                for _ in launch.world.tasks()[:1]])

    run = launch(*arguments)

    event(f"exit {run.exit_code}")
    assert run.exit_code in LAUNCHER_EXIT_CODES | {container_exit}, run.stderr
    assert "Traceback" not in run.stderr
    assert isinstance(run.result, dict) and "ok" in run.result
    if run.exit_code == 2:  # no container here exits 2: this is a rejection
        assert run.result["outcome"] == "invalid"
        assert "RunTask" not in launch.world.calls and launch.world.tasks() == []
