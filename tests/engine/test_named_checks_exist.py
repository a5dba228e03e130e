"""Every doctor command a message can name runs checks (issue 13 item 6): the classifier's
`Cause.doctor_command` for every kind (with and without a provider), and every literal
`perspt doctor ... --only '...'` in the client's and the providers' messages, matches at least one check
in a default run and under --offline. A pattern that matches nothing makes the doctor say "matches no
check", which is a dead end for the user the message sent there."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from perspt_doctor.catalog import all_ids
from perspt_doctor.engine.runner import DoctorOptions, UnknownPattern, load_checks, plan_checks
from perspt_doctor.transport.classify import Kind, cause_of
from tests.runtime.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
LITERAL = re.compile(r"perspt doctor(?: --[a-z]+(?: [a-z0-9_-]+)?)* --only '[^'{}A-Z]+'")


def classifier_commands() -> set[str]:
    commands = set()
    for kind in Kind:
        for provider in (None, "openai", "ollama"):
            cause = cause_of(kind, "x", provider=provider)
            command = cause.doctor_command(provider)
            if command:
                commands.add(command)
    return commands


def literal_commands() -> set[str]:
    """Every doctor command spelled out in the product's messages (client, providers, transport, cli)."""
    found = set()
    for path in (ROOT / "perspt_doctor").rglob("*.py"):
        found.update(LITERAL.findall(path.read_text(encoding="utf-8")))
    return found


COMMANDS = sorted(classifier_commands() | literal_commands())


def test_the_collection_is_not_empty() -> None:
    """The regexes must find the commands they are meant to: one per area at least."""
    assert len(classifier_commands()) >= 12
    assert "perspt doctor --only 'auth.*'" in literal_commands()
    assert "perspt doctor --only 'runtime.*'" in COMMANDS
    assert "perspt doctor --provider openai --live --only 'live.*'" in COMMANDS


def options_for(command: str, offline: bool) -> DoctorOptions:
    words = shlex.split(command)[2:]
    only, providers, live = [], [], False
    while words:
        word = words.pop(0)
        if word == "--only":
            only.append(words.pop(0))
        elif word == "--provider":
            providers.append(words.pop(0))
        elif word == "--live":
            live = True
        else:
            raise AssertionError(f"unexpected word {word!r} in {command!r}")
    assert only, command
    return DoctorOptions(only=tuple(only), providers=tuple(providers), offline=offline, live=live)


@pytest.mark.parametrize("offline", [False, True], ids=["default", "offline"])
@pytest.mark.parametrize("command", COMMANDS)
def test_named_command_matches_checks(tmp_path: Path, command: str, offline: bool) -> None:
    settings = make_settings(tmp_path, None)
    options = options_for(command, offline)
    for provider in options.providers:
        assert provider in all_ids()
    declared, _found = load_checks(settings, options)
    try:
        selected, _providers = plan_checks(settings, options, declared)
    except UnknownPattern as exc:
        pytest.fail(f"`{command}` matches no check: {exc.patterns}")
    assert selected, command
