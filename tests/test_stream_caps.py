"""The one test of what a stream is and can show (perspt_doctor/colour.py: is_tty, can_encode), behind the
doctor's progress line and its report style."""

from __future__ import annotations

import io

import pytest

from perspt_doctor.colour import can_encode, is_tty
from perspt_doctor.engine.progress import wants_progress
from perspt_doctor.report.colour import ASCII_SYMBOLS, SYMBOLS, WORDS, choose_style


class Tty(io.TextIOWrapper):
    def __init__(self, encoding: str) -> None:
        super().__init__(io.BytesIO(), encoding=encoding)

    def isatty(self) -> bool:
        return True


class Closed(io.StringIO):
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


def test_encoding_decides_the_symbols() -> None:
    assert can_encode(Tty("utf-8"), "✓…") and not can_encode(Tty("ascii"), "✓")
    assert not can_encode(Tty("latin-1"), "✓") and can_encode(Tty("latin-1"), "·")
    assert choose_style(Tty("utf-8"), {"TERM": "xterm"}).symbols == SYMBOLS
    assert choose_style(Tty("ascii"), {"TERM": "xterm"}).symbols == ASCII_SYMBOLS
    assert choose_style(Tty("ascii"), {"TERM": "xterm"}).separator == "-"
    assert choose_style(Tty("utf-8"), {"TERM": "dumb"}).symbols == WORDS


def test_a_tty_is_a_tty_and_nothing_else_is() -> None:
    assert is_tty(Tty("utf-8"))
    assert not is_tty(io.StringIO()) and not is_tty(Closed()) and not is_tty(None)


def test_progress_and_report_agree_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in ({"TERM": "xterm"}, {"TERM": "dumb"}, {"TERM": "xterm", "NO_COLOR": "1"}):
        monkeypatch.setattr("os.environ", env)
        stream = Tty("utf-8")
        assert wants_progress(stream) is choose_style(stream).colour
    assert wants_progress(Closed()) is False
