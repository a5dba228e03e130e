"""Every `perspt ...` command line of the seed guide, run as written against the loopback fakes (only
keys and base URLs point at the fakes). Chat lines without a question get it on stdin; the REPL
lines, and the REPL's /list-models and /clear, run in a real terminal (tmux)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.fakes.anthropic_fake import anthropic_fake
from tests.fakes.cohere_fake import cohere_fake
from tests.fakes.gemini_fake import gemini_fake
from tests.fakes.openai_fake import openai_fake
from tests.reliability.clienv import Home, make_home, perspt
from tests.seed.examples import EXAMPLES

MODELS = {
    "openai": ["gpt-4o-mini", "gpt-3.5-turbo", "gpt-4", "gpt-4-turbo", "o1-preview", "o1-mini"],
    "anthropic": ["claude-3-5-sonnet-20241022", "claude-3-5-haiku-20241022", "claude-3-opus-20240229"],
    "google": ["gemini-1.5-flash", "gemini-1.5-pro", "gemini-1.5-pro-exp"],
    "groq": ["llama-3.1-8b-instant", "mixtral-8x7b-32768", "gemma-7b-it"],
    "cohere": ["command-r", "command-r-plus", "command-light"],
    "xai": ["grok-beta"],
}
KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "google": "GOOGLE_API_KEY",
           "groq": "GROQ_API_KEY", "cohere": "COHERE_API_KEY", "xai": "XAI_API_KEY"}
URL_ENV = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL", "google": "GEMINI_BASE_URL",
           "groq": "GROQ_BASE_URL", "cohere": "COHERE_BASE_URL", "xai": "XAI_BASE_URL"}
REPLY = "Hello! How can I help you today?"


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, str]]:
    """Base URL per provider; every fake takes the key `test-key`."""
    makers = {"openai": openai_fake, "anthropic": anthropic_fake, "google": gemini_fake, "groq": openai_fake,
              "cohere": cohere_fake, "xai": openai_fake}
    with ExitStack() as stack:
        yield {pid: stack.enter_context(make(models=MODELS[pid])).base_url for pid, make in makers.items()}


@pytest.fixture
def home(tmp_path: Path, fakes: dict[str, str]) -> Home:
    root = tmp_path / "home"
    env = {URL_ENV[pid]: url for pid, url in fakes.items()}
    env.update({KEY_ENV[pid]: "test-key" for pid in fakes})
    return make_home(root, HOME=str(root), **env)


def config_file(home: Home) -> Path:
    return home.path("config", "perspt", "config.json")


# ---- model lists ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args,first", [
    (("--provider-type", "openai", "--list-models"), "gpt-3.5-turbo"),
    (("--provider-type", "anthropic", "--model", "claude-3-5-sonnet-20241022", "--list-models"),
     "claude-3-5-haiku-20241022"),
    (("--provider-type", "xai", "--list-models"), "grok-beta"),
    (("--provider-type", "google", "--list-models"), "gemini-1.5-flash"),
    (("--provider-type", "groq", "--list-models"), "gemma-7b-it"),
])
def test_list_models(args: tuple[str, ...], first: str, home: Home) -> None:
    ran = perspt(home, *args, env={"RUST_LOG": "debug"})
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[0] == first
    assert home.network_violations() == []


def test_validating_a_model_with_list_models_says_whether_it_is_offered(home: Home) -> None:
    good = perspt(home, "--provider-type", "anthropic", "--model", "claude-3-5-sonnet-20241022", "--list-models")
    assert "claude-3-5-sonnet-20241022 (command line) is offered by anthropic" in good.stderr
    bad = perspt(home, "--provider-type", "anthropic", "--model", "claude-3-5-sonnet", "--list-models")
    assert "is not offered by anthropic; did you mean claude-3-5-sonnet-20241022" in bad.stderr


def test_list_models_piped_to_grep(home: Home) -> None:
    done = subprocess.run(f"{sys.executable} -m perspt_doctor --provider-type openai --list-models | grep gpt-4",
                          shell=True, capture_output=True, text=True, timeout=60, env=home.env, cwd=home.root)
    assert done.stdout.split() == ["gpt-4", "gpt-4-turbo", "gpt-4o-mini"]


# ---- chat ----------------------------------------------------------------------------------------

CHAT_LINES = [(pid, model) for pid, models in MODELS.items() for model in models]


@pytest.mark.parametrize("provider,model", CHAT_LINES)
def test_chat_with_each_model_the_guide_names(provider: str, model: str, home: Home) -> None:
    ran = perspt(home, "--provider-type", provider, "--model", model, stdin="Hello\n")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == REPLY


@pytest.mark.parametrize("model", ["GPT-4O-Mini", "gpt4o-mini"])
def test_the_wrong_spellings_of_the_guide_fail_with_the_right_name(model: str, home: Home) -> None:
    ran = perspt(home, "--provider-type", "openai", "--model", model, stdin="Hello\n")
    assert ran.returncode == 1 and "did you mean gpt-4o-mini" in ran.stderr


@pytest.mark.parametrize("args", [
    ("--provider-type", "openai", "--model", "gpt-4o-mini", "--stream"),
    ("--api-key", "test-key", "--provider-type", "openai", "--model", "gpt-3.5-turbo"),
    ("--no-config", "--api-key", "test-key", "--provider-type", "openai"),
    ("--verbose", "--debug"),
    ("--debug", "--verbose", "--log-level", "trace"),
])
def test_chat_lines_with_flags(args: tuple[str, ...], home: Home) -> None:
    config_file(home).parent.mkdir(parents=True, exist_ok=True)
    config_file(home).write_text(json.dumps({"provider": "anthropic", "model": "claude-3-opus-20240229"}))
    ran = perspt(home, *args, stdin="Hello\n", env={"OPENAI_API_KEY": ""} if "--api-key" in args else None)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == REPLY
    if "--debug" in args:
        assert "DEBUG" in ran.stderr and "Traceback" not in ran.stderr


def test_force_provider_and_model_win_over_the_config(home: Home, fakes: dict[str, str]) -> None:
    config_file(home).parent.mkdir(parents=True)
    config_file(home).write_text(json.dumps({"provider": "anthropic", "model": "claude-3-opus-20240229"}))
    ran = perspt(home, "--force-provider", "openai", "--force-model", "gpt-3.5-turbo", stdin="Hello\n",
                 env={"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"})
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == REPLY


def test_the_guides_basic_config_file_then_config_flag(home: Home, tmp_path: Path) -> None:
    config_file(home).parent.mkdir(parents=True)
    config_file(home).write_text(EXAMPLES[176].replace("your-api-key", "test-key"))
    ran = perspt(home, stdin="Hello\n", env={"OPENAI_API_KEY": ""})
    assert ran.returncode == 0, ran.stderr
    elsewhere = tmp_path / "path" / "to" / "your" / "config.json"
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_text(json.dumps({"provider": "groq", "model": "gemma-7b-it"}))
    ran = perspt(home, "--config", str(elsewhere), stdin="Hello\n")
    assert ran.returncode == 0, ran.stderr


def test_test_connection(home: Home) -> None:
    ran = perspt(home, "--provider-type", "openai", "--model", "gpt-3.5-turbo", "--test-connection")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "gpt-3.5-turbo is available" in ran.stdout and "Connection test passed." in ran.stdout


# ---- config and data ------------------------------------------------------------------------------

def test_config_lifecycle_of_the_guide(home: Home) -> None:
    created = perspt(home, "--create-default-config")
    assert created.returncode == 0 and config_file(home).exists()
    assert perspt(home, "--validate-config").stdout.strip().endswith("valid")
    config_file(home).unlink()
    assert perspt(home, "--create-config").returncode == 0 and config_file(home).exists()

    config_file(home).write_text(EXAMPLES[137])
    migrated = perspt(home, "--migrate-config")
    assert migrated.returncode == 0, migrated.stderr
    data = json.loads(config_file(home).read_text())
    assert data["provider"] == "openai" and data["model"] == "gpt-4o-mini" and "provider_type" not in data

    config_file(home).write_text(EXAMPLES[158])
    config_file(home).chmod(0o644)
    fixed = perspt(home, "--validate-config", "--fix-issues")
    assert fixed.returncode == 0, fixed.stderr
    assert config_file(home).stat().st_mode & 0o077 == 0

    from_env = perspt(home, "--config-from-env")
    assert from_env.returncode == 0, from_env.stderr
    assert "test-key" not in config_file(home).read_text()


@pytest.mark.parametrize("flag", ["--setup", "--reconfigure"])
def test_setup_and_reconfigure_rebuild_the_config(flag: str, home: Home) -> None:
    ran = perspt(home, flag, stdin="openai\ngpt-4o-mini\n\n")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert json.loads(config_file(home).read_text()) == {"provider": "openai", "model": "gpt-4o-mini"}


def test_export_history_to_the_home_dir(home: Home) -> None:
    assert perspt(home, "-q", "Hello").returncode == 0
    ran = perspt(home, "--export-history", str(home.root / "perspt-backup.json"))
    assert ran.returncode == 0, ran.stderr
    exported = json.loads((home.root / "perspt-backup.json").read_text())
    assert exported["format"] == "perspt-history" and len(exported["conversations"]) == 1


def test_version() -> None:
    from perspt_doctor._version import __version__

    home = make_home(Path(os.environ["XDG_CONFIG_HOME"]).parent / "v")
    assert perspt(home, "--version").stdout.strip() == f"perspt {__version__}"


# ---- the REPL in a terminal ---------------------------------------------------------------------

def test_repl_with_the_guides_flags_and_its_list_models_and_clear(home: Home, tmp_path: Path) -> None:
    from tests.client.test_repl_tmux import Tmux
    from tests.infra.tools import need

    need("tmux")
    env = {k: home.env[k] for k in home.env if k.endswith(("_BASE_URL", "_HOME")) or k in (
        "PATH", "HOME", "PYTHON_KEYRING_BACKEND")}
    env.update({"TERM": "xterm-256color", "PYTHONPATH": os.getcwd()})
    repl = Tmux([sys.executable, "-m", "perspt_doctor", "--api-key", "test-key", "--provider-type", "openai",
                 "--model", "gpt-3.5-turbo"], env, tmp_path)
    try:
        repl.wait_for(lambda s: "Ctrl+D to quit" in s and s.rstrip().endswith(">"))
        repl.prompt("Hello")
        repl.wait_for(lambda s: REPLY in s)
        repl.prompt("/list-models")
        repl.wait_for(lambda s: "o1-preview" in s and "gpt-4-turbo" in s)
        repl.prompt("/clear")
        repl.wait_for(lambda s: "Conversation cleared" in s)
        repl.wait_for(lambda s: s.rstrip().endswith(">"))
        repl.keys("C-d")
        assert repl.exit_code() == 0
    finally:
        repl.kill()
