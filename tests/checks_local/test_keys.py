from __future__ import annotations

import pytest

from perspt_doctor.api import Status
from perspt_doctor.settings.keystore import set_key
from perspt_doctor.settings.resolve import Flags

from .conftest import run_check

OPENAI = "sk-proj-" + "A1b2" * 10 + "T3BlbkFJ" + "z9Y8" * 10
ANTHROPIC = "sk-ant-api03-" + "a" * 93 + "AA"
GROQ = "gsk_" + "q" * 52


def key_result(provider: str, env: dict[str, str]):  # type: ignore[no-untyped-def]
    return run_check(f"keys.{provider}", env=env, providers=(provider,))


def test_good_key_shows_only_its_last_four_characters() -> None:
    result = key_result("openai", {"OPENAI_API_KEY": OPENAI})
    assert result.status is Status.OK
    assert result.summary == "key from OPENAI_API_KEY (environment) (…z9Y8), shaped like an OpenAI project key"
    assert OPENAI[:-4] not in str(result.facts) + result.summary


def test_missing_key_fails_with_how_to_set_it() -> None:
    result = key_result("openai", {})
    assert result.status is Status.FAIL
    assert result.summary == "no API key for OpenAI (OPENAI_API_KEY, keyring or config file)"
    assert result.hint == "store it with `perspt keys set openai`, or export OPENAI_API_KEY"
    assert result.fix_commands == ["perspt keys set openai"]


def test_missing_key_points_at_the_misspelled_variable() -> None:
    result = key_result("anthropic", {"CLAUDE_API_KEY": ANTHROPIC})
    assert result.status is Status.FAIL
    assert result.hint == "CLAUDE_API_KEY is set, but perspt reads ANTHROPIC_API_KEY: rename the variable"
    assert result.fix_commands[0] == 'export ANTHROPIC_API_KEY="$CLAUDE_API_KEY"'


def test_another_providers_key_in_this_variable() -> None:
    result = key_result("openai", {"OPENAI_API_KEY": ANTHROPIC})
    assert result.status is Status.FAIL
    assert result.summary.startswith("the key from OPENAI_API_KEY (environment) is an Anthropic API key (…aaAA)")
    assert result.hint and result.hint.startswith("put it in ANTHROPIC_API_KEY's variable")


@pytest.mark.parametrize("value, what", [
    (OPENAI + "\n", "contains a line break at its end, so it cannot be sent"),
    (OPENAI + "\r", "contains a carriage return at its end, so it cannot be sent"),
    (" " + OPENAI, "contains a space at its start, so it cannot be sent"),
    (OPENAI + " ", "contains a space at its end, so it cannot be sent"),
    (OPENAI[:20] + "\u2019" + OPENAI[20:], "contains a character that is not ASCII (U+2019) at character 21 of"),
    (OPENAI[:20] + " " + OPENAI[20:], "contains spaces"),
    ('"' + OPENAI + '"', "is wrapped in quotes")])
def test_stray_whitespace_newline_or_quotes(value: str, what: str) -> None:
    """The doctor's verdict on a key that cannot be sent is the client's own (settings.key_text): the same
    words and hint as the error `perspt -q` gives before its first request."""
    from perspt_doctor.settings.key_text import key_text_problem

    result = key_result("openai", {"OPENAI_API_KEY": value})
    assert result.status is Status.FAIL and what in result.summary, result.summary
    problem = key_text_problem(value)
    if problem is not None:
        assert result.hint == problem.hint
    else:
        assert result.hint and ("remove them" in result.hint or "in one piece" in result.hint), result.hint


def test_a_placeholder_with_a_line_break_names_both() -> None:
    result = key_result("openai", {"OPENAI_API_KEY": "your-api-key\n", "OPENAI_BASE_URL": "http://127.0.0.1:8/v1"})
    assert result.status is Status.FAIL
    assert "contains a line break at its end, so it cannot be sent" in result.summary
    assert "; and without it, the key from OPENAI_API_KEY (environment) is a placeholder" in result.summary


def test_a_quoted_key_of_another_provider_names_both_problems() -> None:
    result = key_result("openai", {"OPENAI_API_KEY": '"' + ANTHROPIC + '"'})
    assert result.status is Status.FAIL
    assert "wrapped in quotes" in result.summary and "an Anthropic API key (…aaAA), not an OpenAI key" in result.summary


@pytest.mark.parametrize("value", ["your-api-key", "sk-...", "YOUR_OPENAI_API_KEY", "<openai key>", "changeme"])
def test_placeholders(value: str) -> None:
    result = key_result("openai", {"OPENAI_API_KEY": value})
    assert result.status is Status.FAIL and "placeholder" in result.summary
    assert result.hint == "create a key at https://platform.openai.com/api-keys and store it"


def test_truncated_key_warns() -> None:
    result = key_result("groq", {"GROQ_API_KEY": GROQ[:30]})
    assert result.status is Status.WARN and "starts like a Groq key" in result.summary
    assert result.hint == "it may have been cut off when copying; copy it again in full"


def test_unrecognised_shape_warns_for_strict_providers_but_not_for_gemini() -> None:
    groq = key_result("groq", {"GROQ_API_KEY": "abcdefghijklmnopqrstuvwxyz012345"})
    assert groq.status is Status.WARN and "does not look like a Groq key (expected gsk_…" in groq.summary
    gemini = key_result("google", {"GEMINI_API_KEY": "AQ.Ab8RN6" + "x" * 40})
    assert gemini.status is Status.OK and "shaped like a Google AI Studio auth key" in gemini.summary
    novel = key_result("google", {"GEMINI_API_KEY": "ZZ-new-format-" + "k" * 30})
    assert novel.status is Status.OK and "format not recognised, which is fine" in novel.summary


def test_shadowed_different_key_in_the_keyring_warns() -> None:
    set_key("groq", "gsk_" + "r" * 52)
    result = key_result("groq", {"GROQ_API_KEY": GROQ})
    assert result.status is Status.WARN
    assert result.summary.endswith("a different key in keyring (service perspt, user groq) is ignored")
    assert result.hint and result.hint.startswith("perspt uses GROQ_API_KEY (environment) first")


def test_key_from_the_keyring_and_local_providers() -> None:
    set_key("groq", GROQ)
    result = key_result("groq", {})
    assert result.status is Status.OK and "keyring" in result.summary
    ollama = key_result("ollama", {})
    assert ollama.status is Status.OK and "needs none" in ollama.summary


def test_key_from_api_key_flag() -> None:
    result = run_check("keys.openai", flags=Flags(api_key=OPENAI, provider="openai"), providers=("openai",))
    assert result.status is Status.OK and "--api-key" in result.summary


@pytest.mark.parametrize("value, was", [("EMPTY", "placeholder"), ("test-key", "placeholder"),
                                        (ANTHROPIC, "an Anthropic API key"), ("local-server-key-123", "does not look like")],
                         ids=["vllm-EMPTY", "test-key", "another-providers", "other-shape"])
def test_at_a_server_of_your_own_a_key_the_provider_would_refuse_is_a_warning(value: str, was: str) -> None:
    """The client sends it all the same, and vLLM takes `EMPTY`: the server decides (`auth.openai` asks it,
    and is not blocked by a failure here). At the provider's own API the same key fails."""
    own = key_result("openai", {"OPENAI_API_KEY": value})
    assert own.status in (Status.FAIL, Status.WARN) and was in own.summary
    custom = key_result("openai", {"OPENAI_API_KEY": value, "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"})
    assert custom.status is Status.WARN, custom.summary
    assert was in custom.summary
    assert custom.summary.endswith("the server at http://127.0.0.1:8000/v1 is not OpenAI's own API and may take it "
                                   "(`auth.openai` asks it)")


def test_a_broken_key_fails_whatever_the_server() -> None:
    """Blanks and quotes break the request itself, at any server."""
    result = key_result("openai", {"OPENAI_API_KEY": OPENAI + "\n", "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"})
    assert result.status is Status.FAIL and "a line break" in result.summary


def test_the_providers_own_base_url_spelled_out_is_its_own_api() -> None:
    result = key_result("openai", {"OPENAI_API_KEY": "EMPTY", "OPENAI_BASE_URL": "https://api.openai.com/v1/"})
    assert result.status is Status.FAIL and "placeholder" in result.summary
