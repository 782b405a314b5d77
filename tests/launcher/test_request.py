"""The pure parts of a request: ECS's limits hold for any run id or actor."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from tasks.contract.context import RunContext
from tasks.launcher.request import started_by, stop_reason

RUN_IDS = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=128)


@given(RUN_IDS)
def test_started_by_always_fits_ecs(run_id: str) -> None:
    assert re.fullmatch(r"[A-Za-z0-9_/-]{1,128}", started_by(run_id))


@given(RUN_IDS, RUN_IDS)
def test_different_long_run_ids_get_different_started_by(first: str, second: str) -> None:
    long_first, long_second = "x" * 120 + first, "x" * 120 + second
    if long_first != long_second:
        assert started_by(long_first) != started_by(long_second)


def test_a_github_run_id_is_kept_readable() -> None:
    assert started_by("4242-1") == "admin-tasks/4242-1"


@given(st.text(min_size=1, max_size=255))
def test_stop_reasons_fit_ecs(actor: str) -> None:
    reason = stop_reason("cancelled (SIGINT)", RunContext(actor, "4242-1", "why"))
    assert len(reason) <= 255 and reason.startswith("admin-tasks: cancelled (SIGINT) by ")
