"""A missing tool skips a test on a developer machine and fails it under CI."""

from __future__ import annotations

import pytest

from tests.infra.tools import need, unavailable


def test_missing_tool_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-tool-xyz is not installed"):
        need("no-such-tool-xyz")


def test_missing_tool_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        unavailable("tinyproxy is not installed")


def test_present_tool_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    need("sh")


def test_a_signalled_child_starts_with_the_signals_a_foreground_command_gets() -> None:
    """Started from a runner that ignores them (a background job, nohup), the children tests signal still
    get SIGHUP, SIGINT, SIGQUIT and SIGTERM at their defaults (tests/foreground.py)."""
    import subprocess
    import sys

    from tests.foreground import foreground

    show = "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('SigIgn')))"
    mask = {"HUP": 1 << 0, "INT": 1 << 1, "QUIT": 1 << 2, "TERM": 1 << 14}
    ignoring = ["env", "--ignore-signal=HUP,INT,QUIT,TERM"]
    plain = subprocess.run([*ignoring, sys.executable, "-c", show], capture_output=True, text=True, check=True)
    assert all(int(plain.stdout, 16) & bit for bit in mask.values()), plain.stdout
    reset = subprocess.run([*ignoring, *foreground(sys.executable, "-c", show)], capture_output=True, text=True,
                           check=True)
    assert not any(int(reset.stdout, 16) & bit for bit in mask.values()), reset.stdout
