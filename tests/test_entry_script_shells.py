"""An application task's entry point run for real on each common /bin/sh: dash (Debian,
Ubuntu), bash started as sh (Amazon Linux, UBI) and BusyBox ash (Alpine), each as the
invoking user (root here) and as uid 65534. The argv is the generated one, argv[0]
``/bin/sh`` included; only the binary behind it is each shell in turn. A stand-in `python`
first on PATH records each step's argv. The signal tests run the shell as PID 1 of its own
PID namespace, as in a container, when the tests run as root.

Install the shells with ``apt-get install -y dash bash busybox``; a missing one is skipped.
``test_each_guard_is_needed`` removes one guard at a time from the script and shows the
scenario that depends on it failing, so no test here passes without its guard."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tasks.contract.app_tasks import AppTask, parse_app_task
from tasks.contract.argv_templates import STEP_STATE_PATH, container_script, entry_point_argv
from tasks.contract.catalog import task_names
from tasks.contract.entry_script import SCRUB

SHELLS = {"dash": ["/usr/bin/dash", "/bin/dash"], "bash": ["/bin/bash", "/usr/bin/bash"],
          "busybox": ["/bin/busybox", "/usr/bin/busybox"]}
IS_ROOT = os.geteuid() == 0
# The stand-in's interpreter must be one uid 65534 can run (not a venv under /root).
SYSTEM_PYTHON = next((p for p in ("/usr/bin/python3", "/bin/python3") if os.access(p, os.X_OK)),
                     None)
UNSHARE = shutil.which("unshare")
STAND_IN = '''#!{python} -I
import json, os, signal, sys, time
args = sys.argv[1:]
with open({record!r}, "a") as record:
    record.write(json.dumps(args) + "\\n")
if args[1:2] == ["wait_for_stop"]:
    def stop(number, frame):
        with open({marker!r}, "w") as marker:
            marker.write(str(number))
        sys.exit(int(args[2]))
    if args[2] != "die":
        signal.signal(signal.SIGTERM, stop)
    print("ready", flush=True)
    # Python runs a handler between bytecodes: a SIGTERM that lands after the last check
    # and before one long sleep's syscall would wait out the sleep. Short ones bound that.
    for _ in range(600):
        time.sleep(0.1)
    sys.exit(99)
sys.exit(int(os.environ.get("STAND_IN_EXIT_" + args[1].upper(), "0")))
'''
# Started as PID 1 of a new PID namespace, then as the uid, then the shell with argv intact.
EXEC_AS = ("import os, sys\nuid = int(sys.argv[1])\nif uid >= 0:\n"
           "    os.setgroups([]); os.setgid(uid); os.setuid(uid)\n"
           "os.execv(sys.argv[2], sys.argv[3:])\n")
ANY_TEXT = {"type": "string", "description": "any text", "pattern": "(?s).+"}
MIGRATE = {"description": "Migrate, then migrate the schemas, then check",
           "steps": [["python", "manage.py", "migrate", "--schema={schema}"],
                     ["python", "manage.py", "migrate_schemas", "--schema={schema}"],
                     ["python", "manage.py", "check"]],
           "parameters": {"schema": ANY_TEXT}}
STOPPABLE = {"description": "A long second step",
             "steps": [["python", "manage.py", "migrate"],
                       ["python", "manage.py", "wait_for_stop", "{on_stop}"],
                       ["python", "manage.py", "check"]],
             "parameters": {"on_stop": ANY_TEXT}}
HOSTILE_STEP = {"description": "Every kind of element",
                "command": ["python", "manage.py", "tenant_command", "--schema={schema}",
                            "{schema}", "pre{schema}post", "A=b", "", "it's", "*"],
                "parameters": {"schema": ANY_TEXT}}
HIJACKED = ["python", "[", "test", "printf", "echo", "kill", "wait", "command", "unset", "set",
            "trap", "exit", "export", "eval", "exec", "break", "read", "true", "false", "cd"]
MIGRATE_FAILS = [
    "admin-tasks: step 1/3: python manage.py migrate '--schema=a b'",
    "admin-tasks: step 2/3: python manage.py migrate_schemas '--schema=a b'",
    "admin-tasks: step 2/3 failed with exit code 5: python manage.py migrate_schemas "
    "'--schema=a b'",
    "admin-tasks: the steps after it did not run"]


def task(name: str, declaration: dict[str, Any]) -> AppTask:
    return parse_app_task(name, declaration, task_names())


@dataclass
class Run:
    code: int
    stderr: str
    steps: list[list[str]]
    files: set[str]
    progress: list[str] | None

    @property
    def lines(self) -> list[str]:
        return self.stderr.splitlines()


@dataclass
class Box:
    """One shell, one uid, and a directory that uid can write: the stand-in, its record,
    markers, and the stand-in for /run/admin-tasks."""

    shell: str
    uid: int | None
    root: Path
    transforms: list[Callable[[str], str]] = field(default_factory=list)
    stop_timeout: float = 20

    @property
    def state_path(self) -> Path:
        return self.root / "run" / "admin-tasks" / "steps"

    def env(self, **extra: str) -> dict[str, str]:
        return {"PATH": f"{self.root / 'bin'}:/usr/bin:/bin", **extra}

    def argv(self, app_task: AppTask) -> list[str]:
        script = container_script(app_task.steps, app_task.parameters,
                                  state_path=str(self.state_path),
                                  preview_steps=app_task.preview_steps)
        for transform in self.transforms:
            script = transform(script)
        # What /usr/bin/env runs once it removed the option variables (tested on its own in
        # test_the_scrub_keeps_shell_options_and_ps4_out).
        return entry_point_argv(script)[len(SCRUB):]

    def run(self, app_task: AppTask, env: dict[str, str], *extra: str) -> Run:
        user = {} if self.uid is None else {"user": self.uid, "group": self.uid,
                                            "extra_groups": []}
        completed = subprocess.run([*self.argv(app_task), *extra],
                                   executable=self.shell, env=env, cwd=self.root,
                                   capture_output=True, check=False, timeout=self.stop_timeout,
                                   **user)
        return self.result(completed.returncode, completed.stderr)

    def result(self, code: int, stderr: bytes) -> Run:
        record = self.root / "argv.jsonl"
        steps = ([json.loads(line) for line in record.read_text().splitlines()]
                 if record.exists() else [])
        progress = self.state_path.read_text().splitlines() if self.state_path.exists() else None
        files = {p.name for p in self.root.iterdir()} - {"bin", "run", "argv.jsonl",
                                                          "startup.sh"}
        return Run(code, stderr.decode("utf-8", "surrogateescape"), steps, files, progress)

    def stop(self, app_task: AppTask, env: dict[str, str], signum: int) -> Run:
        """Run until the second step is ready, then send ``signum`` to the shell."""
        argv = self.argv(app_task)
        as_pid1 = IS_ROOT and UNSHARE is not None
        if as_pid1:
            command = [str(UNSHARE), "--pid", "--fork", "--kill-child", sys.executable, "-I",
                       "-c", EXEC_AS, str(-1 if self.uid is None else self.uid), self.shell,
                       *argv]
            process = subprocess.Popen(command, env=env, cwd=self.root, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE)
        else:
            process = subprocess.Popen(argv, executable=self.shell, env=env, cwd=self.root,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert process.stdout is not None
            assert process.stdout.readline() == b"ready\n"
            shell_pid = process.pid
            if as_pid1:  # the namespace's PID 1, seen from here
                children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
                (shell_pid,) = map(int, children.read_text().split())
            os.kill(shell_pid, signum)
            _, stderr = process.communicate(timeout=self.stop_timeout)
        finally:
            process.kill()
            process.wait()
        return self.result(process.returncode, stderr)


def _shell_path(name: str) -> str:
    path = next((p for p in SHELLS[name] if os.access(p, os.X_OK)), None)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install -y {name})")
    return path


@pytest.fixture(params=sorted(SHELLS))
def shell(request: pytest.FixtureRequest) -> str:
    return _shell_path(request.param)


@pytest.fixture(params=[None, 65534], ids=["invoker", "uid65534"])
def uid(request: pytest.FixtureRequest) -> int | None:
    if request.param is not None and not (IS_ROOT and SYSTEM_PYTHON):
        pytest.skip("running as another uid needs root and a system python3")
    value: int | None = request.param
    return value


@contextmanager
def make_box(shell: str, uid: int | None) -> Iterator[Box]:
    root = Path(tempfile.mkdtemp(prefix="admin-tasks-shell-"))
    try:
        root.chmod(0o777)
        (root / "bin").mkdir()
        (root / "run" / "admin-tasks").mkdir(parents=True)
        (root / "run" / "admin-tasks").chmod(0o777)
        stand_in = root / "bin" / "python"
        stand_in.write_text(STAND_IN.format(python=SYSTEM_PYTHON or sys.executable,
                                            record=str(root / "argv.jsonl"),
                                            marker=str(root / "stopped")))
        stand_in.chmod(0o755)
        yield Box(shell, uid, root)
    finally:
        shutil.rmtree(root)


@pytest.fixture
def box(shell: str, uid: int | None) -> Iterator[Box]:
    with make_box(shell, uid) as made:
        yield made


def hostile_environment(box: Box) -> dict[str, str]:
    """Exported bash functions for every command the script or a step could name, startup
    files, and the script's own variables preset; each leaves a marker file if it acts."""
    startup = box.root / "startup.sh"
    startup.write_text(f">>{box.root}/startup-read\n")
    functions = {f"BASH_FUNC_{name}%%": f"() {{ >>{box.root}/hijacked-{index}; }}"
                 for index, name in enumerate(HIJACKED)}
    return {**functions, "BASH_ENV": str(startup), "ENV": str(startup),
            "admin_tasks_i": "2", "admin_tasks_stop": "143", "admin_tasks_traps": "x",
            "admin_tasks_state": str(box.root / "elsewhere")}


def test_a_failing_step_is_named_with_its_quoted_argv_and_stops_the_task(box: Box) -> None:
    run = box.run(task("migrate", MIGRATE),
                  box.env(ADMIN_TASK_PARAM_SCHEMA="a b", STAND_IN_EXIT_MIGRATE_SCHEMAS="5"))

    assert run.code == 5
    assert run.lines == MIGRATE_FAILS
    assert run.steps == [["manage.py", "migrate", "--schema=a b"],
                         ["manage.py", "migrate_schemas", "--schema=a b"]]


def test_one_element_and_two_elements_are_shown_apart(box: Box) -> None:
    one = box.run(task("one", {**MIGRATE, "steps": [["python", "manage.py", "migrate",
                                                      "--schema={schema}"]]}),
                  box.env(ADMIN_TASK_PARAM_SCHEMA="a b"))
    two = box.run(task("two", {"description": "two elements",
                               "command": ["python", "manage.py", "migrate", "--schema=a", "b"]}),
                  box.env())

    assert one.lines == ["admin-tasks: step 1/1: python manage.py migrate '--schema=a b'"]
    assert two.lines == ["admin-tasks: step 1/1: python manage.py migrate --schema=a b"]
    assert (one.code, two.code) == (0, 0)


def hostile_values(root: Path) -> list[str]:
    pwned = root / "pwned"
    return [f"$(touch {pwned})", f"`touch {pwned}`", f"a; touch {pwned}", f"a && touch {pwned}",
            "two\nlines", "*", "'", '"', "-rf", "--help", "a b", "it's \"q\" `x`", "${PATH}",
            "\\", "  ", "ünïcødé", "%s%n", "~root", "!x", "{a,b}", "$((1+1))", "x" * 256]


@pytest.mark.parametrize("index", range(len(hostile_values(Path("/x")))))
def test_a_hostile_value_is_one_argv_element_shown_quoted(box: Box, index: int) -> None:
    value = hostile_values(box.root)[index]

    run = box.run(task("hostile", HOSTILE_STEP), box.env(ADMIN_TASK_PARAM_SCHEMA=value))

    argv = ["manage.py", "tenant_command", f"--schema={value}", value, f"pre{value}post", "A=b",
            "", "it's", "*"]
    assert (run.code, run.steps) == (0, [argv])
    assert run.stderr == f"admin-tasks: step 1/1: {shlex.join(['python', *argv])}\n"
    assert "pwned" not in run.files


def test_exported_functions_and_startup_files_change_nothing(box: Box) -> None:
    env = box.env(ADMIN_TASK_PARAM_SCHEMA="a b", STAND_IN_EXIT_MIGRATE_SCHEMAS="5",
                  **hostile_environment(box))

    run = box.run(task("migrate", MIGRATE), env)
    refused = box.run(task("migrate", MIGRATE), env, "extra")

    assert (run.code, run.lines, len(run.steps)) == (5, MIGRATE_FAILS, 2)
    assert run.progress == ["start 1 3", "exit 1 3 0", "start 2 3", "exit 2 3 5", "done 5"]
    assert (refused.code, len(refused.steps)) == (2, 2), "the guard must refuse the argument"
    assert run.files == refused.files == set(), "no function ran and no startup file was read"


def test_options_from_the_environment_change_nothing(box: Box) -> None:
    """bash applies SHELLOPTS and BASHOPTS from the environment; the script resets the
    options that would change it (errexit would skip the failure line, keyword would drop
    A=b, xtrace and verbose would print the script), the rest cannot."""
    options = {"SHELLOPTS": "allexport:errexit:keyword:noclobber:noglob:nounset:pipefail:"
                            "verbose:xtrace",
               "BASHOPTS": "extglob:failglob:nocasematch:nullglob:xpg_echo:expand_aliases"}
    run = box.run(task("migrate", MIGRATE), box.env(
        ADMIN_TASK_PARAM_SCHEMA="a b", STAND_IN_EXIT_MIGRATE_SCHEMAS="5", **options))
    hostile = box.run(task("hostile", HOSTILE_STEP), box.env(ADMIN_TASK_PARAM_SCHEMA="v",
                                                             **options))

    first = "set +a +e +f +m +u +v +x"  # echoed (verbose) and traced before it takes effect
    assert [line for line in run.lines if line not in (first, f"+ {first}")] == MIGRATE_FAILS
    assert run.code == 5
    assert hostile.steps[-1] == ["manage.py", "tenant_command", "--schema=v", "v", "prevpost",
                                 "A=b", "", "it's", "*"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
@pytest.mark.parametrize("on_stop", ["3", "0", "die"])
def test_a_stop_signal_reaches_the_running_step_and_no_later_step_runs(
        box: Box, signum: signal.Signals, on_stop: str) -> None:
    run = box.stop(task("stoppable", STOPPABLE), box.env(ADMIN_TASK_PARAM_ON_STOP=on_stop),
                   signum)

    step_status = {"3": 3, "0": 0, "die": 128 + signal.SIGTERM}[on_stop]
    expected = step_status or 128 + signum
    assert run.code == expected, run.stderr
    assert run.steps == [["manage.py", "migrate"], ["manage.py", "wait_for_stop", on_stop]]
    assert run.files == (set() if on_stop == "die" else {"stopped"})
    if on_stop != "die":
        assert (box.root / "stopped").read_text() == str(int(signal.SIGTERM))
    assert run.lines[-2:] == [
        f"admin-tasks: step 2/3 was stopped by {signum.name} (sent on to it as SIGTERM) and "
        f"exited with code {step_status}: python manage.py wait_for_stop {on_stop}",
        "admin-tasks: the steps after it did not run"]
    assert run.progress == ["start 1 3", "exit 1 3 0", "start 2 3",
                            f"exit 2 3 {step_status}", f"done {expected}"]


def _signal_itself(at: str, when: str) -> Callable[[str], str]:
    """The script sends itself SIGTERM just after ``at`` when ``when`` matches
    ``$admin_tasks_i,$admin_tasks_code``: a stop that arrives at that very point."""
    def transform(script: str) -> str:
        if at not in script:
            raise LookupError(f"the script no longer holds {at!r}")
        return script.replace(at, f"{at}case $admin_tasks_i,$admin_tasks_code in {when}) "
                                  "kill -s TERM $$;; esac\n", 1)
    return transform


def test_a_stop_between_two_steps_runs_neither_the_next_step_nor_any_after(box: Box) -> None:
    box.transforms.append(_signal_itself("$admin_tasks_arg\n  done\n", "2,*"))
    run = box.run(task("migrate", MIGRATE), box.env(ADMIN_TASK_PARAM_SCHEMA="a"))

    assert (run.code, run.steps) == (143, [["manage.py", "migrate", "--schema=a"]])
    assert run.lines[1:] == ["admin-tasks: stopped by SIGTERM before step 2/3, which did not run",
                             "admin-tasks: the steps after it did not run"]
    assert run.progress == ["start 1 3", "exit 1 3 0", "done 143"]


def test_a_stop_as_a_step_starts_is_sent_on_to_it() -> None:
    """The signal arrives before the shell knows the step's pid: it is sent on right after.
    On bash only: dash and BusyBox ash do not block signals around fork, so one that reaches
    the child before it has reset its handlers is lost, and the step runs until ECS's
    SIGKILL (no later step runs either way). Sent by the script itself, it arrives there."""
    with make_box(_shell_path("bash"), None) as box:
        _stop_as_the_step_starts(box)


def _stop_as_the_step_starts(box: Box) -> None:
    box.transforms.append(_signal_itself('command "$@" 3<&- &\n', "2,*"))
    run = box.run(task("stoppable", STOPPABLE), box.env(ADMIN_TASK_PARAM_ON_STOP="3"))

    assert run.code in (3, 143), run.stderr  # stopped before or after its handler was set
    assert run.lines[-1] == "admin-tasks: the steps after it did not run"
    assert [argv[1] for argv in run.steps] in (["migrate"], ["migrate", "wait_for_stop"])


def test_a_stop_just_after_a_step_ended_keeps_its_exit_code(box: Box) -> None:
    """A second ``wait`` for a step already waited for says 127: the first status stands."""
    box.transforms.append(_signal_itself("    admin_tasks_status=$?\n", "2,"))
    run = box.run(task("migrate", MIGRATE), box.env(ADMIN_TASK_PARAM_SCHEMA="a",
                                                    STAND_IN_EXIT_MIGRATE_SCHEMAS="5"))

    assert run.code == 5, run.stderr
    assert run.lines[-2:] == ["admin-tasks: step 2/3 was stopped by SIGTERM (sent on to it as "
                              "SIGTERM) and exited with code 5: python manage.py migrate_schemas "
                              "--schema=a", "admin-tasks: the steps after it did not run"]


def test_exported_kill_and_wait_functions_do_not_stop_the_forwarding(box: Box) -> None:
    env = box.env(ADMIN_TASK_PARAM_ON_STOP="3", **hostile_environment(box))

    run = box.stop(task("stoppable", STOPPABLE), env, signal.SIGTERM)

    assert (run.code, len(run.steps), run.files) == (3, 2, {"stopped"}), run.stderr


def test_an_appended_argument_is_exit_2_before_any_step(box: Box) -> None:
    pwned = box.root / "pwned"
    run = box.run(task("migrate", MIGRATE), box.env(ADMIN_TASK_PARAM_SCHEMA="a"),
                  "touch", str(pwned))

    assert (run.code, run.steps, run.files) == (2, [], set())
    assert run.lines == ["admin-tasks: refusing to run: a command override added arguments "
                         "to this task definition; its steps are fixed by the stack"]
    assert run.progress == ["done 2"]


def test_a_required_parameter_not_passed_is_exit_2_before_any_step(box: Box) -> None:
    run = box.run(task("migrate", MIGRATE), box.env())

    assert (run.code, run.steps) == (2, [])
    assert run.lines == ["admin-tasks: refusing to run: parameter schema "
                         "(ADMIN_TASK_PARAM_SCHEMA) was not passed"]


def test_the_progress_file_has_a_line_per_event(box: Box) -> None:
    run = box.run(task("migrate", MIGRATE), box.env(ADMIN_TASK_PARAM_SCHEMA="a"))

    assert run.code == 0
    assert run.progress == ["start 1 3", "exit 1 3 0", "start 2 3", "exit 2 3 0", "start 3 3",
                            "exit 3 3 0", "done 0"]


@pytest.mark.parametrize("where", ["missing", "not writable"])
def test_without_its_directory_the_progress_file_is_not_written_and_nothing_fails(
        box: Box, where: str) -> None:
    directory = box.root / "run" / "admin-tasks"
    if where == "missing":
        directory.rmdir()
    elif box.uid is None and IS_ROOT:
        pytest.skip("root writes into any directory")
    else:
        directory.chmod(0o755)  # owned by root: uid 65534 cannot write there

    run = box.run(task("migrate", MIGRATE), box.env(ADMIN_TASK_PARAM_SCHEMA="a b",
                                                    STAND_IN_EXIT_MIGRATE_SCHEMAS="5"))

    assert (run.code, run.lines, run.progress) == (5, MIGRATE_FAILS, None)


def test_the_progress_file_is_the_constant_unless_the_program_says_otherwise() -> None:
    migrate = task("migrate", MIGRATE)
    assert f"admin_tasks_state={STEP_STATE_PATH}\n" in container_script(migrate.steps,
                                                                        migrate.parameters)
    assert STEP_STATE_PATH == "/run/admin-tasks/steps"


def test_the_entry_point_is_the_shell_with_the_script_and_argv0() -> None:
    migrate = task("migrate", MIGRATE)
    script = container_script(migrate.steps, migrate.parameters)
    assert entry_point_argv(script) == [*SCRUB, "/bin/sh", "-c", script, "admin-tasks"]
    assert SCRUB[0] == "/usr/bin/env"


def test_the_hostile_environment_is_real_for_a_plain_script() -> None:
    """The control for the function tests: bash started as sh does import these functions,
    and a script that does not guard against them runs them."""
    bash = _shell_path("bash")
    with make_box(bash, None) as made:
        plain = "python manage.py migrate; printf '%s\\n' shown; kill -0 $$; [ 1 ]"
        subprocess.run(["/bin/sh", "-c", plain], executable=bash, check=False, cwd=made.root,
                       env=made.env(**hostile_environment(made)), capture_output=True)
        hijacked = {f"hijacked-{HIJACKED.index(name)}" for name in ("python", "printf", "kill",
                                                                     "[")}
        assert hijacked <= {p.name for p in made.root.iterdir()}


def _without(text: str, replacement: str = "") -> Callable[[str], str]:
    def transform(script: str) -> str:
        if text not in script:  # not an AssertionError: the test must not pass on it
            raise LookupError(f"the script no longer holds {text!r}")
        return script.replace(text, replacement)
    return transform


# guard → (how the script is without it, the scenario above that must then fail)
GUARDS: dict[str, tuple[Callable[[str], str], Callable[[Box], None]]] = {
    "unset -f": (_without("unset -f command printf kill read wait\n"),
                 test_exported_functions_and_startup_files_change_nothing),
    "command": (_without('command "$@" 3<&- &', '"$@" 3<&- &'),
                test_exported_functions_and_startup_files_change_nothing),
    "set +options": (_without("set +a +e +f +m +u +v +x\n"),
                     test_options_from_the_environment_change_nothing),
    "argument refusal": (_without("case $# in 0)", "case $# in *)"),
                         test_an_appended_argument_is_exit_2_before_any_step),
    "variables preset": (_without("admin_tasks_i=0 "),
                         test_exported_functions_and_startup_files_change_nothing),
    "failure ends the task": (_without("    break;; esac\ndone", "    ;; esac\ndone"),
                              test_a_failing_step_is_named_with_its_quoted_argv_and_stops_the_task),
    "quoting for display": (_without("admin_tasks_arg=\\'$admin_tasks_arg$admin_tasks_rest\\'",
                                     "admin_tasks_arg=$admin_tasks_arg$admin_tasks_rest"),
                            test_one_element_and_two_elements_are_shown_apart),
    "progress file": (_without("2>/dev/null >>", ">>"), lambda box: (
        test_without_its_directory_the_progress_file_is_not_written_and_nothing_fails(
            box, "missing"))),
    "trap": (_without("' TERM\n", "' USR2\n"),
             lambda box: test_a_stop_signal_reaches_the_running_step_and_no_later_step_runs(
                 box, signal.SIGTERM, "3")),
    "wait again after a trap": (
        _without('case $admin_tasks_traps in "$admin_tasks_seen") break', "case x in x) break"),
        lambda box: test_a_stop_signal_reaches_the_running_step_and_no_later_step_runs(
            box, signal.SIGTERM, "3")),
    "no step starts after a stop": (
        _without("    admin_tasks_code=$admin_tasks_stop; break;; esac", "    ;; esac"),
        test_a_stop_between_two_steps_runs_neither_the_next_step_nor_any_after),
    "a stop before $! is known": (
        _without('  case $admin_tasks_stop in ?*) kill -s TERM "$admin_tasks_pid" 2>/dev/null;; esac\n'),
        _stop_as_the_step_starts),
    "the first status stands": (_without("?*,127) break", "?*,127x) break"),
                                test_a_stop_just_after_a_step_ended_keeps_its_exit_code),
    "a stop ends the task": (
        _without("admin_tasks_code=$admin_tasks_stop;; esac\n    break;; esac",
                 ";; esac\n    ;; esac"),
        lambda box: test_a_stop_signal_reaches_the_running_step_and_no_later_step_runs(
            box, signal.SIGTERM, "0")),
}


@pytest.mark.parametrize("guard", sorted(GUARDS))
def test_each_guard_is_needed(guard: str) -> None:
    """On bash as sh, the shell where every guard matters, as the invoking user."""
    transform, scenario = GUARDS[guard]
    with make_box(_shell_path("bash"), None) as made:
        made.transforms, made.stop_timeout = [transform], 5
        with pytest.raises((AssertionError, subprocess.TimeoutExpired)):
            scenario(made)


ENVS = {"coreutils env": ["/usr/bin/env"], "busybox env": ["/bin/busybox", "env"]}


@pytest.mark.parametrize("env_tool", ENVS, ids=list(ENVS))
@pytest.mark.parametrize("scrubbed", [True, False], ids=["as deployed", "control: no scrub"])
def test_the_scrub_keeps_shell_options_and_ps4_out(env_tool: str, scrubbed: bool) -> None:
    """The whole entry point, /usr/bin/env included, with bash as /bin/sh (a symlink named
    sh) and uid 65534, for whom bash imports PS4: `SHELLOPTS=xtrace` with a PS4 that runs
    code, and `SHELLOPTS=noexec`, which would run nothing and exit 0. Without the scrub
    (the control) both act; with it neither does, and the steps run."""
    if not IS_ROOT:
        pytest.skip("needs root to run the shell as uid 65534")
    tool = [p for p in ENVS[env_tool] if p.startswith("/")]
    if not all(os.access(p, os.X_OK) for p in tool):
        pytest.skip(f"{env_tool} is not installed")
    with make_box(_shell_path("bash"), 65534) as made:
        (made.root / "shbin").mkdir()
        (made.root / "shbin" / "sh").symlink_to(made.shell)
        migrate = task("migrate", MIGRATE)
        argv = entry_point_argv(container_script(migrate.steps, migrate.parameters,
                                                 state_path=str(made.state_path)))
        argv = [str(made.root / "shbin" / "sh") if a == "/bin/sh" else a for a in argv]
        argv = [*ENVS[env_tool], *argv[1:]] if scrubbed else argv[len(SCRUB):]
        marker = made.root / "ps4-ran"
        for options in ({"SHELLOPTS": "xtrace", "PS4": f"$(: >{marker})"},
                        {"SHELLOPTS": "noexec"}):
            completed = subprocess.run(argv, env=made.env(ADMIN_TASK_PARAM_SCHEMA="s",
                                                          **options),
                                       cwd=made.root, capture_output=True, check=False,
                                       user=65534, group=65534, extra_groups=[], timeout=20)
            ran = made.result(completed.returncode, completed.stderr)
            if scrubbed:
                assert not marker.exists() and ran.code == 0 and len(ran.steps) == 3, ran.stderr
            elif "PS4" in options:
                assert marker.exists()
            else:
                assert ran.steps == [] and ran.code == 0  # noexec: nothing ran, "success"
            (made.root / "argv.jsonl").unlink(missing_ok=True)


PREVIEWABLE = {**MIGRATE, "previewSteps": [
    ["python", "manage.py", "migrate_schemas", "--shared", "--plan"],
    ["python", "manage.py", "migrate_schemas", "--tenant", "--plan", "--schema={schema}"]]}


def test_a_preview_runs_the_preview_steps_instead(box: Box) -> None:
    run = box.run(task("migrate", PREVIEWABLE), box.env(ADMIN_TASK_PARAM_SCHEMA="a b",
                                                        ADMIN_TASK_PREVIEW="true"))
    assert run.code == 0, run.stderr
    assert run.steps == [["manage.py", "migrate_schemas", "--shared", "--plan"],
                         ["manage.py", "migrate_schemas", "--tenant", "--plan", "--schema=a b"]]
    assert "admin-tasks: step 2/2: python manage.py migrate_schemas --tenant --plan " \
        "'--schema=a b'" in run.lines
    real = box.run(task("migrate", PREVIEWABLE), box.env(ADMIN_TASK_PARAM_SCHEMA="s",
                                                         ADMIN_TASK_PREVIEW="false"))
    assert [step[1] for step in real.steps][-3:] == ["migrate", "migrate_schemas", "check"]


@pytest.mark.parametrize(("declaration", "value", "said"), [
    (MIGRATE, "true", "ADMIN_TASK_PREVIEW is true, and this task declares no previewSteps"),
    (PREVIEWABLE, "yes", "ADMIN_TASK_PREVIEW must be true or false"),
    (MIGRATE, "TRUE", "ADMIN_TASK_PREVIEW must be true or false"),
], ids=["no preview steps", "not a boolean", "upper case"])
def test_a_preview_that_cannot_be_honoured_runs_nothing(
        box: Box, declaration: dict[str, Any], value: str, said: str) -> None:
    run = box.run(task("migrate", declaration), box.env(ADMIN_TASK_PARAM_SCHEMA="s",
                                                        ADMIN_TASK_PREVIEW=value))
    assert run.code == 2 and run.steps == []
    assert f"admin-tasks: refusing to run: {said}" in run.lines
