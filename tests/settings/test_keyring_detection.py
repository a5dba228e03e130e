"""The keyring backend perspt reports is the one keyring itself chooses. Where the Secret Service backend
cannot be chosen (no D-Bus session address, no backend named in the environment or keyring's config
file), perspt skips importing its library; these tests compare perspt's answer with keyring's own,
in fresh processes, with and without a real D-Bus session bus."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PERSPT_VIEW = """
import json, sys
from perspt_doctor.settings.keystore import backend_info
name, usable, why = backend_info()
print(json.dumps({"backend": name, "usable": usable, "why": why,
                  "secretstorage_imported": sys.modules.get("secretstorage") is not None}))
"""
KEYRING_VIEW = """
import json, keyring
backend = keyring.get_keyring()
print(json.dumps({"backend": f"{type(backend).__module__}.{type(backend).__name__}"}))
"""


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / "config"), "XDG_DATA_HOME": str(home / "data")}
    env.update(extra)
    return env


def _ask(code: str, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    answer: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


@pytest.fixture
def session_bus(tmp_path: Path) -> Iterator[str]:
    """A private D-Bus session bus on a socket in tmp_path (no Secret Service on it)."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        pytest.skip("dbus-daemon is not installed (scripts/test.sh installs it)")
    config = tmp_path / "session.conf"
    socket = tmp_path / "bus.sock"
    config.write_text(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path={socket}</listen>
<auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>
<allow own="*"/></policy></busconfig>
""")
    process = subprocess.Popen([daemon, f"--config-file={config}", "--nofork", "--print-address"],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        address = process.stdout.readline().strip()
        assert address.startswith("unix:"), address
        yield address
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def test_without_a_session_bus_the_secret_service_library_is_not_loaded(tmp_path: Path) -> None:
    env = _env(tmp_path)
    perspt = _ask(PERSPT_VIEW, env)
    assert perspt["backend"] == _ask(KEYRING_VIEW, env)["backend"]
    assert perspt["secretstorage_imported"] is False


def test_with_a_session_bus_keyring_asks_it(tmp_path: Path, session_bus: str) -> None:
    env = _env(tmp_path, DBUS_SESSION_BUS_ADDRESS=session_bus)
    perspt = _ask(PERSPT_VIEW, env)
    assert perspt["secretstorage_imported"] is True
    # the bus has no Secret Service on it, so keyring picks another backend (or none): perspt says the same
    assert perspt["backend"] == _ask(KEYRING_VIEW, env)["backend"] != "keyring.backends.SecretService.Keyring"


def test_a_backend_named_in_the_environment_is_left_to_keyring(tmp_path: Path) -> None:
    env = _env(tmp_path, PYTHON_KEYRING_BACKEND="keyring.backends.SecretService.Keyring")
    perspt = _ask(PERSPT_VIEW, env)
    assert perspt["secretstorage_imported"] is True
    assert perspt["backend"] == "keyring.backends.SecretService.Keyring"


def test_a_backend_named_in_keyrings_config_file_is_left_to_keyring(tmp_path: Path) -> None:
    config = tmp_path / "config" / "python_keyring" / "keyringrc.cfg"
    config.parent.mkdir(parents=True)
    config.write_text("[backend]\ndefault-keyring=keyring.backends.SecretService.Keyring\n")
    env = _env(tmp_path)
    perspt = _ask(PERSPT_VIEW, env)
    assert perspt["secretstorage_imported"] is True
    # keyring honours the file, and that backend cannot start without a session bus: perspt reports
    # keyring's own reason rather than a library it pretended was missing
    keyring_itself = subprocess.run([sys.executable, "-c", KEYRING_VIEW], env=env, capture_output=True, text=True,
                                    timeout=60)
    assert "DBUS_SESSION_BUS_ADDRESS is unset" in keyring_itself.stderr
    assert perspt["usable"] is False
    assert "DBUS_SESSION_BUS_ADDRESS is unset" in str(perspt["why"]), perspt


def test_keyring_detection_runs_once_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """keyring's first detection is not thread-safe (it iterates its set of backend classes while another
    caller's imports add to it), and the doctor's warm-up and keyring checks ask from threads at once: a
    working keyring was reported as failing with "Set changed size during iteration". Unit test: a slow
    stand-in for keyring.get_keyring counts how many callers are inside it together."""
    import threading
    import time

    import keyring

    from perspt_doctor.settings import keystore

    inside, most = 0, 0
    count = threading.Lock()

    def slow_get_keyring() -> object:
        nonlocal inside, most
        with count:
            inside += 1
            most = max(most, inside)
        time.sleep(0.05)
        with count:
            inside -= 1
        return "backend"

    monkeypatch.setattr(keyring, "get_keyring", slow_get_keyring)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(keystore._load_backend())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == ["backend"] * 4
    assert most == 1
