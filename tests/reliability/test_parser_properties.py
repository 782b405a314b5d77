"""Property tests of the launcher's two parsers of text from outside.

The launch settings (an operator's file or variable): anything is either accepted or
refused with InvalidInput, one line saying why, never another exception. A container's
log line: anything is printed and is either its result line or not, never an exception.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tasks.contract.errors import InvalidInput
from tasks.contract.settings import MAX_JSON_DEPTH, LaunchSettings, load_settings
from tasks.launcher.output import Printer
from tasks.launcher.settings_input import load_launch_settings
from tasks.launcher.summary import MAX_RESULT_LINE, result_line_from
from tests.launcher.conftest import FakeClock
from tests.reliability.strategies import VALID_SETTINGS, json_texts, json_values, settings_texts

EXAMPLES = int(os.environ.get("ADMIN_TASKS_FUZZ_EXAMPLES", "300"))
FAST = settings(max_examples=EXAMPLES, deadline=None)
HOSTILE = ["[" * 3000, '{"ok": true, "d": ' + "[" * 1200 + "]" * 1200 + "}",
           '{"ok": true, "n": ' + "9" * 5000 + "}", '{"ok": NaN}', '{"ok": true, "ok": 1}',
           '{"ok": true, "n": 1e999}', "\ufeff{}", "\udcff", "\x00", ""]


def hostile_examples(test: Any) -> Any:
    for text in HOSTILE:
        test = example(text)(test)
    return test


def settings_or_refusal(text: str) -> LaunchSettings | None:
    try:
        return load_settings(text, "ADMIN_TASKS_SETTINGS")
    except InvalidInput as error:
        message = str(error)
        assert message and "\n" not in message and "\r" not in message, message
        return None


@FAST
@given(st.one_of(json_texts, settings_texts))
@example(json.dumps(VALID_SETTINGS))
@example(json.dumps(VALID_SETTINGS) + "\n")
@example(json.dumps({"environment": "staging", "tasks": [[[[[]]]]]}))
@hostile_examples
def test_any_settings_text_is_accepted_or_refused_with_one_line(text: str) -> None:
    parsed = settings_or_refusal(text)
    if parsed is not None:
        assert parsed.to_document() == json.loads(text)


@FAST
@given(st.binary(max_size=400) | st.text().map(lambda text: text.encode("utf-8", "surrogatepass")))
@example(b"\xff\xfe{}")
@example(json.dumps(VALID_SETTINGS).encode())
def test_any_settings_file_is_accepted_or_refused_with_one_line(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "settings.json"
        path.write_bytes(raw)
        try:
            load_launch_settings(str(path), {}, "staging")
        except InvalidInput as error:
            assert "\n" not in str(error)


def shown(text: str, encoding: str) -> str:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding=encoding, newline="\n")
    Printer(stream, FakeClock()).line(text)
    return raw.getvalue().decode(encoding)


@FAST
@given(st.one_of(json_texts, st.text(), st.text().map(lambda text: "{" + text + "}")))
@hostile_examples
def test_any_log_line_is_printed_and_is_a_result_line_or_not(text: str) -> None:
    result = result_line_from(text)
    assert result is None or isinstance(result["ok"], bool)
    for encoding in ("utf-8", "ascii"):
        assert shown(text, encoding).endswith("\n")
    if not any("\ud800" <= ch <= "\udfff" for ch in text):  # else written escaped
        assert shown(text, "utf-8") == text + "\n"


def depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


@FAST
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5), st.booleans())
def test_every_bounded_json_object_with_a_boolean_ok_is_a_result_line(
        fields: dict[str, Any], ok: bool) -> None:
    line = json.dumps({**fields, "ok": ok}, allow_nan=False) if _finite(fields) else None
    if line is None or len(line) > MAX_RESULT_LINE or depth(fields) > MAX_JSON_DEPTH:
        return
    assert result_line_from(line) == {**fields, "ok": ok}


def _finite(value: object) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except ValueError:
        return False
    return True
