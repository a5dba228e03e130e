"""The bad-input corpus (issue 14, item 15): arguments, environment values and files a user can get
wrong. Every one ends with one clear line and exit code 1 or 2: never `internal error` (exit 70), never a
traceback, never a raw exception type name such as `ValueError` or `ExceptionGroup`. Nothing here may
reach the network (the guard in netguard/ records any attempt)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.reliability.clienv import Home, make_home, perspt

RAW_TYPE_NAME = re.compile(r"\b(?:[A-Z][a-z0-9]+)+(?:Error|Exception|Interrupt)\b|\bExceptionGroup\b|"
                           r"\bOverflowError\b")


@dataclass
class Bad:
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Home], None] | None = None
    codes: tuple[int, ...] = (1, 2)
    says: str = ""
    """A fragment of the one clear line."""


def _config(text: str) -> Callable[[Home], None]:
    def write(home: Home) -> None:
        path = home.path("config", "perspt", "config.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return write


def _special_config(kind: str) -> Callable[[Home], None]:
    def make(home: Home) -> None:
        path = home.path("config", "perspt", "config.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "fifo":
            os.mkfifo(path)
        else:
            path.mkdir()
    return make


def _file(name: str, data: bytes) -> Callable[[Home], None]:
    def write(home: Home) -> None:
        home.path(name).write_bytes(data)
    return write


KEY = {"OPENAI_API_KEY": "sk-corpus-key-0123456789"}
BIG = "99999999999999999999999"

CORPUS: dict[str, Bad] = {
    # history
    "history_show_huge_id": Bad(("history", "show", BIG), codes=(2,), says="not a conversation id"),
    "history_show_negative_id": Bad(("history", "show", "-5"), codes=(2,)),
    "history_show_word": Bad(("history", "show", "abc"), codes=(2,), says="not a conversation id"),
    "history_export_to_root": Bad(("history", "export", "/"), says="is a directory"),
    "history_export_huge_id": Bad(("history", "export", "--id", BIG, "out.json"), codes=(2,)),
    "history_clear_huge_id": Bad(("history", "clear", BIG, "--yes"), codes=(2,)),
    "history_import_dev_zero": Bad(("history", "import", "/dev/zero"), codes=(2,), says="not a regular file"),
    "history_import_missing": Bad(("history", "import", "missing.json"), codes=(2,)),
    "history_import_not_json": Bad(("history", "import", "bad.json"), setup=_file("bad.json", b"{nope"), codes=(2,),
                                   says="invalid JSON"),
    "history_import_too_deep": Bad(("history", "import", "deep.json"),
                                   setup=_file("deep.json", b"[" * 100_000 + b"]" * 100_000), codes=(2,)),
    "history_import_not_utf8": Bad(("history", "import", "latin.json"), setup=_file("latin.json", b'{"a": "\xe9"}'),
                                   codes=(2,)),
    # report and triage
    "report_output_root": Bad(("report", "-o", "/", "--offline", "-y"), says="is a directory"),
    "report_bundle_root": Bad(("report", "--bundle", "/", "-o", "r.md", "--offline", "-y"), says="is a directory"),
    "report_from_json_dev_zero": Bad(("report", "--from-json", "/dev/zero"), codes=(2,), says="not a regular file"),
    "report_from_json_garbage": Bad(("report", "--from-json", "g.json"), setup=_file("g.json", b"\x00\xff garbage"),
                                    codes=(2,)),
    "report_from_json_directory": Bad(("report", "--from-json", "."), codes=(2,)),
    "report_timeout_nan": Bad(("report", "--timeout", "nan", "--offline", "-y"), codes=(2,), says="finite"),
    "report_timeout_negative": Bad(("report", "--timeout", "-1", "--offline", "-y"), codes=(2,)),
    "triage_dev_zero": Bad(("triage", "/dev/zero"), codes=(1,), says="not a regular file"),
    "triage_not_utf8": Bad(("triage", "latin.md"), setup=_file("latin.md", b"\xff\xfe\x00report"), codes=(1,)),
    # doctor
    "doctor_timeout_nan": Bad(("doctor", "--timeout", "nan"), codes=(2,), says="finite"),
    "doctor_timeout_inf": Bad(("doctor", "--timeout", "inf"), codes=(2,), says="finite"),
    "doctor_only_unknown": Bad(("doctor", "--only", "nosuch.*"), codes=(2,)),
    "doctor_checks_dir_missing": Bad(("doctor", "--checks-dir", "/nonexistent-dir"), codes=(2,)),
    # config files
    "config_reset_on_fifo": Bad(("config", "reset", "--yes"), setup=_special_config("fifo"), codes=(2,),
                                says="not a regular file"),
    "config_reset_on_directory": Bad(("config", "reset", "--yes"), setup=_special_config("dir"), codes=(2,),
                                     says="directory"),
    "config_show_dev_zero": Bad(("config", "show"), env={"PERSPT_CONFIG": "/dev/zero"}, codes=(2,),
                                says="not a regular file"),
    "config_show_directory": Bad(("config", "show"), env={"PERSPT_CONFIG": "."}, codes=(2,)),
    "config_show_bad_json": Bad(("config", "show"), setup=_config('{"timeout": }'), codes=(2,)),
    "config_show_nan_timeout": Bad(("config", "show"), setup=_config('{"timeout": NaN}'), codes=(2,)),
    "config_show_not_utf8": Bad(("config", "show"), setup=lambda h: _config("")(h) or h.path(
        "config", "perspt", "config.json").write_bytes(b'{"model": "\xe9"}'), codes=(2,)),
    # the environment goes through the same schema as the file
    "env_timeout_word": Bad(("-q", "hi", "-p", "ollama"), env={"PERSPT_TIMEOUT": "abc"}, codes=(2,),
                            says="PERSPT_TIMEOUT"),
    "env_timeout_nan": Bad(("config", "show"), env={"PERSPT_TIMEOUT": "nan"}, codes=(2,), says="finite"),
    "env_timeout_negative": Bad(("config", "show"), env={"PERSPT_TIMEOUT": "-3"}, codes=(2,), says="at least"),
    "env_pool_size_zero": Bad(("config", "show"), env={"PERSPT_NETWORK_CONNECTION_POOL_SIZE": "0"}, codes=(2,),
                              says="PERSPT_NETWORK_CONNECTION_POOL_SIZE"),
    "env_stream_maybe": Bad(("config", "show"), env={"PERSPT_STREAM": "maybe"}, codes=(2,), says="PERSPT_STREAM"),
    "env_reply_timeout_zero": Bad(("config", "show"), env={"PERSPT_NETWORK_REPLY_TIMEOUT": "0"}, codes=(2,),
                                  says="PERSPT_NETWORK_REPLY_TIMEOUT"),
    "env_log_level_loud": Bad(("config", "show"), env={"PERSPT_DEBUG_LOG_LEVEL": "loud"}, codes=(2,)),
    # keys and URLs are refused before any request
    "key_not_ascii": Bad(("-q", "hi", "-p", "openai", "-k", "sk-kéy-0123456789"), env=KEY, says="API key"),
    "key_line_break": Bad(("-q", "hi", "-p", "openai", "-k", "sk-abc\ndef-0123456789"), env=KEY, says="API key"),
    "base_url_port_out_of_range": Bad(("-q", "hi", "-p", "openai", "--base-url", "http://127.0.0.1:99999/v1"),
                                      env=KEY, says="base URL"),
    "base_url_unclosed_bracket": Bad(("-q", "hi", "-p", "openai", "--base-url", "http://[::1"), env=KEY,
                                     says="base URL"),
    "models_base_url_port_out_of_range": Bad(("models", "-p", "openai"),
                                             env={**KEY, "OPENAI_BASE_URL": "http://127.0.0.1:99999"}, codes=(2,),
                                             says="base URL"),
    "unknown_provider": Bad(("-q", "hi", "-p", "nosuchprovider"), says="nosuchprovider"),
    "ca_bundle_dev_zero": Bad(("-q", "hi", "-p", "openai"), env={**KEY, "SSL_CERT_FILE": "/dev/zero"},
                              says="not a regular file"),
    "ca_bundle_missing": Bad(("-q", "hi", "-p", "openai"), env={**KEY, "SSL_CERT_FILE": "/nonexistent.pem"},
                             says="does not exist"),
}


@pytest.fixture()
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path / "home")


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_bad_input_gets_one_clear_line_and_a_usage_or_error_code(home: Home, name: str) -> None:
    bad = CORPUS[name]
    if bad.setup is not None:
        bad.setup(home)
    ran = perspt(home, *bad.argv, env=bad.env, timeout=60)
    assert "internal error" not in ran.output, ran.output
    assert "Traceback" not in ran.output, ran.output
    assert not RAW_TYPE_NAME.search(ran.output), ran.output
    assert ran.returncode in bad.codes, (ran.returncode, ran.output)
    assert bad.says in ran.output, ran.output
    assert not home.network_violations()


def test_the_corpus_is_large_enough_to_mean_something() -> None:
    assert len(CORPUS) >= 40


def test_the_doctor_names_a_bad_environment_value_the_client_refuses(home: Home) -> None:
    ran = perspt(home, "doctor", "--offline", "--json", "--only", "env.settings",
                 env={"PERSPT_TIMEOUT": "abc", "PERSPT_NETWORK_CONNECTION_POOL_SIZE": "0"})
    row = json.loads(ran.stdout)["checks"][0]
    assert ran.returncode == 1 and row["status"] == "fail", ran.output
    assert "PERSPT_TIMEOUT" in row["summary"]
    assert row["fix_commands"] == ["unset PERSPT_TIMEOUT", "unset PERSPT_NETWORK_CONNECTION_POOL_SIZE"]
    clean = perspt(home, "doctor", "--offline", "--json", "--only", "env.settings")
    assert json.loads(clean.stdout)["checks"][0]["status"] == "ok"
