"""`perspt models` and the seed's `perspt --provider-type X --list-models | grep ...`."""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner

from perspt_doctor.catalog import UnknownProviderError
from perspt_doctor.cli.root import cli
from tests.fakes.anthropic_fake import anthropic_fake
from tests.fakes.openai_fake import openai_fake


def test_list_models_to_a_pipe_is_greppable() -> None:
    with openai_fake() as fake:
        env = {**os.environ, "OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": fake.base_url}
        out = subprocess.run(f"{sys.executable} -m perspt_doctor --provider-type openai --list-models | grep gpt-4",
                             shell=True, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["gpt-4-turbo", "gpt-4o", "gpt-4o-mini"]


def test_models_subcommand_with_provider_option(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with anthropic_fake() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        result = CliRunner().invoke(cli, ["models", "--provider", "claude", "--long"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("claude-3-haiku-20240307\t200000 tokens")


def test_a_wrong_configured_model_gets_a_warning_with_suggestions(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with openai_fake() as fake:
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        result = CliRunner().invoke(cli, ["-p", "openai", "-m", "gpt4o-mini", "--list-models"])
        monkeypatch.setenv("PERSPT_MODEL", "gpt4o-mini")
        from_env = CliRunner().invoke(cli, ["-p", "openai", "--list-models"])
    assert result.exit_code == 1, "validating a model named on the command line fails when it is not offered"
    assert "error: model 'gpt4o-mini'" in result.output and "did you mean gpt-4o-mini" in result.output
    assert "gpt-4o-mini\n" in result.output, "the list is still printed"
    assert from_env.exit_code == 0 and "warning: model 'gpt4o-mini'" in from_env.output


def test_errors_are_one_line_with_a_hint() -> None:
    with openai_fake() as fake:
        env = {**os.environ, "OPENAI_API_KEY": "wrong-key-123456", "OPENAI_BASE_URL": fake.base_url,
               "PERSPT_RETRY_ATTEMPTS": "0"}
        out = subprocess.run([sys.executable, "-m", "perspt_doctor", "models", "--provider", "openai"],
                             env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert lines[0].startswith("Error: could not list the models of openai") and lines[1].startswith("Hint:")
    assert "wrong-key-123456" not in out.stderr and "Traceback" not in out.stderr


def test_unknown_provider_exit_2() -> None:
    result = CliRunner().invoke(cli, ["models", "--provider", "opnai"])
    assert isinstance(result.exception, UnknownProviderError) and result.exception.exit_code == 2
    assert result.exception.hint.startswith("did you mean openai? known providers: openai,")


def test_models_takes_base_url_on_the_subcommand(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    with openai_fake() as fake:
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
        result = CliRunner().invoke(cli, ["models", "-p", "openai", "--base-url", fake.base_url])
        assert fake.requests, "the listing went to the URL given on the subcommand"
    assert result.exit_code == 0, result.output
    assert "gpt-4o-mini" in result.output.split()
