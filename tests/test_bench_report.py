"""``make bench`` rewrites docs/BENCHMARKS.md from the benchmarks' output: each section's
generated block and nothing else; a failing benchmark leaves its section as it was; a
document without a section's markers is refused before anything runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import report

ROOT = Path(__file__).resolve().parent.parent


def _document(*names: str) -> str:
    return "# Benchmarks\n\n" + "".join(
        f"## {name}\n\nhand-written prose of {name}\n\n{report.begin(name)}\n\nold figures "
        f"of {name}\n\n{report.end(name)}\n\nwhat {name} means\n\n" for name in names)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two benchmarks: one prints its figures, one fails after printing half of them."""
    (tmp_path / "good.py").write_text("import sys\nprint('### Machine\\n\\n- args', sys.argv[1:])\n")
    (tmp_path / "bad.py").write_text("print('half a table')\nraise SystemExit(3)\n")
    document = tmp_path / "BENCHMARKS.md"
    monkeypatch.setattr(report, "ROOT", tmp_path)
    monkeypatch.setattr(report, "DOCUMENT", document)
    monkeypatch.setattr(report, "SECTIONS", {"good": "good.py", "bad": "bad.py"})
    document.write_text(_document("good", "bad"))
    return document


def test_each_section_gets_its_benchmarks_output_and_the_prose_stays(fake: Path) -> None:
    assert report.main(["good", "--", "--repeats", "2"]) == 0
    text = fake.read_text()
    assert "- args ['--repeats', '2']" in text and "old figures of good" not in text
    assert "hand-written prose of good" in text and "what good means" in text
    assert "old figures of bad" in text  # not asked for: untouched
    assert report.main(["good"]) == 0 and text.count(report.begin("good")) == 1


def test_a_failing_benchmark_leaves_its_section_and_the_run_fails(fake: Path) -> None:
    assert report.main([]) == 1
    text = fake.read_text()
    assert "old figures of bad" in text and "half a table" not in text
    assert "- args []" in text  # the other one was still written


@pytest.mark.parametrize("damage", ["missing", "begin twice"])
def test_a_damaged_marker_is_refused_before_any_benchmark_runs(fake: Path,
                                                               damage: str) -> None:
    text = _document("good") if damage == "missing" else _document("good", "bad").replace(
        report.end("good"), report.begin("bad") + "\n" + report.end("good"))
    fake.write_text(text)
    with pytest.raises(SystemExit, match="markers of section 'bad'"):
        report.main([])
    assert "old figures of good" in fake.read_text()


def test_a_benchmark_that_prints_nothing_leaves_its_section(fake: Path) -> None:
    (fake.parent / "good.py").write_text("")
    assert report.main(["good"]) == 1
    assert "old figures of good" in fake.read_text()


def test_an_unknown_section_is_a_usage_error(fake: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert report.main(["nope"]) == 2
    assert "unknown section 'nope'" in capsys.readouterr().err


def test_the_real_document_has_every_sections_markers_once() -> None:
    text = (ROOT / "docs" / "BENCHMARKS.md").read_text()
    for name in report.SECTIONS:
        rewritten = report.replace_section(text, name, "x")  # raises unless exactly once
        assert f"{report.begin(name)}\n\nx\n\n{report.end(name)}" in rewritten
        assert (ROOT / report.SECTIONS[name]).is_file()
