"""Heavy libraries stay out of the processes that do not use them (issue 17: a 400 ms offline doctor,
a fast `perspt -q`). Each case runs a real `perspt` process and lists the modules it imported at exit;
the public check API is lazy (PEP 562) and its table agrees with what mypy sees and with `__all__`."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from perspt_doctor import api
from tests.fakes.openai_fake import openai_fake

ROOT = Path(__file__).resolve().parents[1]

# Runs `perspt ARGS...` in-process and prints, at exit, every top-level package it imported.
PROBE = """import atexit, sys
atexit.register(lambda: sys.stderr.write("\\nIMPORTED " + " ".join(sorted(m for m, v in sys.modules.items() if v is not None)) + "\\n"))
sys.argv = ["perspt", *sys.argv[1:]]
from perspt_doctor.cli import main
main()
"""


def imported(*args: str, env: dict[str, str] | None = None) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)
    line = next((ln for ln in done.stderr.splitlines() if ln.startswith("IMPORTED ")), "")
    assert line, done.stderr[-2000:]
    modules = set(line.split()[1:])
    return {m.split(".")[0] for m in modules} | modules, done


def test_one_shot_question_imports_neither_the_repl_nor_the_keyring_nor_rich() -> None:
    with openai_fake() as fake:
        modules, done = imported("-q", "hi", env={"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.base_url})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip(), "the answer was printed"
    assert "httpx" in modules  # the probe saw a real request's imports
    for heavy in ("prompt_toolkit", "keyring", "rich", "pygments", "psutil", "dns", "httpx._main"):
        assert heavy not in modules, f"`perspt -q` to a pipe imported {heavy}"


def test_key_on_the_command_line_does_not_open_the_keyring() -> None:
    with openai_fake() as fake:
        modules, done = imported("-q", "hi", "-k", "test-key", "--base-url", fake.base_url, "-p", "openai")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "keyring" not in modules


def test_offline_doctor_leaves_the_network_libraries_alone() -> None:
    modules, done = imported("doctor", "--offline")
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert "perspt_doctor.checks.tls" in modules  # every built-in check module was discovered
    for heavy in ("httpx", "httpcore", "dns", "psutil", "rich", "prompt_toolkit", "certifi", "truststore"):
        assert heavy not in modules, f"`perspt doctor --offline` imported {heavy}"
    # the check modules reach the network layers as `api.name` in their bodies: skipped checks cost nothing
    for layer in ("perspt_doctor.transport.probes", "perspt_doctor.transport.dns", "perspt_doctor.transport.proxy",
                  "perspt_doctor.transport.route", "perspt_doctor.transport.factory",
                  "perspt_doctor.providers.registry"):
        assert layer not in modules, f"`perspt doctor --offline` imported {layer}"


def test_importing_one_api_name_imports_only_its_module() -> None:
    code = ("import sys\nfrom perspt_doctor.api import PROVIDERS, check\n"
            "print(' '.join(sorted(m for m, v in sys.modules.items() if v is not None)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    modules = set(done.stdout.split())
    assert "perspt_doctor.catalog" in modules and "perspt_doctor.engine.check_model" in modules
    for heavy in ("httpx", "keyring", "dns", "psutil", "rich", "perspt_doctor.transport.probes",
                  "perspt_doctor.settings.keystore", "perspt_doctor.providers.registry"):
        assert heavy not in modules, f"`from perspt_doctor.api import PROVIDERS, check` imported {heavy}"


def _type_checking_imports() -> dict[str, tuple[str, str]]:
    tree = ast.parse((ROOT / "perspt_doctor" / "api.py").read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
    seen: dict[str, tuple[str, str]] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module, ast.dump(node)
        for alias in node.names:
            seen[alias.asname or alias.name] = (node.module, alias.name)
    return seen


def test_lazy_table_matches_what_mypy_sees_and_all() -> None:
    table = dict(api._WHERE)
    assert _type_checking_imports() == table
    assert set(api.__all__) == set(table) | {"ENTRY_POINT_GROUP"}


@pytest.mark.parametrize("name", sorted(api.__all__))
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(api, name) is not None
    assert name in dir(api)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        api.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        exec("from perspt_doctor.api import no_such_name", {})  # noqa: S102
