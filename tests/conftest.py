"""Every test runs with its own config, data, state and cache dirs, a file-backed keyring, and an
environment stripped of provider keys, proxies and CA settings, so nothing on the developer's
machine leaks in and nothing the tests do leaks out."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.infra.home import home_env, is_stripped


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("perspt-home")
    for name in list(os.environ):
        if is_stripped(name):
            monkeypatch.delenv(name, raising=False)
    for name, value in home_env(root).items():
        if os.environ.get(name) != value:
            monkeypatch.setenv(name, value)
    _reset_keyring()
    from perspt_doctor import redact

    redact.reset_default_redactor()
    yield root
    redact.reset_default_redactor()


def _reset_keyring() -> None:
    try:
        import keyring
        from keyrings.alt.file import PlaintextKeyring
    except ImportError:
        return
    keyring.set_keyring(PlaintextKeyring())


@pytest.fixture
def config_home(isolated_env: Path) -> Path:
    """`~/.config/perspt` of the isolated user (not created)."""
    return isolated_env / "config" / "perspt"
