"""Did-you-mean for model names."""

from __future__ import annotations

from perspt_doctor.providers.model_names import is_available, suggest

OPENAI = ["gpt-4o-mini", "gpt-4o", "gpt-4-turbo", "gpt-3.5-turbo", "o3-mini"]


def test_case_and_hyphens() -> None:
    assert suggest("GPT-4O-Mini", OPENAI)[0] == "gpt-4o-mini"
    assert suggest("gpt4o-mini", OPENAI)[0] == "gpt-4o-mini"
    assert suggest("gpt_4o_mini", OPENAI)[0] == "gpt-4o-mini"


def test_typos() -> None:
    assert suggest("gpt-4-turob", OPENAI)[0] == "gpt-4-turbo"
    assert suggest("claude-sonet-4-6", ["claude-sonnet-4-6", "claude-haiku-4-5"]) == ["claude-sonnet-4-6"]


def test_nothing_close() -> None:
    assert suggest("llama3.2", OPENAI) == []
    assert suggest("", OPENAI) == []
    assert suggest("gpt-4o", []) == []


def test_prefix_for_dated_names() -> None:
    assert "claude-sonnet-4-5-20250929" in suggest("claude-sonnet-4-5", ["claude-sonnet-4-5-20250929", "x"])


def test_availability_rules() -> None:
    assert is_available("llama3.2", ["llama3.2:latest"])
    assert is_available("models/gemini-2.5-flash", ["gemini-2.5-flash"])
    assert not is_available("GPT-4o", OPENAI)  # names are case-sensitive at the providers
