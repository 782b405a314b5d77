"""Argv templates: steps whose elements hold ``{name}`` placeholders, and the container
script that runs them.

A parameter's value becomes exactly the part of the one argv element its placeholder
sits in (:func:`container_script`), never split, joined or interpreted by a shell, and
:func:`render_steps` shows the reviewer the same argv. ``{{`` and ``}}`` are literal
braces. An element whose optional parameter was not given is left out.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence

from tasks.contract.parameters import ParameterSpec

MAX_STEPS = 20
MAX_ARGUMENTS = 100
MAX_ARGUMENT_LENGTH = 4096
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
Segment = str | ParameterSpec


def segments(element: str, parameters: Sequence[ParameterSpec]) -> list[Segment]:
    """An argv element as literal text and parameters; ValueError names a bad placeholder."""
    by_name = {parameter.name: parameter for parameter in parameters}
    parts: list[Segment] = []
    position = 0
    for match in _TOKEN.finditer(element):
        parts.append(element[position:match.start()])
        token, position = match.group(0), match.end()
        if token in ("{{", "}}"):
            parts.append(token[0])
        elif match.group(1) is None:
            raise ValueError(f"has a lone {token!r}: write {token * 2} for a literal brace")
        elif match.group(1) not in by_name:
            raise ValueError(f"has the placeholder {token}, which names no parameter")
        else:
            parts.append(by_name[match.group(1)])
    parts.append(element[position:])
    merged: list[Segment] = []
    for part in parts:  # adjacent literal text is one literal
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    return merged


def entry_point_argv(script: str) -> list[str]:
    """``/bin/sh -p -c SCRIPT admin-tasks``. ``-p``: where /bin/sh is bash, it imports no
    functions from the environment (``BASH_FUNC_python%%`` would otherwise replace a
    step's program, or the script's own ``[``) and reads no ``BASH_ENV``/``ENV`` file."""
    return ["/bin/sh", "-p", "-c", script, "admin-tasks"]


def render_steps(steps: Sequence[Sequence[str]], parameters: Sequence[ParameterSpec],
                 values: Mapping[str, str]) -> list[list[str]]:
    """Every step's argv with the values in place: what the reviewer is shown and what the
    container script runs (a step left with no element at all is left out)."""
    return [argv for step in steps if (argv := render_step(step, parameters, values))]


def render_step(step: Sequence[str], parameters: Sequence[ParameterSpec],
                values: Mapping[str, str]) -> list[str] | None:
    argv: list[str] = []
    for element in step:
        parts = segments(element, parameters)
        if any(isinstance(p, ParameterSpec) and p.name not in values for p in parts):
            continue  # an optional parameter that was not given: the element is left out
        argv.append("".join(values[p.name] if isinstance(p, ParameterSpec) else p for p in parts))
    return argv or None


def _shell_word(parts: list[Segment]) -> str:
    """One shell word: literal text single-quoted, each value as a double-quoted variable
    expansion, which the shell neither splits nor globs nor evaluates."""
    return "".join(f'"${{{p.env_var}}}"' if isinstance(p, ParameterSpec) else shlex.quote(p)
                   for p in parts) or "''"


def container_script(steps: Sequence[Sequence[str]],
                     parameters: Sequence[ParameterSpec]) -> str:
    """The ``/bin/sh -c`` script of the task definition's entry point.

    It lives in the entry point, which RunTask overrides cannot change; a command
    override only appends arguments, which the script refuses. Each step's argv is built
    with ``set --`` and run as ``"$@"``; the first failing step ends the task with its
    exit code, and the last step is exec'ed so it receives ECS's stop signal itself.
    """
    lines = ['if [ "$#" -ne 0 ]; then',
             "  echo 'admin-tasks: refusing to run: a command override added arguments to "
             "this task definition; its steps are fixed by the stack' >&2",
             "  exit 2",
             "fi"]
    for parameter in parameters:
        if parameter.required:  # the launcher always passes it; a bare RunTask might not
            lines.append(f'[ -n "${{{parameter.env_var}+set}}" ] || {{ echo "admin-tasks: '
                         f'refusing to run: parameter {parameter.name} ({parameter.env_var}) '
                         'was not passed" >&2; exit 2; }')
    total = len(steps)
    for number, step in enumerate(steps, start=1):
        lines.append("set --")
        for element in step:
            parts = segments(element, parameters)
            word = f'set -- "$@" {_shell_word(parts)}'
            optional = [p.env_var for p in parts if isinstance(p, ParameterSpec) and not p.required]
            guard = " && ".join(f'[ -n "${{{name}+set}}" ]' for name in dict.fromkeys(optional))
            lines.append(f"{guard} && {word} || :" if guard else word)
        label = f"admin-tasks: step {number}/{total}:"
        lines.append(f"printf '%s' {shlex.quote(label)} >&2; printf ' %s' \"$@\" >&2; echo >&2")
        if number == total:
            lines.append('exec "$@"')
        else:
            lines.append('"$@" || { status=$?; echo "admin-tasks: step '
                         f'{number}/{total} failed with exit code $status; the steps after it '
                         'did not run" >&2; exit "$status"; }')
    return "\n".join(lines)
