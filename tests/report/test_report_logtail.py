from __future__ import annotations

from pathlib import Path

from perspt_doctor.report import logtail


def _record(level: str, message: str) -> str:
    return f"2025-01-01 10:00:00,000 {level} perspt.client: {message}"


def test_error_records_keep_the_last_ones_with_a_shortened_traceback(tmp_path: Path) -> None:
    trace = ["Traceback (most recent call last):", *(f'  File "m{i}.py", line {i}' for i in range(50)),
             "RuntimeError: boom"]
    lines = [_record("ERROR", f"old failure {i}") for i in range(10)]
    lines += [_record("INFO", "fine"), _record("ERROR", "last failure"), *trace, _record("INFO", "after")]
    records = logtail.error_records("\n".join(lines), limit=3)
    assert [r.first_line.split(": ", 1)[1] for r in records] == ["old failure 8", "old failure 9", "last failure"]
    last = records[-1]
    assert last.trace[0] == "Traceback (most recent call last):"
    assert last.trace[-1] == "RuntimeError: boom"
    assert any("lines cut" in line for line in last.trace)
    assert len(last.trace) == logtail.TRACE_HEAD_LINES + 1 + logtail.TRACE_TAIL_LINES


def test_read_tail_is_bounded_and_reaches_into_rotated_files(tmp_path: Path) -> None:
    current = tmp_path / "perspt.log"
    (tmp_path / "perspt.log.1").write_text(_record("ERROR", "from the rotated file") + "\n", encoding="utf-8")
    current.write_text(_record("INFO", "short current file") + "\n", encoding="utf-8")
    text = logtail.read_tail(current, limit=10_000)
    assert text.index("from the rotated file") < text.index("short current file")
    big = "\n".join(_record("INFO", "x" * 100) for _ in range(20_000))
    current.write_text(big + "\n" + _record("ERROR", "newest") + "\n", encoding="utf-8")
    tail = logtail.read_tail(current, limit=4096)
    assert len(tail.encode()) <= 4096
    assert tail.startswith("2025-01-01") and tail.rstrip().endswith("newest")


def test_missing_log_gives_nothing(tmp_path: Path) -> None:
    assert logtail.read_tail(tmp_path / "none.log") == ""
    assert logtail.excerpt(tmp_path / "none.log") == ""
