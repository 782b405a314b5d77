"""Fixtures: each stack's program run once per session, under mocks."""

from __future__ import annotations

import pytest

from tests.infra.harness import STACKS, StackRun, run_stack, stack_config


@pytest.fixture(scope="session", params=STACKS)
def stack_run(request: pytest.FixtureRequest) -> StackRun:
    return run_stack(stack_config(request.param), request.param)
