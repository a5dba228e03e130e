"""Running the real `perspt` command in a fresh process, the way a user does, inside a private home
(XDG dirs, a file keyring) and behind the network guard in `netguard/`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.infra.home import home_env

GUARD_DIR = Path(__file__).parent / "netguard"


@dataclass
class Home:
    """One user's machine: its XDG dirs and the environment every command runs with."""

    root: Path
    env: dict[str, str]

    @property
    def netlog(self) -> Path:
        return Path(self.env["PERSPT_TEST_NETLOG"])

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def network_violations(self) -> list[str]:
        return self.netlog.read_text(encoding="utf-8").splitlines() if self.netlog.exists() else []


def make_home(root: Path, **extra: str) -> Home:
    root.mkdir(parents=True, exist_ok=True)
    env = home_env(root)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(GUARD_DIR), env.get("PYTHONPATH")]))
    env["PERSPT_TEST_NETLOG"] = str(root / "network-violations.log")
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(extra)
    return Home(root, env)


@dataclass
class Ran:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def perspt(home: Home, *args: str, stdin: str = "", env: dict[str, str] | None = None,
           timeout: float = 60, cwd: Path | None = None) -> Ran:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "perspt_doctor", *args], input=stdin, capture_output=True,
                          text=True, timeout=timeout, env={**home.env, **(env or {})}, cwd=cwd or home.root)
    return Ran(tuple(args), done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def last_reply(home: Home) -> dict[str, Any]:
    """The last message of the last conversation in the history, which must be the assistant's."""
    shown = perspt(home, "history", "show", "--json", "last")
    assert shown.returncode == 0, shown.stderr
    messages = json.loads(shown.stdout)["conversations"][0]["messages"]
    assert messages[-1]["role"] == "assistant", messages[-1]
    return dict(messages[-1])
