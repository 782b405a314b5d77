"""An application task's entry point, ``/usr/bin/env -u SHELLOPTS … /bin/sh -c SCRIPT
admin-tasks``, and its script.

The one argv runs unchanged on dash (Debian, Ubuntu), bash started as ``sh`` (Amazon
Linux, UBI) and BusyBox ash (Alpine), as root or not (tests/test_entry_script_shells.py).
It has no ``-p``: BusyBox refuses it (``sh: illegal option -p``, exit 2). What holds:

* **No startup file is read.** ``ENV`` is read by interactive shells only, and ``-c`` is
  not one; bash started as ``sh`` reads no startup file at all (``BASH_ENV`` included).
* **No imported function runs.** Only bash imports functions (``BASH_FUNC_name%%``).
  Started as ``sh`` it is in POSIX mode, where special builtins (``set``, ``unset``,
  ``trap``, ``exit``, ``break``, ``:``) are found before functions. The script's first
  commands are two of them: ``set +a +e +f +m +u +v +x`` and ``unset -f`` of the five other
  commands it may run (``command printf kill read wait``, builtins in all three shells); the rest is
  reserved words and expansions (``case``, never ``[``), and each step runs as
  ``command "$@"``, which skips functions whatever the program's name. The script runs no
  external program but the steps, and sets each of its own variables before reading it.
* **No appended argument is taken.** A RunTask command override only appends arguments:
  ``$0`` is ``admin-tasks`` and any ``$1`` is exit 2 before any step.
* **No value is evaluated.** A value is only ever inside double quotes: in ``set --``, in
  the loop that quotes ``"$@"`` for display (``case`` and ``${var%%\\'*}``, never ``eval``)
  and as ``printf``'s argument, not its format. Literal words are always single-quoted, so
  none is an assignment that bash's ``set -k`` would take out of the argv.
* **Steps are children.** Each runs in the background and the shell waits for it. ``TERM``
  and ``INT`` are trapped (the shell is PID 1, which ignores a signal it has no trap for)
  and sent on to the running step as ``SIGTERM``: a non-interactive shell starts every
  background command with ``SIGINT`` ignored, which dash and BusyBox cannot undo without
  a terminal. The script exits with the step's status (``128+n`` when it died of signal
  n, and the stop signal's ``128+n`` when it exited 0) and runs no later step. A signal
  that comes before ``$!`` is known is sent on right after; dash and BusyBox do not block
  signals around fork, so one that reaches the child before it resets its handlers is
  lost (the step then runs until ECS's SIGKILL). A step's standard input is
  ``/dev/null``, as for any background command (ECS attaches none).

* **No shell option comes from the environment.** What ``-p`` kept out of a bash
  ``/bin/sh``: bash applies ``SHELLOPTS`` and ``BASHOPTS`` before its first command, and
  for a non-root user imports ``PS4``, so ``SHELLOPTS=xtrace PS4='$(…)'`` would run code and
  ``SHELLOPTS=noexec`` would run nothing and exit 0. The shell is therefore started through
  ``/usr/bin/env -u SHELLOPTS -u BASHOPTS -u PS4 -u BASH_ENV -u ENV`` (GNU coreutils on
  Debian, Ubuntu, Amazon Linux and UBI; BusyBox's ``env`` applet on Alpine: both take
  ``-u``), which removes them whatever an override sets; the script's first ``set`` resets
  the rest.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

#: Drops the variables a shell reads its options or startup code from, then runs the shell.
SCRUB = ("/usr/bin/env", "-u", "SHELLOPTS", "-u", "BASHOPTS", "-u", "PS4", "-u", "BASH_ENV",
         "-u", "ENV")
SHELL, ARGV0 = ("/bin/sh", "-c"), "admin-tasks"
_SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What shlex.quote leaves unquoted, spelt out: a range such as A-Z would follow the locale.
_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-"
_SIGNALS = (("TERM", 15), ("INT", 2))
_SAY = "printf '%s\\n'"  # then one double-quoted argument, never a value in the format


@dataclass(frozen=True)
class Word:
    """One argv element as shell text; kept only when every variable in ``needs`` is set."""

    text: str
    needs: tuple[str, ...] = ()


def entry_point_argv(script: str) -> list[str]:
    """``/usr/bin/env -u … /bin/sh -c SCRIPT admin-tasks``: a task definition's whole argv."""
    return [*SCRUB, *SHELL, script, ARGV0]


def build_script(steps: Sequence[Sequence[Word]], required: Sequence[tuple[str, str]],
                 state_path: str, preview_steps: Sequence[Sequence[Word]] = (),
                 tenant_steps: Sequence[Sequence[Word]] = (), work_pipe: str = "") -> str:
    """The script; ``required`` holds (parameter, variable) for each value that must be set,
    ``state_path`` the progress file (written only when its directory is there).
    ``preview_steps`` run instead of ``steps`` when ``ADMIN_TASK_PREVIEW`` is ``true`` (the
    launcher sets it for ``--preview``); without them a preview is refused, never run for
    real, and any other value of the variable is refused too. With ``tenant_steps`` the
    script runs what the recorder names on ``work_pipe``, unit by unit (:func:`_units`)."""
    names = [name for step in [*steps, *preview_steps, *tenant_steps] for word in step
             for name in word.needs]
    if not all(_SHELL_NAME.fullmatch(name) for name in [*names, *(v for _, v in required)]):
        raise ValueError("a parameter's variable is not a shell name")
    head = [*_prologue(required, state_path, tenants=bool(tenant_steps)),
            *_mode(len(steps), len(preview_steps))]
    body = [*_argv(steps, preview_steps, tenant_steps), *_run()]
    if not tenant_steps:
        return "\n".join([*head, *body, *_finish()])
    return "\n".join([*head, *_units(body, work_pipe, len(steps), len(preview_steps),
                                      len(tenant_steps))])


def _mode(total: int, preview_total: int) -> list[str]:
    """``s`` (the steps) or ``p`` (the preview steps), and how many there are."""
    lines = ["case ${ADMIN_TASK_PREVIEW-} in"]
    if preview_total:
        lines.append(f"true) admin_tasks_mode=p admin_tasks_total={preview_total};;")
    else:
        lines += ["true)", *_refuse("ADMIN_TASK_PREVIEW is true, and this task declares no "
                                    "previewSteps", last=False)]
    return [*lines, f"'' | false) admin_tasks_mode=s admin_tasks_total={total};;", "*)",
            *_refuse("ADMIN_TASK_PREVIEW must be true or false")]


def _note(event: str) -> str:
    """One progress line: its stderr is /dev/null before ``>>`` is tried, so a missing
    directory (or one not writable) is silent, and printf is no special builtin, so its
    failed redirection does not end the script."""
    return f'{_SAY} "{event}" 2>/dev/null >>"$admin_tasks_state"'


def _refuse(problem: str, *, last: bool = True) -> list[str]:
    """A ``case`` branch's lines that refuse with exit 2, then ``esac`` (``;;`` when the
    branch is not the last)."""
    return [f"  {_SAY} {shlex.quote('admin-tasks: refusing to run: ' + problem)} >&2",
            "  " + _note("done 2"), "  exit 2", "esac" if last else "  ;;"]


def _prologue(required: Sequence[tuple[str, str]], state_path: str, *,
              tenants: bool) -> list[str]:
    lines = ["set +a +e +f +m +u +v +x",
             "unset -f command printf kill read wait",
             f"admin_tasks_state={shlex.quote(state_path)}",
             "admin_tasks_pid= admin_tasks_stop= admin_tasks_signal= admin_tasks_code=0",
             "admin_tasks_what= admin_tasks_tenant=",
             "admin_tasks_i=0 admin_tasks_traps=0",
             "case $# in 0) ;; *)",
             *_refuse("a command override added arguments to this task definition; its "
                      "steps are fixed by the stack")]
    for name, variable in required:  # the launcher always passes it; a bare RunTask might not
        lines += [f"case ${{{variable}+set}} in set) ;; *)",
                  *_refuse(f"parameter {name} ({variable}) was not passed")]
    for signal, number in _SIGNALS:
        lines.append("trap 'admin_tasks_traps=$((admin_tasks_traps + 1)) "
                     f"admin_tasks_stop={128 + number} admin_tasks_signal=SIG{signal}; "
                     'case $admin_tasks_pid in ?*) kill -s TERM "$admin_tasks_pid" '
                     f"2>/dev/null;; esac' {signal}")
    return lines


def _argv(steps: Sequence[Sequence[Word]], preview_steps: Sequence[Sequence[Word]],
          tenant_steps: Sequence[Sequence[Word]] = ()) -> list[str]:
    """The loop's head: step ``$admin_tasks_i``'s argv (of the mode's list) into ``"$@"``;
    break after the last."""
    lines = ["while :; do", "  admin_tasks_i=$((admin_tasks_i + 1))", "  set --",
             "  case $admin_tasks_mode$admin_tasks_i in"]
    numbered = [(f"s{n}", step) for n, step in enumerate(steps, start=1)]
    numbered += [(f"p{n}", step) for n, step in enumerate(preview_steps, start=1)]
    numbered += [(f"t{n}", step) for n, step in enumerate(tenant_steps, start=1)]
    for label, step in numbered:
        lines.append(f"  {label})")
        for word in step:
            needs = list(dict.fromkeys(word.needs))
            add = f'set -- "$@" {word.text}'
            lines.append(f"    case {''.join(f'${{{n}+x}}' for n in needs)} in {'x' * len(needs)}) "
                         f"{add};; esac" if needs else f"    {add}")
        lines.append("    ;;")
    return [*lines, "  *) break;;", "  esac", *_shown()]


def _shown() -> list[str]:
    """``"$@"`` quoted as :func:`shlex.join` would, into ``$admin_tasks_shown``."""
    return [
        "  admin_tasks_shown=",
        '  for admin_tasks_arg in "$@"; do',
        "    case $admin_tasks_arg in",
        "    '') admin_tasks_arg=\\'\\';;",
        f"    *[!{_PLAIN}]*)",
        "      admin_tasks_rest=$admin_tasks_arg admin_tasks_arg=",
        "      while :; do case $admin_tasks_rest in",
        "        *\\'*) admin_tasks_arg=$admin_tasks_arg${admin_tasks_rest%%\\'*}\\'\\\"\\'\\\"\\'",
        "          admin_tasks_rest=${admin_tasks_rest#*\\'};;",
        "        *) admin_tasks_arg=\\'$admin_tasks_arg$admin_tasks_rest\\'; break;;",
        "      esac; done;;",
        "    esac",
        "    admin_tasks_shown=$admin_tasks_shown${admin_tasks_shown:+ }$admin_tasks_arg",
        "  done",
    ]


def _run() -> list[str]:
    """The loop's body: show ``"$@"``, run it as a child and wait for it (a signal trapped
    before ``$!`` is known is sent on right after)."""
    step = "${admin_tasks_what}step $admin_tasks_i/$admin_tasks_total"
    total = "$admin_tasks_total"
    return [
        "  case $admin_tasks_stop in ?*)",
        f'    {_SAY} "admin-tasks: stopped by $admin_tasks_signal before {step}, which did '
        'not run" >&2',
        "    admin_tasks_code=$admin_tasks_stop; break;; esac",
        f'  {_SAY} "admin-tasks: {step}: $admin_tasks_shown" >&2',
        "  " + _note(f"start $admin_tasks_i {total}"),
        '  command "$@" 3<&- &',
        "  admin_tasks_pid=$!",
        '  case $admin_tasks_stop in ?*) kill -s TERM "$admin_tasks_pid" 2>/dev/null;; esac',
        *_wait(),
        "  admin_tasks_pid=",
        "  " + _note(f"exit $admin_tasks_i {total} $admin_tasks_code"),
        "  case $admin_tasks_stop in ?*)",
        f'    {_SAY} "admin-tasks: {step} was stopped by $admin_tasks_signal (sent on to it as '
        'SIGTERM) and exited with code $admin_tasks_code: $admin_tasks_shown" >&2',
        "    case $admin_tasks_code in 0) admin_tasks_code=$admin_tasks_stop;; esac",
        "    break;; esac",
        "  case $admin_tasks_code in 0) ;; *)",
        f'    {_SAY} "admin-tasks: {step} failed with exit code $admin_tasks_code: '
        '$admin_tasks_shown" >&2',
        "    break;; esac",
        "done",
    ]


def _wait() -> list[str]:
    """A trapped signal ends ``wait`` early (128+n): wait again while traps ran; a second
    ``wait`` that finds the step already reaped says 127, and the status had stands."""
    return [
        "  admin_tasks_code=",
        "  while :; do",
        "    admin_tasks_seen=$admin_tasks_traps",
        '    wait "$admin_tasks_pid" 2>/dev/null',  # bash: "pid … is not a child of this shell"
        "    admin_tasks_status=$?",
        "    case $admin_tasks_code,$admin_tasks_status in ?*,127) break;; esac",
        "    admin_tasks_code=$admin_tasks_status",
        '    case $admin_tasks_traps in "$admin_tasks_seen") break;; esac',
        "  done",
    ]


def _finish() -> list[str]:
    return ['case $admin_tasks_code,$admin_tasks_i in 0,* | *,"$admin_tasks_total") ;; *)',
            f"  {_SAY} 'admin-tasks: the steps after it did not run' >&2;; esac",
            _note("done $admin_tasks_code"),
            'exit "$admin_tasks_code"']


def _units(body: list[str], pipe: str, total: int, preview_total: int,
           tenant_total: int) -> list[str]:
    """A tenant task: the recorder names each unit of work on ``pipe`` (a FIFO it created
    in the shared volume and holds open for writing), one line at a time: ``s`` or ``p``
    (the steps of the mode the launcher chose, once), ``t <schema>`` (the tenant steps,
    ``{tenant}`` set to it, never in a preview) or ``e`` (no more). The script opens the
    pipe once, as fd 3 (``command exec``: a pipe that cannot be opened is no fatal
    redirection error, but exit 2 with a message), and ``read`` blocks on it until the
    recorder writes; a trapped signal interrupts that ``read`` in all three shells. Steps
    run with fd 3 closed, so none can read the recorder's lines. A unit's end is the
    progress line ``end <unit> <code>``. The script exits with the first failing unit's
    code (the stop signal's, once stopped)."""
    indented = ["  " + line for line in body]
    return [
        f"admin_tasks_pipe={shlex.quote(pipe)} admin_tasks_unit=0 admin_tasks_failed=0",
        "admin_tasks_allowed=$admin_tasks_mode",
        '{ command exec 3<"$admin_tasks_pipe"; } 2>/dev/null || {',
        f"  {_SAY} 'admin-tasks: refusing to run: the pipe of the recorder cannot be opened: "
        "the task definition is not one this stack registered' >&2",
        "  " + _note("done 2"), "  exit 2", "}",
        "while :; do",
        "  admin_tasks_kind= admin_tasks_tenant=",
        "  read -r admin_tasks_kind admin_tasks_tenant <&3 || admin_tasks_kind=lost",
        "  case $admin_tasks_stop in ?*) break;; esac",
        "  case $admin_tasks_allowed$admin_tasks_kind in",
        f"  ss) admin_tasks_total={total} admin_tasks_what=;;",
        f"  pp) admin_tasks_total={preview_total} admin_tasks_what=;;",
        f"  st) admin_tasks_total={tenant_total} "
        "admin_tasks_what=\"tenant $admin_tasks_tenant: \";;",
        "  *) break;;",
        "  esac",
        "  admin_tasks_mode=$admin_tasks_kind admin_tasks_i=0 admin_tasks_code=0",
        *indented,
        "  admin_tasks_unit=$((admin_tasks_unit + 1))",
        '  case $admin_tasks_code,$admin_tasks_i in 0,* | *,"$admin_tasks_total") ;; *)',
        f'    {_SAY} "admin-tasks: ${{admin_tasks_what}}the steps after it did not run" >&2;; '
        "esac",
        "  " + _note("end $admin_tasks_unit $admin_tasks_code"),
        "  case $admin_tasks_failed,$admin_tasks_code in 0,*) "
        "admin_tasks_failed=$admin_tasks_code;; esac",
        "  case $admin_tasks_stop in ?*) break;; esac",
        "done",
        "case $admin_tasks_stop in ?*) admin_tasks_failed=$admin_tasks_stop;; esac",
        _note("done $admin_tasks_failed"),
        'exit "$admin_tasks_failed"',
    ]
