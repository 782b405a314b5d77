"""Argv templates: steps whose elements hold ``{name}`` placeholders, and the container
script that runs them.

A parameter's value becomes exactly the part of the one argv element its placeholder
sits in (:func:`container_script`), never split, joined or interpreted by a shell, and
:func:`render_steps` shows the reviewer the same argv. ``{{`` and ``}}`` are literal
braces. An element whose optional parameter was not given is left out. The entry point's
shell form lives in :mod:`tasks.contract.entry_script`; its names are importable here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from tasks.contract.entry_script import Word, build_script, entry_point_argv
from tasks.contract.parameters import ParameterSpec
from tasks.contract.tenants import TENANT, WORK_PIPE

__all__ = ["MAX_ARGUMENTS", "MAX_ARGUMENT_LENGTH", "MAX_STEPS", "STEP_STATE_PATH", "Segment",
           "container_script", "entry_point_argv", "render_step", "render_steps", "segments"]

MAX_STEPS = 20
MAX_ARGUMENTS = 100
MAX_ARGUMENT_LENGTH = 4096
#: The progress file an audit sidecar reads: ``start <i> <n>``, ``exit <i> <n> <code>``,
#: ``done <code>``, one line each, written only when its directory exists and is writable.
STEP_STATE_PATH = "/run/admin-tasks/steps"
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
    """One shell word: literal text single-quoted, always (so that no word has the form of an
    assignment, which bash's ``set -k`` would take out of the argv), each value as a
    double-quoted variable expansion, which the shell neither splits nor globs nor evaluates."""
    return "".join(f'"${{{p.env_var}}}"' if isinstance(p, ParameterSpec)
                   else "'" + p.replace("'", "'\\''") + "'" for p in parts) or "''"


def container_script(steps: Sequence[Sequence[str]], parameters: Sequence[ParameterSpec], *,
                     state_path: str = STEP_STATE_PATH,
                     preview_steps: Sequence[Sequence[str]] = (),
                     tenant_steps: Sequence[Sequence[str]] = (),
                     work_pipe: str = WORK_PIPE) -> str:
    """The ``/bin/sh -c`` script of the task definition's entry point
    (:mod:`tasks.contract.entry_script` says what it guarantees on which shell).

    It lives in the entry point, which RunTask overrides cannot change; a command override
    only appends arguments, which the script refuses. Each step's argv is built with
    ``set --``, shown shell-quoted and run as a child; the first failing step ends the task
    with its exit code. ``state_path`` is the progress file (tests put it elsewhere).
    """
    required = [(p.name, p.env_var) for p in parameters if p.required]
    return build_script(_words(steps, parameters), required, state_path,
                        _words(preview_steps, parameters),
                        _words(tenant_steps, (*parameters, TENANT)), work_pipe)


def _words(steps: Sequence[Sequence[str]],
           parameters: Sequence[ParameterSpec]) -> list[list[Word]]:
    words = []
    for step in steps:
        parts_of = [segments(element, parameters) for element in step]
        words.append([Word(_shell_word(parts), tuple(
            p.env_var for p in parts if isinstance(p, ParameterSpec) and not p.required))
            for parts in parts_of])
    return words
