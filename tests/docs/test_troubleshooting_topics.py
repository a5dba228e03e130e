"""docs/troubleshooting.md covers what the guide it replaces covered, in sections a reader can find, and
every perspt command line in those sections is one perspt accepts."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md"

TOPICS = {
    "slow-responses": ("conversation_history_limit", "max_tokens", "/clear"),
    "unexpected-responses": ("system_prompt", "temperature", "top_p", "frequency_penalty", "/clear"),
    "performance": ("network.keep_alive", "network.connection_pool_size", "network.compression"),
    "recovery-flags": ("--force-provider", "--force-model", "--validate-config", "--config-from-env",
                       "--reconfigure", "--fix-issues"),
    "complete-reset": ("perspt config path", "perspt keys delete", "history export", "~/.config/perspt",
                       "~/.local/share/perspt", "~/.local/state/perspt", "~/.cache/perspt", "key file"),
    "earlier-version": ("pip install 'perspt-doctor==", "pipx install --force", "uv tool install --force"),
}


def section(anchor: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"^(#+) .*\{#" + re.escape(anchor) + r"\}\s*$", text, re.M)
    assert match, f"no section with the anchor #{anchor}"
    level = len(match.group(1))
    rest = text[match.end():]
    end = re.search(r"^#{1," + str(level) + r"} ", rest, re.M)
    return rest[: end.start()] if end else rest


@pytest.mark.parametrize("anchor", sorted(TOPICS))
def test_each_topic_has_its_section(anchor: str) -> None:
    body = section(anchor)
    missing = [word for word in TOPICS[anchor] if word not in body]
    assert not missing, f"#{anchor} does not mention {missing}"


def perspt_lines(body: str) -> list[list[str]]:
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", body, re.S):
        for raw in block.splitlines():
            line = raw.split("  #")[0].strip()
            if line.startswith("perspt "):
                lines.append(shlex.split(line)[1:])
    return lines


@pytest.mark.parametrize("anchor", sorted(TOPICS))
def test_every_perspt_command_shown_is_accepted(anchor: str) -> None:
    """Each command's options are parsed by perspt itself (`--help` after them stops before anything
    runs): a renamed or misspelt flag in the docs fails here."""
    for args in perspt_lines(section(anchor)):
        words = [a for a in args if not a.startswith(("-q", "still"))]
        command = [sys.executable, "-m", "perspt_doctor", *words, "--help"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (args, result.stderr)


def test_the_command_check_catches_a_wrong_flag() -> None:
    result = subprocess.run([sys.executable, "-m", "perspt_doctor", "--force-providr", "groq", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
