from __future__ import annotations

import os
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from perspt_doctor.checks.disk import Place, assess_places
from perspt_doctor.checks.runtime import assess_install, assess_python, missing_requirements
from perspt_doctor.checks.terminal import assess_display, assess_encoding

from perspt_doctor.api import Status
from perspt_doctor.settings.resolve import Flags

from .conftest import run_check


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        pass

    def delete_password(self, service: str, username: str) -> None:
        pass


class BrokenKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        from keyring.errors import KeyringLocked

        raise KeyringLocked("the collection is locked")


def test_keyring_usable_backend() -> None:
    keyring.set_keyring(MemoryKeyring())
    result = run_check("keyring.backend")
    assert result.status is Status.OK and "MemoryKeyring" in result.summary


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()])
def test_keyring_fail_and_null_backends_store_nothing_and_the_key_file_is_used(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)
    result = run_check("keyring.backend")
    assert result.status is Status.OK and "no usable keyring backend" in result.summary
    assert "(it stores nothing)" in result.summary and "keys.json" in result.summary


def test_a_key_file_readable_by_others_fails_with_a_chmod_fix() -> None:
    from perspt_doctor.settings.keyfile import key_file, write_key

    keyring.set_keyring(null.Keyring())
    path = write_key("groq", "gsk_" + "a" * 52)
    assert run_check("keyring.backend").status is Status.OK
    path.chmod(0o644)
    result = run_check("keyring.backend")
    assert result.status is Status.FAIL and "readable by others (mode 644)" in result.summary
    assert result.commands() == [f"chmod 600 {key_file()}"]


def test_a_keyring_backend_variable_that_cannot_load_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "nosuch.module.Keyring")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    result = run_check("keyring.backend")
    assert result.status is Status.FAIL
    assert "PYTHON_KEYRING_BACKEND=nosuch.module.Keyring cannot be loaded" in result.summary


def test_keyring_plaintext_backend_warns() -> None:
    result = run_check("keyring.backend")  # the test suite's file-backed keyring
    assert result.status is Status.WARN and "unencrypted" in result.summary


def test_keyring_that_cannot_be_read_fails() -> None:
    keyring.set_keyring(BrokenKeyring())
    result = run_check("keyring.backend")
    assert result.status is Status.FAIL and "the collection is locked" in result.summary
    assert result.hint and result.hint.startswith("unlock the keyring")


def _config(config_home: Path, text: str, mode: int) -> Path:
    config_home.mkdir(parents=True, exist_ok=True)
    path = config_home / "config.json"
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_security_config_with_key_readable_by_others_fails(config_home: Path) -> None:
    path = _config(config_home, '{"provider": "groq", "api_key": "gsk_' + "z" * 52 + '"}', 0o644)
    result = run_check("security.config_permissions")
    assert result.status is Status.FAIL and "readable by group and others (mode 644)" in result.summary
    assert result.commands() == [f"chmod 600 {path}"] and [f.command for f in result.fixes] == [f"chmod 600 {path}"]


def test_security_private_or_keyless_config_is_fine(config_home: Path) -> None:
    _config(config_home, '{"provider": "groq", "api_key": "gsk_' + "z" * 52 + '"}', 0o600)
    assert run_check("security.config_permissions").summary.endswith("only you can read it (mode 600)")
    _config(config_home, '{"provider": "groq"}', 0o644)
    assert run_check("security.config_permissions").summary.endswith("holds no keys (mode 644)")
    (config_home / "config.json").unlink()
    assert run_check("security.config_permissions").status is Status.SKIP


def test_security_api_key_flag() -> None:
    result = run_check("security.api_key_flag", flags=Flags(api_key="sk-" + "k" * 40, provider="openai"))
    assert result.status is Status.WARN and "process list" in result.summary
    assert result.fix_commands == ["perspt keys set openai"]
    assert run_check("security.api_key_flag").status is Status.OK


def test_security_tls_verification_disabled(config_home: Path) -> None:
    _config(config_home, '{"network": {"verify_tls": false}}', 0o600)
    result = run_check("security.tls_verify")
    assert result.status is Status.WARN and "network.verify_tls is false" in result.summary
    assert result.hint and "network.ca_bundle" in result.hint
    assert run_check("security.tls_verify", env={"PYTHONHTTPSVERIFY": "0"}).status is Status.WARN
    (config_home / "config.json").unlink()
    assert run_check("security.tls_verify").status is Status.OK


def test_runtime_python_verdicts() -> None:
    assert run_check("runtime.python").status is Status.OK
    old = assess_python((3, 9, 18), "final", "CPython", "Linux")
    assert old.status is Status.FAIL and "needs Python 3.10 or newer" in old.summary
    assert old.hint and old.hint.startswith("install Python 3.10+")
    beta = assess_python((3, 14, 0), "beta", "CPython", "Linux")
    assert beta.status is Status.WARN and beta.hint == "if something breaks, try a released Python first"


def test_runtime_install_verdicts() -> None:
    assert run_check("runtime.install").status is Status.OK
    base = {"version": "0.1.0", "method": "installed with pipx", "python": sys.executable, "launcher": None}
    stale = assess_install({**base, "installed_version": "0.0.9"})
    assert stale.status is Status.WARN and stale.hint and stale.hint.startswith("the install is stale")
    other = assess_install({**base, "installed_version": "0.1.0", "launcher": "/usr/bin/perspt",
                            "launcher_python": "/opt/elsewhere/bin/python3"})
    assert other.status is Status.WARN and "runs another Python" in other.summary
    assert other.hint and other.hint.startswith("two copies are installed")


def test_runtime_dependencies_are_present() -> None:
    import tomllib

    declared = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    required = declared["project"]["dependencies"]  # the extras' requirements are not counted
    result = run_check("runtime.dependencies")
    assert result.status is Status.OK
    assert result.summary == f"all {len(required)} required libraries are installed"


def test_runtime_dependencies_reads_metadata_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading and parsing distribution metadata is file work: it runs in a worker thread, not on the loop
    every other check shares."""
    import threading
    from importlib import metadata

    threads: dict[str, str] = {}
    real_requires, real_distribution = metadata.requires, metadata.distribution

    def requires(name: str) -> list[str] | None:
        threads["requires"] = threading.current_thread().name
        return real_requires(name)

    def distribution(name: str) -> metadata.Distribution:
        threads["distribution"] = threading.current_thread().name
        return real_distribution(name)

    monkeypatch.setattr(metadata, "requires", requires)
    monkeypatch.setattr(metadata, "distribution", distribution)
    assert run_check("runtime.dependencies").status is Status.OK
    assert set(threads) == {"requires", "distribution"}
    assert threading.main_thread().name not in threads.values()


def test_only_required_libraries_can_be_missing() -> None:
    requirements = ["click>=8", "perspt-no-such-library>=1", "perspt-no-such-extra>=1; extra == \"dev\"",
                    "pytest; extra == 'test'"]
    assert missing_requirements(requirements) == ["perspt-no-such-library"]


def test_terminal_encoding_verdicts() -> None:
    assert assess_encoding("utf-8", {}).status is Status.OK
    ascii_term = assess_encoding("ascii", {"LANG": "C"})
    assert ascii_term.status is Status.WARN and ascii_term.fix_commands == ["export PYTHONIOENCODING=utf-8"]
    assert ascii_term.hint and ascii_term.hint.startswith("replies with such characters print as '?'")
    assert assess_encoding(None, {}).status is Status.SKIP
    assert run_check("terminal.encoding").status in (Status.OK, Status.WARN)


def test_terminal_display_verdicts() -> None:
    assert assess_display(True, True, {"TERM": "xterm-256color"}, 120).summary == \
        "interactive terminal, 120 columns, colour on"
    piped = assess_display(True, False, {}, 80)
    assert piped.status is Status.OK and piped.summary.startswith("output is not a terminal")
    dumb = assess_display(True, True, {"TERM": "dumb"}, 80)
    assert dumb.status is Status.WARN and dumb.hint and "TERM=xterm-256color" in dumb.hint
    narrow = assess_display(True, True, {"TERM": "xterm"}, 40)
    assert narrow.status is Status.WARN and narrow.hint == "widen the window"
    assert run_check("terminal.display").status is Status.OK  # pytest's stdout is not a TTY


def _place(free: int, writable: bool = True) -> Place:
    return Place("history", Path("/data/perspt"), Path("/data"), free, writable)


def test_disk_space_verdicts() -> None:
    assert run_check("disk.space").status in (Status.OK, Status.WARN, Status.FAIL)
    assert assess_places([_place(10 * 1024**3)]).status is Status.OK
    low = assess_places([_place(200 * 1024**2)])
    assert low.status is Status.WARN and low.hint and low.hint.startswith("space is running low")
    full = assess_places([_place(10 * 1024**2)])
    assert full.status is Status.FAIL and full.summary.startswith("only 10.0 MB free")
    locked = assess_places([_place(10 * 1024**3, writable=False)])
    assert locked.status is Status.FAIL and locked.fix_commands == ['sudo chown -R "$USER" /data']


def test_disk_space_reports_the_real_dirs_without_creating_them(isolated_env: Path) -> None:
    result = run_check("disk.space")
    assert set(result.facts) == {"history", "logs", "doctor runs"}
    assert not (isolated_env / "data" / "perspt").exists()
