"""Every config example of the seed guide: the ones with comments get one precise line (file, line,
column, a hint naming the comment style), and every key in every example is understood and used."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from perspt_doctor.settings import Flags, load_settings
from perspt_doctor.settings.diagnostics import ConfigError
from perspt_doctor.settings.loader import read_config, validate_loaded
from tests.seed.examples import EXAMPLES

# guide line -> (line, column, comment style) of the first problem perspt reports
COMMENTED = {
    149: (2, 26, "//"), 167: (3, 3, "//"), 351: (2, 28, "//"), 368: (2, 30, "//"), 396: (2, 54, "//"),
    404: (2, 27, "//"), 448: (3, 41, "//"), 473: (4, 23, "//"), 1080: (5, 29, "#"), 1112: (3, 35, "#"),
    1142: (3, 35, "#"), 1158: (3, 35, "#"), 1171: (3, 51, "#"),
}
# what is left wrong once the comments are gone: the guide's own examples of mistakes
STILL_WRONG = {149: "json-syntax", 351: "duplicate-key"}
CAN_WARN = {"legacy-key", "plaintext-key", "key-file-permissions"}


def _write(tmp_path: Path, line: int, text: str) -> Path:
    path = tmp_path / f"seed_{line}.json"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def _without_comments(text: str) -> str:
    return re.sub(r"[ \t]+(//|#).*$", "", text, flags=re.M)


def _diagnostics(path: Path) -> list:  # type: ignore[type-arg]
    try:
        loaded = read_config(path)
    except ConfigError as exc:
        return list(exc.all_diagnostics)
    validate_loaded(loaded)
    return loaded.all_diagnostics


def test_every_example_is_covered() -> None:
    assert len(EXAMPLES) == 23
    assert set(COMMENTED) <= set(EXAMPLES)


@pytest.mark.parametrize("line", sorted(COMMENTED))
def test_a_commented_example_gets_its_line_column_and_a_hint_for_its_comment_style(line: int, tmp_path: Path) -> None:
    row, column, style = COMMENTED[line]
    path = _write(tmp_path, line, EXAMPLES[line])
    first = _diagnostics(path)[0]
    assert (first.code, first.line, first.column) == ("json-syntax", row, column)
    assert first.message == "invalid JSON: comments are not allowed"
    assert first.hint and f"delete the {style} " in first.hint
    assert first.one_line().startswith(f"{path}:{row}:{column}: error: ") and "\n" not in first.one_line()


@pytest.mark.parametrize("line", sorted(EXAMPLES))
def test_every_key_of_every_example_is_understood(line: int, tmp_path: Path) -> None:
    path = _write(tmp_path, line, _without_comments(EXAMPLES[line]))
    found = _diagnostics(path)
    if line in STILL_WRONG:
        codes = {d.code for d in found}
        assert STILL_WRONG[line] in codes or any("twice" in d.message for d in found), found
        return
    errors = [d.one_line() for d in found if d.severity == "error"]
    assert not errors
    assert not [d.one_line() for d in found if d.code == "unknown-key"]
    settings = load_settings(Flags(config=str(path)), env={})
    assert settings.provider_is_known


def _settings(tmp_path: Path, line: int, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    path = _write(tmp_path, line, _without_comments(EXAMPLES[line]))
    return load_settings(Flags(config=str(path)), env=env or {}, use_keyring=False)


def test_the_performance_block_sets_stream_timeout_and_max_tokens(tmp_path: Path) -> None:
    settings = _settings(tmp_path, 1112)
    assert (settings.get("stream"), settings.get("timeout"), settings.get("max_tokens")) == (True, 15, 1000)
    assert settings.resolved("timeout").origin.endswith("performance.timeout")
    from perspt_doctor.transport.factory import timeouts_from

    assert timeouts_from(settings, streaming=False).read == 15

    top_level_wins = tmp_path / "both.json"
    top_level_wins.write_text(json.dumps({"timeout": 40, "performance": {"timeout": 15, "stream": False}}))
    both = load_settings(Flags(config=str(top_level_wins)), env={}, use_keyring=False)
    assert (both.get("timeout"), both.get("stream")) == (40, False)


def test_the_network_block_reaches_the_http_client(tmp_path: Path) -> None:
    from perspt_doctor.transport.factory import build_async_client
    from tests.fakes.openai_fake import openai_fake

    settings = _settings(tmp_path, 1158)
    off = tmp_path / "off.json"
    off.write_text(json.dumps({"network": {"compression": False, "keep_alive": False}}))
    no_compression = load_settings(Flags(config=str(off)), env={}, use_keyring=False)

    async def accept_encoding(chosen) -> str:  # type: ignore[no-untyped-def]
        async with build_async_client(chosen) as client:
            await client.get(fake.base_url + "/models", headers={"Authorization": "Bearer test-key"})
        return fake.last("models").headers.get("accept-encoding", "")

    with openai_fake() as fake:
        assert "gzip" in asyncio.run(accept_encoding(settings))
        assert asyncio.run(accept_encoding(no_compression)) == "identity"


def test_endpoints_proxy_fallback_chain_and_ollama_options_resolve(tmp_path: Path) -> None:
    endpoints = _settings(tmp_path, 1171)
    assert endpoints.base_url_for("google").value == "https://generativelanguage.googleapis.com"
    assert endpoints.base_url_for("anthropic").origin.endswith("provider_endpoints.anthropic")

    chain = _settings(tmp_path, 1227)
    assert chain.fallback_providers() == [("openai", "gpt-4o-mini"), ("anthropic", "claude-3-5-haiku-20241022"),
                                          ("ollama", "llama3.2:8b")]

    from perspt_doctor.transport.proxy import proxy_for

    proxied = _settings(tmp_path, 286)
    assert proxy_for("https://api.openai.com/v1", proxied).proxy_url == "https://proxy.company.com:8080"

    from perspt_doctor.client.conversation import Sampling

    ollama = _settings(tmp_path, 1080)
    sampling = Sampling.from_settings(ollama)
    assert ollama.provider.value == "ollama"
    assert sampling.options == {"num_gpu": 1, "num_thread": 8, "num_ctx": 4096, "temperature": 0.7, "top_p": 0.9}
