"""The default doctor report as a person reads it on terminals 40, 80 and 120 columns wide: the program
runs on a pseudo-terminal of that size and its output is read through a terminal emulator (pyte), so
a word the terminal cut at the edge is seen as the two pieces a reader sees."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pexpect
import pyte
import pytest

from .conftest import perspt

ROWS = 200
TIMING = re.compile(r"\(\d+\.\d\d s\)")
COMMAND = ["doctor", "--offline", "--skip", "terminal.*"]
"""terminal.* says how wide the terminal is, which differs between the screen and the pipe."""


def screen_of(columns: int, *args: str, **env: str) -> list[str]:
    environ = {k: v for k, v in os.environ.items() if k not in UNSTABLE}
    environ.update(TERM="xterm-256color", LANG="C.UTF-8", **env)
    child = pexpect.spawn(sys.executable, ["-m", "perspt_doctor", *args], env=environ, dimensions=(ROWS, columns),
                          timeout=90, encoding="utf-8", codec_errors="replace")
    child.expect(pexpect.EOF)
    child.close()
    screen = pyte.Screen(columns, ROWS)
    pyte.Stream(screen).feed(child.before)
    lines = [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:
        lines.pop()
    return lines


UNSTABLE = ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "NODE_EXTRA_CA_CERTS")
"""Variables of the machine running the tests that change the report (NODE_EXTRA_CA_CERTS adds a
warning row)."""


def stable_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in UNSTABLE}


def pipe(*args: str) -> str:
    """The report off a terminal: one line per row, nothing wrapped."""
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], capture_output=True, text=True,
                          timeout=60, env=stable_env()).stdout


def words(text: str) -> set[str]:
    return set(TIMING.sub("", text).split())


def cut_words(screen: list[str], whole: str, columns: int) -> list[str]:
    """Words on the screen that are not words of the report: pieces of a cut word. A word longer than
    the terminal is wide can only be shown in pieces, so its pieces are not counted."""
    reference = words(whole)
    too_long = [word for word in reference if len(word) > columns]
    marks = {"✓", "✗", "!", "–", "☠"}
    return sorted(word for word in words("\n".join(screen)) - marks - reference
                  if not any(word in long for long in too_long))


@pytest.mark.parametrize("columns", [40, 80, 120])
def test_no_word_is_cut_at_the_edge(columns: int) -> None:
    screen = screen_of(columns, *COMMAND)
    whole = pipe(*COMMAND)
    assert cut_words(screen, whole, columns) == []
    assert max(len(line) for line in screen) > columns - 12, "no line came near the edge: nothing to cut"
    assert "keys.openai" in words("\n".join(screen)) and "OPENAI_API_KEY" in " ".join(screen)


def test_the_cut_detector_sees_a_cut_word() -> None:
    whole = "hint: store it with the required settings"
    assert cut_words(["hint: store it with the requir", "ed settings"], whole, 30) == ["ed", "requir"]
    assert cut_words(["hint: store it with the", "required settings"], whole, 30) == []


def test_at_80_columns_a_missing_key_is_the_first_thing_and_the_report_is_short() -> None:
    screen = screen_of(80, "doctor", "--offline")
    body = [line for line in screen if line.strip()]
    assert body[0].startswith("perspt doctor")
    assert body[1].startswith("  ✗ keys.openai"), body[:3]
    assert len(screen) <= 25, "\n".join(screen)
    hint = next(i for i, line in enumerate(screen) if line.lstrip().startswith("hint: anyone"))
    assert screen[hint + 1].startswith(" " * screen[hint].index("anyone")), "no hanging indent"


def test_no_color_on_a_terminal_still_wraps_with_status_words() -> None:
    screen = screen_of(60, *COMMAND, NO_COLOR="1")
    assert any(line.startswith("  [FAIL] keys.openai") for line in screen)
    assert all(len(line) <= 60 for line in screen)
    assert cut_words(screen, pipe(*COMMAND), 60) == []


def test_force_color_colours_a_pipe_and_empty_no_color_does_not_turn_colour_off() -> None:
    forced = perspt(*COMMAND, env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[1;31m" in forced.stdout
    plain = perspt(*COMMAND, env={"NO_COLOR": ""})
    assert "\x1b[" not in plain.stdout


def test_skips_are_summarised_by_reason_and_verbose_lists_each() -> None:
    args = ("doctor", "--offline", "--only", "ollama.*", "--only", "gpu.*")
    plain = perspt(*args).stdout.splitlines()
    skip_lines = [line for line in plain if line.startswith("[skip]")]
    assert skip_lines == ["[skip] 6 skipped: Ollama is not in use (not the provider, not a fallback, "
                          "OLLAMA_HOST not set) (ollama.*)",
                          "[skip] 3 skipped: no local model server in use (Ollama or a local "
                          "OpenAI-compatible server) (gpu.*)"]
    assert "Summary: 0 ok, 0 warnings, 0 failures, 9 skipped, 0 errors" in "\n".join(plain)
    assert plain[-1].startswith("Nothing was checked") and "No problems found." not in plain
    verbose = perspt(*args, "--verbose").stdout.splitlines()
    assert len([line for line in verbose if line.startswith("  [skip] ollama.")]) == 6
    assert len([line for line in verbose if line.startswith("  [skip] gpu.")]) == 3


def test_a_pipe_gets_no_escape_codes() -> None:
    result = subprocess.run([sys.executable, "-m", "perspt_doctor", *COMMAND], capture_output=True, text=True,
                            timeout=60, env={k: v for k, v in os.environ.items() if k != "FORCE_COLOR"})
    assert "\x1b" not in result.stdout
