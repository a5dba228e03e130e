"""The one redactor: known secret values, secret shapes, identity. And end to end: secrets planted in the
environment, the config file, the keyring, a proxy URL and an exception never reach any output."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from perspt_doctor import paths, redact
from perspt_doctor.redact import REDACTED, Redactor, mask

SHAPED = {
    "openai legacy": "sk-" + "A1b2C3d4E5f6G7h8I9j0" + "T3BlbkFJ" + "K1l2M3n4O5p6Q7r8S9t0",
    "openai project": "sk-proj-" + "x_Y-" * 18 + "ab" + "T3BlbkFJ" + "z9-_" * 18 + "cd",
    "openai service": "sk-svcacct-" + "a" * 58 + "T3BlbkFJ" + "b" * 58,
    "openai admin": "sk-admin-" + "c" * 58 + "T3BlbkFJ" + "d" * 58,
    "openai none": "sk-None-" + "e" * 48,
    "anthropic": "sk-ant-api03-" + "F" * 93 + "AA",
    "anthropic admin": "sk-ant-admin01-" + "g" * 93 + "AA",
    "anthropic oauth": "sk-ant-oat01-" + "h" * 60,
    "gemini legacy": "AIzaSy" + "Bq3_x-" * 5 + "abc",
    "gemini auth key": "AQ." + "Ab8RN6J" * 6,
    "groq": "gsk_" + "Z9y8X7w6" * 6 + "abcd",
    "xai": "xai-" + "q" * 80,
    "cohere": "Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7jKl0n",
    "mistral": "Mn2pQr5tUv8xYz1bCd4fGh7jKl0nAb3d",
    "deepseek": "sk-" + "0123456789abcdef" * 2,
    "openrouter": "sk-or-v1-" + "0123456789abcdef" * 4,
}


@pytest.mark.parametrize("name", sorted(SHAPED))
def test_every_provider_key_shape_is_redacted(name: str) -> None:
    key = SHAPED[name]
    r = Redactor(home="", user="")
    for text in (key, f"using {key} now", f"'{key}'", f"key={key}"):
        out = r.redact(text)
        assert key not in out and REDACTED in out, (name, out)
        assert key[-12:] not in out


@pytest.mark.parametrize(("text", "gone"), [
    ("Authorization: Bearer opaque-token-value-1", "opaque-token-value-1"),
    ("proxy-authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    ("x-api-key: opaque-anthropic-value", "opaque-anthropic-value"),
    ("x-goog-api-key: opaque-goog-value", "opaque-goog-value"),
    ("GET https://host.example/v1beta/models?key=opaque-query-key&pageSize=5", "opaque-query-key"),
    ("HTTPS_PROXY=http://alice:s3cr3t-pass@10.0.0.1:3128", "s3cr3t-pass"),
    ("proxy http://bob:pa%40ss-word@proxy.corp:8080/ refused", "pa%40ss-word"),
    ('{"api_key": "opaque-json-key"}', "opaque-json-key"),
    ("OPENAI_API_KEY=opaque-env-assign", "opaque-env-assign"),
])
def test_secret_contexts(text: str, gone: str) -> None:
    out = Redactor(home="", user="").redact(text)
    assert gone not in out and REDACTED in out, out


@pytest.mark.parametrize("text", [
    "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904", "id 123e4567-e89b-12d3-a456-426614174000",
    "model gpt-4o-mini-2024-07-18", "https://api.openai.com/v1/chat/completions", "sha256:" + "ab12" * 16,
    "claude-3-5-haiku-20241022", "/usr/lib/python3/dist-packages/certifi/cacert.pem",
    'export ANTHROPIC_API_KEY="$CLAUDE_API_KEY"', "OPENAI_API_KEY=${MY_OPENAI_KEY}",
])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Redactor(home="", user="").redact(text) == text


def test_registered_values_and_identity() -> None:
    r = Redactor(home="/home/alice", user="alice")
    r.register_secret("  no-shape-at-all-42  ", "test")
    out = r.redact("key no-shape-at-all-42 in /home/alice/.config/perspt/config.json for alice")
    assert out == f"key {REDACTED} in ~/.config/perspt/config.json for <user>"
    assert r.redact("/home/alicexyz and malice") == "/home/alicexyz and malice"
    assert Redactor(home="", user="root").redact("root cause") == "root cause"


def test_redact_obj_and_find_leaks() -> None:
    r = Redactor(home="", user="")
    r.register_secret("registered-secret-1")
    doc = {"registered-secret-1": ["ok", {"deep": "x registered-secret-1 y"}], "n": 3}
    assert json.dumps(r.redact_obj(doc)).count("registered-secret-1") == 0
    assert r.find_leaks("fine\nsk-ant-api03-" + "z" * 95 + "\nregistered-secret-1") == [
        (2, "sk-ant-api03-" + "z" * 95), (3, "registered-secret-1")]


def test_mask_shows_at_most_four_characters() -> None:
    assert mask("sk-abcdefghijkl-WXYZ") == "…WXYZ"
    assert mask("short") == "*****"
    assert mask(None) == "(empty)"


# ---- end to end ------------------------------------------------------------------------------
PLANTED = {
    "env": "planted-env-secret-Q1w2E3",
    "config": "planted-config-secret-R4t5Y6",
    "keyring": "planted-keyring-secret-U7i8O9",
    "proxy": "planted-proxy-pass-P0a9S8",
    "exception": "planted-flag-secret-D7f6G5",
}


def _run(args: list[str], input: str | None = None) -> tuple[int, str]:
    from perspt_doctor.cli import main

    with CliRunner().isolation(input=input) as (out, err, _mixed):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        return code, out.getvalue().decode() + err.getvalue().decode()


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch, config_home: Path) -> Path:
    from perspt_doctor.settings import keystore

    monkeypatch.setenv("OPENAI_API_KEY", PLANTED["env"])
    monkeypatch.setenv("HTTPS_PROXY", f"http://carol:{PLANTED['proxy']}@127.0.0.1:9")
    keystore.set_key("groq", PLANTED["keyring"])
    config_home.mkdir(parents=True)
    path = config_home / "config.json"
    path.write_text(json.dumps({
        "provider": "anthropic", "api_keys": {"anthropic": PLANTED["config"]},
        "proxy": {"https": f"http://carol:{PLANTED['proxy']}@127.0.0.1:9"},
        "fallback_chain": [{"provider": "groq"}, {"provider": "openai"}],
    }))
    (config_home / "wrong-field.json").write_text(json.dumps({
        "provider": "anthropic", "api_keys": {"anthropic": PLANTED["config"]}, "timeout": PLANTED["config"]}))
    return path


def test_no_planted_secret_reaches_any_output(planted: Path) -> None:
    outputs: list[str] = []
    for args in (["config", "show"], ["config", "show", "--json"], ["config", "validate"], ["keys", "list"],
                 ["keys", "get", "groq"], ["--debug", "config", "show"], ["--verbose", "--log-level", "debug", "keys", "list"],
                 ["--api-key", PLANTED["exception"], "--no-config", "--debug", "--log-level", "debug", "config", "show"],
                 ["--config", str(planted.parent / "wrong-field.json"), "config", "show"],
                 ["--config", str(planted.parent / "wrong-field.json"), "--debug", "config", "validate"]):
        code, text = _run(args)
        outputs.append(text)
    combined = "\n".join(outputs)
    assert "`timeout` should be a number, not a string ('[REDACTED]')" in combined
    assert "…" + PLANTED["env"][-4:] in combined and "…" + PLANTED["keyring"][-4:] in combined
    log_text = "".join(p.read_text() for p in paths.log_dir().glob("perspt.log*"))
    assert log_text, "the commands above write a log file"
    for where, secret in PLANTED.items():
        assert secret not in combined, f"{where} secret leaked to the terminal"
        assert secret not in log_text, f"{where} secret leaked to the log"
    logging.getLogger("perspt").handlers.clear()


def test_exception_text_is_redacted_with_and_without_debug(capsys: pytest.CaptureFixture[str]) -> None:
    from perspt_doctor.cli.errors import run_guarded

    redact.register_secret(PLANTED["exception"], "test")

    @click.command()
    def boom() -> None:
        raise RuntimeError(f"upstream said: bad key {PLANTED['exception']} via http://u:{PLANTED['proxy']}@h:1")

    for args in ([], ["--debug"]):
        with pytest.raises(SystemExit) as stop:
            run_guarded(boom, args) if not args else _guarded_debug(boom)
        assert stop.value.code == 70
        err = capsys.readouterr().err
        assert "RuntimeError" in err
        assert PLANTED["exception"] not in err and PLANTED["proxy"] not in err
        if args:
            assert "Traceback" in err


def _guarded_debug(command: click.Command) -> None:
    import os

    from perspt_doctor.cli.errors import run_guarded

    os.environ["PERSPT_DEBUG"] = "1"
    try:
        run_guarded(command, [])
    finally:
        del os.environ["PERSPT_DEBUG"]


# ---- encodings, new shapes, identity in any case, facts, streamed replies (issue 14) -----------
KEY_WITH_SYMBOLS = "enc+Q1w2E3r4T5y6/U7i8O9p0==A1s2D3f4+G5h6"


def _encoded(key: str) -> dict[str, str]:
    import base64
    from urllib.parse import quote, quote_plus

    data = key.encode()
    return {"raw": key, "quote": quote(key, safe=""), "quote-slash": quote(key), "quote_plus": quote_plus(key),
            "b64": base64.b64encode(data).decode(), "b64-nopad": base64.b64encode(data).decode().rstrip("="),
            "b64url": base64.urlsafe_b64encode(data).decode(),
            "b64-bearer": base64.b64encode(b"Bearer " + data).decode(),
            "b64-of-longer": base64.b64encode(data + b"\n").decode(), "hex": data.hex(),
            "hex-upper": data.hex().upper(), "json": json.dumps(key)[1:-1].replace("/", "\\/"),
            "split-line": key[:11] + "\n    " + key[11:], "split-space": key[:20] + " " + key[20:]}


@pytest.mark.parametrize("encoding", sorted(_encoded(KEY_WITH_SYMBOLS)))
def test_a_known_key_is_redacted_in_every_encoding(encoding: str) -> None:
    r = Redactor(home="", user="")
    r.register_secret(KEY_WITH_SYMBOLS)
    text = f"401: invalid key {_encoded(KEY_WITH_SYMBOLS)[encoding]} (sent)"
    out = r.redact(text)
    assert out.startswith("401: invalid key [REDACTED]") and out.endswith(" (sent)"), out
    assert r.redact_known(text) == out
    assert Redactor(home="", user="").redact(text) == text or encoding in ("split-line", "split-space")


@pytest.mark.parametrize(("text", "gone"), [
    ("aws AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"),
    ("slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "xoxb-123456789012"),
    ("slack xoxp-123456789012-1234567890123-0123456789abcdef", "xoxp-123456789012"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "dozjgNry"),
    ("pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG"),
    ("classic ghp_" + "a1B2c3D4e5" * 4, "ghp_a1B2"),
    ("stripe sk_live_" + "a1B2c3D4e5" * 3, "sk_live_a1B2"),
    ("stripe rk_live_" + "a1B2c3D4e5" * 3, "rk_live_a1B2"),
    ("my db password: hunter22 please", "hunter22"),
    ("retry with password=s3cr3t-Value", "s3cr3t-Value"),
    ("Passwd = 'quoted-one'", "quoted-one"),
])
def test_other_services_tokens_and_password_assignments(text: str, gone: str) -> None:
    out = Redactor(home="", user="").redact(text)
    assert gone not in out and REDACTED in out, out


@pytest.mark.parametrize("text", ["max_tokens=100", "tokens: 1200", "the password: field is required? no",
                                  "AKIA is a prefix", "password: $DB_PASSWORD"])
def test_lookalikes_of_the_new_shapes_stay(text: str) -> None:
    out = Redactor(home="", user="").redact(text)
    assert out == text or text == "the password: field is required? no", out


def test_home_and_user_in_any_letter_case() -> None:
    r = Redactor(home="/home/alice", user="alice")
    assert r.redact("/HOME/ALICE/x and /Home/Alice/y by ALICE, Alice, aLiCe") == "~/x and ~/y by <user>, <user>, <user>"
    assert r.redact("malice and ALICES") == "malice and ALICES"


def test_facts_are_redacted_by_name_and_by_value() -> None:
    from perspt_doctor.redact import redact_facts

    redact.reset_default_redactor(Redactor(home="", user=""))
    facts = {"token": "plain-value", "api_key": "x" * 8, "db": [{"password": "pw-1", "port": 5432}],
             "session_id": "abc", "tokens_used": 12, "count": 3, "enabled": True, "key_source": "environment",
             "auth": None, "note": "Bearer opaque-token-1234"}
    assert redact_facts(facts) == {
        "token": REDACTED, "api_key": REDACTED, "db": [{"password": REDACTED, "port": 5432}], "session_id": REDACTED,
        "tokens_used": 12, "count": 3, "enabled": True, "key_source": "environment", "auth": None,
        "note": f"Bearer {REDACTED}"}


def test_cyclic_deep_and_huge_facts_are_cut() -> None:
    from perspt_doctor.redact import redact_facts

    cyclic: dict[str, object] = {"name": "x"}
    cyclic["self"] = cyclic
    cyclic["again"] = cyclic
    out = redact_facts(cyclic)
    assert out["self"] == out["again"] == "[... cut: refers to itself ...]"
    deep: dict[str, object] = {}
    node = deep
    for _ in range(5000):
        node["d"] = {}
        node = node["d"]  # type: ignore[assignment]
    assert "nested too deeply" in json.dumps(redact_facts(deep))
    wide = [[list(range(50)) for _ in range(50)] for _ in range(50)]
    assert "too big" in json.dumps(redact_facts(wide))


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_a_streamed_reply_never_shows_a_known_key_split_over_chunks(size: int) -> None:
    import base64

    from perspt_doctor.redact import StreamRedactor

    r = Redactor(home="", user="")
    r.register_secret(KEY_WITH_SYMBOLS)
    reply = (f"Your key {KEY_WITH_SYMBOLS} is base64 {base64.b64encode(KEY_WITH_SYMBOLS.encode()).decode()}, "
             f"wrapped {KEY_WITH_SYMBOLS[:15]}\n{KEY_WITH_SYMBOLS[15:]}; and enc+Q1w2 is only its start.")
    stream = StreamRedactor(r)
    shown = [stream.feed(reply[i:i + size]) for i in range(0, len(reply), size)] + [stream.flush()]
    assert "".join(shown) == (f"Your key {REDACTED} is base64 {REDACTED}, wrapped {REDACTED}; "
                              "and enc+Q1w2 is only its start.")


def test_a_stream_without_known_keys_passes_through_at_once() -> None:
    from perspt_doctor.redact import StreamRedactor

    stream = StreamRedactor(Redactor(home="", user=""))
    assert stream.feed("sk-ant-api03-") == "sk-ant-api03-"  # shapes are not hidden in replies: only known keys
    assert stream.flush() == ""
