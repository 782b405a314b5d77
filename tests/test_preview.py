"""--preview (and ADMIN_TASK_PREVIEW=true) for every command that writes, in every state of
its outcome table: the preview's result line predicts the real run's, its exit code is the
real run's, and the database is exactly as it was before the preview (no audit row either).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.accounts import insert_superuser, insert_user, without_times
from tests.conftest import CHEAP_HASHES, LAUNCHED, CliRun, Database

PASSWORD = "violet-anchor-trombone-41"
PREVIEW_NOTE = ("admin-tasks: this was a preview: its transaction was rolled back and nothing was "
                "written, no audit row either")

#: A preview is about the transaction, not the hash (tests/conftest.py: cheap_hashes).
pytestmark = pytest.mark.usefixtures("cheap_hashes")


@dataclass(frozen=True)
class Scenario:
    argv: list[str]
    setup: Callable[[Database], None]
    code: int
    outcome: str
    env: tuple[tuple[str, str], ...] = ()

    @property
    def profile(self) -> str:
        return "django" if "superuser" in self.argv[0] else "role"


def users(*rows: tuple[str, str, bool, bool]) -> Callable[[Database], None]:
    """(email, role, active, deleted) rows of the role profile."""
    def setup(db: Database) -> None:
        for email, role, active, deleted in rows:
            insert_user(db, email, role=role, active=active, deleted=deleted)
    return setup


def superusers(*rows: tuple[str, bool, bool]) -> Callable[[Database], None]:
    """(username, superuser, active) rows of auth_user; "ops" is named Wilhelmina."""
    def setup(db: Database) -> None:
        for username, superuser, active in rows:
            insert_superuser(db, username, superuser=superuser, active=active,
                             first_name="Wilhelmina" if username == "ops" else "")
    return setup


def without_audit_table(db: Database) -> None:
    users(("a@example.com", "admin", True, False), ("b@example.com", "admin", True, False))(db)
    db.execute("drop table audit_events")


ADMIN, KEEP = ("a@example.com", "admin", True, False), ("keep@example.com", "admin", True, False)
DORMANT, MEMBER = ("a@example.com", "admin", False, False), ("a@example.com", "member", True, False)
GONE = ("a@example.com", "admin", True, True)
OPS, OTHER = ("ops", True, True), ("other", True, True)
EMAIL, USERNAME = ["--email", "a@example.com"], ["--username", "ops"]
SCENARIOS = {
    "seed-admin/no-user": Scenario(["seed-admin", *EMAIL], users(KEEP), 0, "created"),
    "seed-admin/only-soft-deleted": Scenario(["seed-admin", *EMAIL], users(GONE), 0, "created"),
    "seed-admin/active-admin": Scenario(["seed-admin", *EMAIL], users(ADMIN), 0, "exists"),
    "seed-admin/member": Scenario(["seed-admin", *EMAIL], users(MEMBER), 3, "refused"),
    "seed-admin/inactive-admin": Scenario(["seed-admin", *EMAIL], users(DORMANT), 3, "refused"),
    "seed-admin/invalid-email": Scenario(["seed-admin", "--email", "a@@x.com"], users(), 2,
                                         "invalid"),
    "seed-admin/audit-table-missing": Scenario(["seed-admin", *EMAIL], without_audit_table, 4,
                                               "error"),
    "remove-admin/another-active": Scenario(["remove-admin", *EMAIL], users(ADMIN, KEEP), 0,
                                            "removed"),
    "remove-admin/inactive-admin": Scenario(["remove-admin", *EMAIL], users(DORMANT), 0, "removed"),
    "remove-admin/no-user": Scenario(["remove-admin", *EMAIL], users(KEEP), 0, "absent"),
    "remove-admin/only-soft-deleted": Scenario(["remove-admin", *EMAIL], users(GONE, KEEP), 0,
                                               "absent"),
    "remove-admin/member": Scenario(["remove-admin", *EMAIL], users(MEMBER, KEEP), 3, "refused"),
    "remove-admin/only-active-admin": Scenario(["remove-admin", *EMAIL], users(ADMIN), 3,
                                               "refused"),
    "remove-admin/audit-table-missing": Scenario(["remove-admin", *EMAIL], without_audit_table, 4,
                                                 "error"),
    "reactivate-admin/inactive-admin": Scenario(["reactivate-admin", *EMAIL], users(DORMANT), 0,
                                                "reactivated"),
    "reactivate-admin/active-admin": Scenario(["reactivate-admin", *EMAIL], users(ADMIN), 0,
                                              "exists"),
    "reactivate-admin/member": Scenario(["reactivate-admin", *EMAIL], users(MEMBER), 3, "refused"),
    "reactivate-admin/no-live-user": Scenario(["reactivate-admin", *EMAIL], users(GONE), 3,
                                              "refused"),
    "seed-superuser/no-user": Scenario(["seed-superuser", *USERNAME], superusers(OTHER), 0,
                                       "created"),
    "seed-superuser/active": Scenario(["seed-superuser", *USERNAME], superusers(OPS), 0, "exists"),
    "seed-superuser/non-superuser": Scenario(["seed-superuser", *USERNAME],
                                             superusers(("ops", False, True)), 3, "refused"),
    "seed-superuser/inactive": Scenario(["seed-superuser", *USERNAME],
                                        superusers(("ops", True, False)), 3, "refused"),
    "deactivate-superuser/another-active": Scenario(["deactivate-superuser", *USERNAME],
                                                    superusers(OPS, OTHER), 0, "deactivated"),
    "deactivate-superuser/inactive": Scenario(["deactivate-superuser", *USERNAME],
                                              superusers(("ops", True, False), OTHER), 0, "exists"),
    "deactivate-superuser/non-superuser": Scenario(["deactivate-superuser", *USERNAME],
                                                   superusers(("ops", False, True), OTHER), 3,
                                                   "refused"),
    "deactivate-superuser/only-active": Scenario(["deactivate-superuser", *USERNAME],
                                                 superusers(OPS, ("other", True, False)), 3,
                                                 "refused"),
    "deactivate-superuser/no-user": Scenario(["deactivate-superuser", *USERNAME],
                                             superusers(OTHER), 3, "refused"),
    "reset-superuser-password/active": Scenario(["reset-superuser-password", *USERNAME],
                                                superusers(OPS), 0, "password-reset"),
    "reset-superuser-password/non-superuser": Scenario(
        ["reset-superuser-password", *USERNAME], superusers(("ops", False, True)), 3, "refused"),
    "reset-superuser-password/inactive": Scenario(
        ["reset-superuser-password", *USERNAME], superusers(("ops", True, False)), 3, "refused"),
    "reset-superuser-password/no-user": Scenario(["reset-superuser-password", *USERNAME],
                                                 superusers(OTHER), 3, "refused"),
    "reset-superuser-password/like-the-first-name": Scenario(
        ["reset-superuser-password", *USERNAME], superusers(OPS), 2, "invalid",
        env=(("DJANGO_SUPERUSER_PASSWORD", "Wilhelmina-2024!"),)),
}


def environment(db: Database, scenario: Scenario, **extra: str) -> dict[str, str]:
    return db.env(**{"DJANGO_SUPERUSER_PASSWORD": PASSWORD,
                     "DJANGO_SUPERUSER_EMAIL": "ops@example.com",
                     **CHEAP_HASHES, **dict(scenario.env), **extra})


def assert_predicts(preview: CliRun, real: CliRun) -> None:
    assert preview.code == real.code, (preview.stdout, real.stdout)
    predicted, done = preview.result, real.result
    assert (predicted["preview"], done["preview"]) == (True, False)
    for key in ("ok", "outcome", "wasNew", "error"):
        assert predicted.get(key) == done.get(key), key
    if "changes" not in done:  # exit 2 or 4: the error line, nothing else
        return
    assert without_times(predicted["changes"]) == without_times(done["changes"])
    user = done["user"] if done["outcome"] != "created" else {**done["user"], "id": None}
    assert without_times(predicted["user"]) == without_times(user)
    assert predicted["audit"]["event"] == done["audit"]["event"]
    assert predicted["audit"]["recordedIn"] is None and done["audit"]["recordedIn"] is not None


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("how", ["flag", "variable"])
def test_a_preview_predicts_the_real_run_and_writes_nothing(
    database: Database, cli: Any, name: str, how: str,
) -> None:
    scenario = SCENARIOS[name]
    argv = scenario.argv
    assert cli(["init-db", "--profile", scenario.profile], database.env()).code == 0
    scenario.setup(database)
    before = database.snapshot()

    preview = (cli([*argv, "--preview"], environment(database, scenario)) if how == "flag"
               else cli(argv, environment(database, scenario, ADMIN_TASK_PREVIEW="true")))

    assert database.snapshot() == before
    assert (preview.code, preview.result["outcome"]) == (scenario.code, scenario.outcome)
    assert "Traceback" not in preview.stderr
    if scenario.code in (0, 3):
        first, note = preview.stderr.splitlines()
        assert first.startswith("admin-tasks: preview: a real run would say: ")
        assert note == PREVIEW_NOTE
    real = cli(argv, environment(database, scenario, ADMIN_TASK_PREVIEW="false"))
    assert_predicts(preview, real)
    if scenario.code in (0, 3):
        assert preview.stderr.splitlines()[0] == real.stderr.splitlines()[0].replace(
            "admin-tasks: ", "admin-tasks: preview: a real run would say: ", 1)


@pytest.mark.parametrize("value", ["yes", "True", "1", " true", "true\n", "on"])
def test_any_other_preview_value_is_invalid_before_any_connection(cli: Any, value: str) -> None:
    run = cli(["seed-admin", "--email", "a@example.com"],
              {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none", "ADMIN_TASK_PREVIEW": value})

    assert (run.code, run.result) == (2, {
        "ok": False, "outcome": "invalid", "wasNew": False,
        "error": f"ADMIN_TASK_PREVIEW must be true or false, got {value!r}; nothing was run"})
    assert run.stderr.splitlines() == [f"admin-tasks: {run.result['error']}"]


def test_inside_ecs_the_launchers_variable_makes_a_preview(role_db: Database, cli: Any) -> None:
    before = role_db.snapshot()

    run = cli(["seed-admin"], role_db.env(**LAUNCHED, ADMIN_EMAIL="a@example.com",
                                          ADMIN_TASK_PREVIEW="true"))

    assert (run.code, run.result["outcome"], run.result["preview"]) == (0, "created", True)
    assert run.result["audit"]["actor"] == "octocat"
    assert role_db.snapshot() == before


def test_the_flag_wins_over_a_false_variable(role_db: Database, cli: Any) -> None:
    before = role_db.snapshot()

    run = cli(["seed-admin", "--email", "a@example.com", "--preview"],
              role_db.env(ADMIN_TASK_PREVIEW="false"))

    assert (run.code, run.result["outcome"], run.result["preview"]) == (0, "created", True)
    assert role_db.snapshot() == before
