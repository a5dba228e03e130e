"""The planted-secret matrix: secrets of every key shape (and shapeless ones) planted in every place a
user's machine can hold them, then every output perspt produces, run as a user runs it, scanned
byte for byte. A cell of the matrix is (placement, output); each must show no trace of the secret.

Two machines are built once per module: `main` (everything parses, loopback fakes answer, some echo
the key back in their error bodies) and `broken` (the config file does not parse, so nothing in it is
known to perspt, and its error messages quote the file)."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from tests.fakes.anthropic_fake import AnthropicFake
from tests.fakes.cohere_fake import CohereFake
from tests.fakes.gemini_fake import GeminiFake
from tests.fakes.ollama_fake import OllamaFake
from tests.fakes.openai_fake import OpenAIFake
from tests.infra.ports import refusing_port
from tests.reliability.clienv import Home, Ran, make_home, perspt
from tests.reliability.secretkit import SHAPES, Secret, fixed, password, plain, secret, with_symbols

pytestmark = pytest.mark.timeout(900)  # three machines, about seventy commands, on a shared CI runner


@dataclass(frozen=True)
class Placement:
    id: str
    category: str
    scenario: str
    secret: Secret
    how: str


def _p(pid: str, category: str, secret: Secret, how: str, scenario: str = "main") -> Placement:
    return Placement(pid, category, scenario, secret, how)


S = SHAPES
USER_NAME = "zq" + secret((6, "abcdefghijklmnopqrstuvwxyz")).value
HOME_DIR = f"/srv/Users/{USER_NAME}"
"""The hostile machine's user: a login name and home that exist only in its environment."""
PLACEMENTS: list[Placement] = [
    # environment: every provider's variable, shaped as that provider's keys are
    _p("env-openai-project", "environment", S["openai-project"](), "OPENAI_API_KEY (fake accepts it)"),
    _p("env-anthropic-echoed", "environment+echo", S["anthropic-api"](), "ANTHROPIC_API_KEY; 401 body echoes it"),
    _p("env-gemini-echoed", "environment+echo", S["gemini-aiza"](), "GEMINI_API_KEY; 400 body echoes it"),
    _p("env-google-alternate", "environment", S["gemini-aq"](), "GOOGLE_API_KEY, shadowed by GEMINI_API_KEY"),
    _p("env-cohere-echoed", "environment+echo", S["cohere"](), "CO_API_KEY; 401 body echoes it"),
    _p("env-groq-echoed", "environment+echo", S["groq"](), "GROQ_API_KEY; OpenAI-style 401 echoes it"),
    _p("env-xai-echoed", "environment+echo", S["xai"](), "XAI_API_KEY; OpenAI-style 401 echoes it"),
    _p("env-mistral-echoed", "environment+echo", S["mistral"](), "MISTRAL_API_KEY (32 chars); 401 echoes it"),
    _p("env-deepseek", "environment", S["deepseek"](), "DEEPSEEK_API_KEY"),
    _p("env-openrouter", "environment", S["openrouter"](), "OPENROUTER_API_KEY (endpoint refuses)"),
    _p("env-compatible-plain", "environment", plain("vllm-"), "OPENAI_COMPATIBLE_API_KEY, no shape"),
    # OS keyring (stored with `perspt keys set`), each shadowed by the environment
    _p("keyring-openai-svcacct", "keyring", S["openai-svcacct"](), "keyring openai"),
    _p("keyring-anthropic-admin", "keyring", S["anthropic-admin"](), "keyring anthropic"),
    _p("keyring-google-legacy", "keyring", S["gemini-aiza"](), "keyring google"),
    _p("keyring-compatible-plain", "keyring", plain("kr-"), "keyring openai-compatible, no shape"),
    # config file
    _p("config-api-key-admin", "config", S["openai-admin"](), "config api_key (shadowed by the environment)"),
    _p("config-api-keys-groq-plain", "config", plain("cfg-"), "config api_keys.groq, no shape"),
    _p("config-api-keys-unknown", "config", plain("loc-"), "config api_keys.my-local-llm (unknown provider)"),
    _p("config-misspelled-field", "config", S["openai-none"](), "config openai_api_key (unknown key)"),
    # proxy userinfo
    _p("proxy-env-https", "proxy userinfo", password("alice"), "HTTPS_PROXY http://alice:<pw>@... (encoded)"),
    _p("proxy-env-http", "proxy userinfo", plain("bobpw-"), "HTTP_PROXY http://bob:<pw>@..."),
    _p("proxy-config-http", "proxy userinfo", plain("davepw-"), "config proxy.http"),
    _p("proxy-config-https", "proxy userinfo", password("erin"), "config proxy.https (encoded)"),
    _p("proxy-ollama-host", "proxy userinfo", plain("carolpw-"), "OLLAMA_HOST http://carol:<pw>@...; echoed"),
    # base URL query strings
    _p("url-config-endpoint-query", "base URL query", plain("q1-"), "provider_endpoints.deepseek ?api_key="),
    _p("url-env-refused-query", "base URL query+exception", plain("q2-"),
       "OPENROUTER_BASE_URL ?token= on a refusing port: the connect error quotes the URL"),
    _p("url-config-base-url-query", "base URL query", S["gemini-aiza"](), "config base_url ?key="),
    # log records
    _p("log-bearer-plain", "log records", plain("bearer-"), "old log line: Authorization: Bearer <token>"),
    _p("log-inline-shaped", "log records", S["xai"](), "old log line: a key inline"),
    _p("log-password-assignment", "log records", plain("pw-"), "old log line: PASSWORD=<value>"),
    _p("argv-api-key-flag", "log records+exception", plain("argv-"),
       "--api-key on the command line (logged argv, security check)"),
    # history content
    _p("history-question-shaped", "history", S["anthropic-api"](), "typed into a question"),
    _p("history-question-password", "history", plain("hpw-"), "typed as password=<value> in a question"),
    _p("history-reply-shaped", "history", S["openai-legacy"](), "in an assistant reply"),
    _p("history-imported", "history", S["groq"](), "in an imported conversation"),
    # a config file that does not parse: nothing in it is registered, its diagnostics quote it
    _p("broken-config-shaped", "config+exception", S["openai-project"](), "api_key in a broken file", "broken"),
    _p("broken-config-plain", "config+exception", plain("brk-"), "api_keys.groq in a broken file", "broken"),
    _p("broken-config-proxy", "config+exception", password("frank"), "proxy password in a broken file",
       "broken"),
    # a hostile machine: servers echo the key encoded, replies echo it, plugins and users hand over secrets
    _p("echo-encoded-key", "environment+echo", with_symbols(), "OPENAI_API_KEY with +/=; the 401 body echoes it "
       "base64 (standard, URL-safe, unpadded, of `Bearer key`), URL-encoded, hex, JSON-escaped, split", "hostile"),
    _p("reply-echo-key", "environment+reply", with_symbols(), "GROQ_API_KEY echoed raw and base64 in a reply "
       "streamed one character per chunk", "hostile"),
    _p("config-misspelled-kye", "config", plain("kye-"), "config api_kye (unknown key, no secret word)", "hostile"),
    _p("plugin-facts-token", "plugin facts", plain("tok-"), "facts={'token': ...} from a plugin", "hostile"),
    _p("plugin-facts-nested", "plugin facts", plain("pwf-"), "facts={'db': [{'password': ...}]} from a plugin",
       "hostile"),
    _p("argv-key-line-break", "log records+exception", plain("nl-", 30), "--api-key with a line break inside",
       "hostile"),
    _p("title-straddle", "history", S["anthropic-api"](), "a key typed at the 59th character of a question",
       "hostile"),
    *[_p(f"question-{name}", "shape+history", S[name](), f"{name} typed into a question", "hostile")
      for name in ("aws-access-key", "slack-bot", "jwt", "github-pat", "github-classic", "stripe-live")],
    _p("question-password-colon", "shape+history", plain("pwc-"), "typed as `password: <value>`", "hostile"),
    *[_p(f"error-body-{name}", "shape+echo", S[name](), f"{name} in a 500 body", "hostile")
      for name in ("aws-access-key", "slack-user", "jwt", "github-pat", "stripe-restricted")],
    _p("error-body-password", "shape+echo", plain("pwb-"), "`password=<value>` in a 500 body", "hostile"),
    _p("identity-home-upper", "identity", fixed(HOME_DIR.upper()), "the home path in upper case in a question",
       "hostile"),
    _p("identity-user-upper", "identity", fixed(USER_NAME.upper()), "the user name in upper case in a question",
       "hostile"),
    _p("identity-user-title", "identity", fixed(USER_NAME.title()), "the user name capitalised in a 500 body",
       "hostile"),
]
BY_ID = {p.id: p for p in PLACEMENTS}
OUTPUTS = ("terminal", "json", "report", "bundle", "triage", "logs", "history", "client")


def v(pid: str) -> str:
    return BY_ID[pid].secret.value


def enc(pid: str) -> str:
    return quote(v(pid), safe="")


@dataclass
class Scenario:
    home: Home
    outputs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """output name -> (where, text) pieces."""
    runs: dict[str, Ran] = field(default_factory=dict)
    history_db_text: str = ""
    fakes: dict[str, object] = field(default_factory=dict)

    def add(self, output: str, where: str, text: str) -> None:
        self.outputs.setdefault(output, []).append((where, text))

    def run(self, name: str, output: str, *args: str, stdin: str = "", scan_stdout: bool = True) -> Ran:
        ran = perspt(self.home, *args, stdin=stdin)
        self.runs[name] = ran
        self.add(output, f"{name} stderr", ran.stderr)
        if scan_stdout:
            self.add(output, f"{name} stdout", ran.stdout)
        return ran


def _log_path(home: Home) -> Path:
    out = subprocess.run([sys.executable, "-c", "from perspt_doctor import paths; print(paths.log_file())"],
                         capture_output=True, text=True, env=home.env, check=True)
    return Path(out.stdout.strip())


def _add_files(scenario: Scenario, output: str, root: Path, pattern: str, planted: dict[Path, int]) -> None:
    """Every matching file; of a file the test wrote itself (`planted`), only what perspt appended."""
    for path in sorted(root.rglob(pattern)):
        if path.is_file():
            data = path.read_bytes()[planted.get(path, 0):]
            scenario.add(output, str(path.relative_to(scenario.home.root)), data.decode("utf-8", "replace"))


def _add_zip(scenario: Scenario, output: str, path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            scenario.add(output, f"{path.name}:{name}", archive.read(name).decode("utf-8", "replace"))


def _common_outputs(scenario: Scenario) -> None:
    """Doctor (terminal and JSON), report, bundle, triage: the same commands on every machine."""
    home = scenario.home
    scenario.run("doctor", "terminal", "doctor", "--offline", "--verbose")
    scenario.run("doctor-debug", "logs", "--log-level", "debug", "doctor", "--offline")
    doctor_json = scenario.run("doctor-json", "json", "doctor", "--offline", "--json")
    (home.root / "doctor.json").write_text(doctor_json.stdout, encoding="utf-8")
    report = home.root / "report.md"
    scenario.run("report", "report", "report", "--offline", "-o", str(report), "--yes")
    assert scenario.runs["report"].returncode == 0 and report.exists(), scenario.runs["report"].stderr
    scenario.add("report", "report.md", report.read_text(encoding="utf-8"))
    bundle = home.root / "bundle.zip"
    scenario.run("bundle", "bundle", "report", "--offline", "-o", str(home.root / "report2.md"), "--bundle",
                 str(bundle), "--yes")
    assert scenario.runs["bundle"].returncode == 0 and bundle.exists(), scenario.runs["bundle"].stderr
    _add_zip(scenario, "bundle", bundle)
    scenario.run("triage", "triage", "triage", str(report))
    scenario.run("triage-json", "triage", "triage", "--json", str(report), str(home.root / "doctor.json"))
    scenario.run("triage-bundle", "triage", "triage", "--csv", str(home.root / "report2.md"))
    _add_files(scenario, "json", home.path("state"), "*.json", {})  # the doctor's run records


def _export_history(scenario: Scenario) -> None:
    home = scenario.home
    export = home.root / "history-export.json"
    scenario.run("history-export", "history", "history", "export", str(export))
    if export.exists():
        scenario.add("history", "history-export.json", export.read_text(encoding="utf-8"))
    scenario.run("history-list", "history", "history", "list", "--all")
    scenario.run("history-show", "history", "history", "show", "last")
    scenario.run("history-show-json", "history", "history", "show", "--json", "last")


def _build_main(root: Path, stack: ExitStack) -> Scenario:
    dead = stack.enter_context(refusing_port())
    accepting = stack.enter_context(OpenAIFake(api_key=v("env-openai-project"),
                                               reply=f"Your key {v('history-reply-shaped')} looks fine.").start())
    anyone = stack.enter_context(OpenAIFake(api_key=None).start())
    echoing = stack.enter_context(OpenAIFake(api_key="not-what-you-sent", echo_key_in_errors=True).start())
    anthropic = stack.enter_context(AnthropicFake().start())
    anthropic.fail("status", status=401, times=10_000, body={"type": "error", "error": {
        "type": "authentication_error", "message": f"invalid x-api-key: {v('env-anthropic-echoed')}"}})
    gemini = stack.enter_context(GeminiFake().start())
    gemini.fail("status", status=400, times=10_000, body={"error": {
        "code": 400, "status": "INVALID_ARGUMENT", "message": f"API key not valid: {v('env-gemini-echoed')}",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}})
    cohere = stack.enter_context(CohereFake().start())
    cohere.fail("status", status=401, times=10_000, body={"id": "x", "message": f"invalid api token "
                                                                                 f"{v('env-cohere-echoed')}"})
    ollama = OllamaFake(["llama3.2"])
    stack.enter_context(ollama)
    ollama.fail("/api/chat", 401, f"unauthorized: basic credentials carol:{v('proxy-ollama-host')} rejected")

    home = make_home(root, **{
        "OPENAI_API_KEY": v("env-openai-project"), "OPENAI_BASE_URL": accepting.base_url,
        "ANTHROPIC_API_KEY": v("env-anthropic-echoed"), "ANTHROPIC_BASE_URL": anthropic.base_url,
        "GEMINI_API_KEY": v("env-gemini-echoed"), "GOOGLE_API_KEY": v("env-google-alternate"),
        "GOOGLE_GEMINI_BASE_URL": gemini.base_url,
        "CO_API_KEY": v("env-cohere-echoed"), "CO_API_URL": cohere.base_url,
        "GROQ_API_KEY": v("env-groq-echoed"), "GROQ_BASE_URL": echoing.base_url,
        "XAI_API_KEY": v("env-xai-echoed"), "XAI_BASE_URL": echoing.base_url,
        "MISTRAL_API_KEY": v("env-mistral-echoed"), "MISTRAL_BASE_URL": echoing.base_url,
        "DEEPSEEK_API_KEY": v("env-deepseek"),
        "OPENROUTER_API_KEY": v("env-openrouter"),
        "OPENROUTER_BASE_URL": f"http://127.0.0.1:{dead}/api/v1?token={v('url-env-refused-query')}",
        "OPENAI_COMPATIBLE_API_KEY": v("env-compatible-plain"), "OPENAI_COMPATIBLE_BASE_URL": anyone.base_url,
        "OLLAMA_HOST": f"http://carol:{v('proxy-ollama-host')}@127.0.0.1:{ollama.port}",
        "HTTPS_PROXY": f"http://alice:{enc('proxy-env-https')}@127.0.0.1:{dead}",
        "HTTP_PROXY": f"http://bob:{v('proxy-env-http')}@127.0.0.1:{dead}",
        "NO_PROXY": "127.0.0.1,localhost,::1",
    })
    scenario = Scenario(home, fakes={"accepting": accepting, "anyone": anyone, "echoing": echoing,
                                     "anthropic": anthropic, "gemini": gemini, "cohere": cohere, "ollama": ollama})
    config = home.path("config", "perspt", "config.json")
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({
        "provider": "openai", "model": "gpt-4o-mini",
        "api_key": v("config-api-key-admin"),
        "api_keys": {"groq": v("config-api-keys-groq-plain"), "my-local-llm": v("config-api-keys-unknown")},
        "openai_api_key": v("config-misspelled-field"),
        "base_url": f"{accepting.base_url}?key={v('url-config-base-url-query')}",
        "provider_endpoints": {"deepseek": f"{anyone.base_url}?api_key={v('url-config-endpoint-query')}"},
        "proxy": {"http": f"http://dave:{v('proxy-config-http')}@127.0.0.1:{dead}",
                  "https": f"http://erin:{enc('proxy-config-https')}@127.0.0.1:{dead}"},
        "retry_attempts": 0, "timeout": 10,
    }, indent=2), encoding="utf-8")
    config.chmod(0o600)
    for provider, pid in (("openai", "keyring-openai-svcacct"), ("anthropic", "keyring-anthropic-admin"),
                          ("google", "keyring-google-legacy"), ("openai-compatible", "keyring-compatible-plain")):
        stored = scenario.run(f"keys-set-{provider}", "client", "keys", "set", provider, stdin=v(pid) + "\n")
        assert stored.returncode == 0, stored.stderr
        scenario.run(f"keys-get-{provider}", "client", "keys", "get", provider)
    log = _log_path(home)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(
        "2025-01-01 10:00:00,000 INFO perspt.client: starting\n"
        f"2025-01-01 10:00:01,000 ERROR perspt.client: request failed: Authorization: Bearer {v('log-bearer-plain')}\n"
        f"2025-01-01 10:00:02,000 ERROR perspt.client: retrying with {v('log-inline-shaped')}\n"
        f"2025-01-01 10:00:03,000 ERROR perspt.settings: PASSWORD={v('log-password-assignment')} was refused\n",
        encoding="utf-8")
    planted_log = log.stat().st_size

    # the client as a user runs it: a good answer, then each failing provider, with debug logging on
    scenario.run("ask-openai", "client", "--log-level", "debug", "-q",
                 f"here is my key {v('history-question-shaped')} and my db password={v('history-question-password')}",
                 scan_stdout=False)
    for provider in ("groq", "xai", "mistral", "anthropic", "google", "cohere", "openrouter", "deepseek", "ollama"):
        scenario.run(f"ask-{provider}", "client", "--debug", "--provider", provider, "-q", "Hello")
    scenario.run("ask-argv", "client", "--api-key", v("argv-api-key-flag"), "--provider", "openai-compatible",
                 "-m", "gpt-4o-mini", "--log-level", "debug", "-q", "Hello")
    scenario.run("models-argv", "client", "--api-key", v("argv-api-key-flag"), "--debug", "models",
                 "--provider", "groq")
    imported = home.root / "import.json"
    imported.write_text(json.dumps({"format": "perspt-history", "version": 1, "conversations": [{
        "uuid": "0123456789abcdef0123456789abcdef", "title": "old chat", "messages": [
            {"role": "user", "content": f"my groq key: {v('history-imported')}"},
            {"role": "assistant", "content": "Noted."}]}]}), encoding="utf-8")
    assert scenario.run("history-import", "history", "history", "import", str(imported)).returncode == 0
    _common_outputs(scenario)
    scenario.run("doctor-argv", "terminal", "--api-key", v("argv-api-key-flag"), "doctor", "--offline",
                 "--only", "security.*")
    _export_history(scenario)
    _add_files(scenario, "logs", home.path("state"), "*.log*", {log: planted_log})
    db = next(home.path("data").rglob("history.sqlite3"))
    scenario.history_db_text = _sqlite_text(db)
    return scenario


def _sqlite_text(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT content, COALESCE(error, '') FROM messages").fetchall()
    return "\n".join(f"{a}\n{b}" for a, b in rows)


def _build_broken(root: Path, stack: ExitStack) -> Scenario:
    dead = stack.enter_context(refusing_port())
    home = make_home(root)
    config = home.path("config", "perspt", "config.json")
    config.parent.mkdir(parents=True)
    config.write_text(
        "{\n"
        '  "provider": "openai",\n'
        f'  "api_key": "{v("broken-config-shaped")}",\n'
        f'  "api_keys": {{"groq": "{v("broken-config-plain")}" "mistral": "x"}},\n'
        f'  "proxy": {{"https": "http://frank:{enc("broken-config-proxy")}@127.0.0.1:{dead}",}},\n'
        "  // a comment, and a trailing comma\n"
        '  "model": "gpt-4o-mini",\n'
        "}\n", encoding="utf-8")
    scenario = Scenario(home)
    scenario.run("ask", "client", "--debug", "-q", "Hello")
    scenario.run("validate", "client", "config", "validate")
    scenario.run("config-show", "client", "config", "show")
    _common_outputs(scenario)
    _export_history(scenario)
    _add_files(scenario, "logs", home.path("state"), "*.log*", {})
    return scenario


class CharByChar(OpenAIFake):
    """Streams its reply one character per chunk: a key in it arrives split over many chunks."""

    def reply_tokens(self) -> list[str]:
        return list(self.reply)


def _echoes(key: str) -> str:
    """Every encoding of `key` a careless server might put in an error body."""
    data = key.encode()
    b64, url64 = base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode()
    return (f"b64={b64} b64url={url64} nopad={b64.rstrip('=')} bearer={base64.b64encode(b'Bearer ' + data).decode()} "
            f"url={quote(key, safe='')} plus={quote_plus(key)} hex={data.hex()} json={key.replace('/', chr(92) + '/')} "
            f"split={key[:17]}\n    {key[17:]}")


PLUGIN = """
from perspt_doctor.api import Result, check

@check("hostile.facts", "a plugin whose facts hold secrets", "runtime")
def facts(ctx):
    return Result.ok("plugin ran", facts={{"token": {token!r}, "db": [{{"password": {pw!r}, "port": 5432}}],
                                         "count": 3}})
"""


def _build_hostile(root: Path, stack: ExitStack) -> Scenario:
    encoder = stack.enter_context(OpenAIFake(api_key="not-what-you-sent").start())
    encoder.fail("status", status=401, times=10_000, body={"error": {
        "message": f"Incorrect API key provided: {_echoes(v('echo-encoded-key'))}", "type": "invalid_request_error",
        "param": None, "code": "invalid_api_key"}})
    reply_key = v("reply-echo-key")
    replier = stack.enter_context(CharByChar(api_key=reply_key, reply=(
        f"You said your key is {reply_key}; in base64 that is "
        f"{base64.b64encode(reply_key.encode()).decode()}. Done.")).start())
    shapes = stack.enter_context(OpenAIFake(api_key=None).start())
    shapes.fail("status", status=500, times=10_000, body={"error": {"message": (
        f"internal error for {USER_NAME.title()}: aws={v('error-body-aws-access-key')} "
        f"slack={v('error-body-slack-user')} jwt={v('error-body-jwt')} pat={v('error-body-github-pat')} "
        f"stripe={v('error-body-stripe-restricted')} password={v('error-body-password')}"),
        "type": "server_error", "param": None, "code": None}})
    home = make_home(root, **{
        "HOME": HOME_DIR, "USER": USER_NAME, "LOGNAME": USER_NAME,
        "OPENAI_API_KEY": v("echo-encoded-key"), "OPENAI_BASE_URL": encoder.base_url,
        "GROQ_API_KEY": reply_key, "GROQ_BASE_URL": replier.base_url,
        "MISTRAL_API_KEY": "mistral-test-key-0000", "MISTRAL_BASE_URL": shapes.base_url,
        "NO_PROXY": "127.0.0.1,localhost,::1",
    })
    scenario = Scenario(home, fakes={"encoder": encoder, "replier": replier, "shapes": shapes})
    config = home.path("config", "perspt", "config.json")
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"provider": "openai", "model": "gpt-4o-mini", "api_kye": v("config-misspelled-kye"),
                                  "retry_attempts": 0, "timeout": 10}, indent=2), encoding="utf-8")
    config.chmod(0o600)
    checks = home.path("config", "perspt", "checks")
    checks.mkdir()
    (checks / "hostile.py").write_text(PLUGIN.format(token=v("plugin-facts-token"), pw=v("plugin-facts-nested")),
                                       encoding="utf-8")
    scenario.run("ask-encoded", "client", "--log-level", "debug", "-q", "Hello")
    scenario.run("models-encoded", "client", "--debug", "models", "--provider", "openai")
    scenario.run("ask-reply", "client", "--provider", "groq", "-m", "gpt-4o-mini", "-q", "What is my key?")
    scenario.run("ask-reply-no-stream", "client", "--provider", "groq", "-m", "gpt-4o-mini", "--no-stream", "-q",
                 "And again?")
    typed = " ".join(f"{name} {v('question-' + name)}" for name in (
        "aws-access-key", "slack-bot", "jwt", "github-pat", "github-classic", "stripe-live"))
    scenario.run("ask-shapes", "client", "--log-level", "debug", "--provider", "mistral", "-m", "gpt-4o-mini", "-q",
                 f"{typed} password: {v('question-password-colon')} home {HOME_DIR.upper()} user "
                 f"{USER_NAME.upper()}")
    scenario.run("ask-title", "client", "-q", "x" * 50 + " my key " + v("title-straddle") + " is it valid?")
    scenario.run("ask-line-break", "client", "--api-key", v("argv-key-line-break")[:14] + "\n"
                 + v("argv-key-line-break")[14:], "--provider", "openai-compatible", "--base-url", shapes.base_url,
                 "-m", "gpt-4o-mini", "--log-level", "debug", "-q", "Hello")
    _common_outputs(scenario)
    scenario.run("doctor-verbose-plugin", "terminal", "doctor", "--offline", "--verbose", "--only", "hostile.*")
    _export_history(scenario)
    _add_files(scenario, "logs", home.path("state"), "*.log*", {})
    db = next(home.path("data").rglob("history.sqlite3"))
    scenario.history_db_text = _sqlite_text(db)
    return scenario


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Scenario]]:
    with ExitStack() as stack:
        yield {"main": _build_main(tmp_path_factory.mktemp("main-machine"), stack),
               "broken": _build_broken(tmp_path_factory.mktemp("broken-machine"), stack),
               "hostile": _build_hostile(tmp_path_factory.mktemp("hostile-machine"), stack)}


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("placement", PLACEMENTS, ids=[p.id for p in PLACEMENTS])
def test_no_trace_of_the_secret(scenarios: dict[str, Scenario], placement: Placement, output: str) -> None:
    scenario = scenarios[placement.scenario]
    pieces = scenario.outputs.get(output, [])
    assert pieces, f"no {output} output was produced on the {placement.scenario} machine"
    leaks = [(where, found[:3]) for where, text in pieces if (found := placement.secret.find_in(text))]
    assert not leaks, f"{placement.how}: leaked through {leaks}"


def _evidence(scenarios: dict[str, Scenario]) -> dict[str, Callable[[], bool]]:
    """Proof that each planted secret really went in: a matrix that never saw a secret proves nothing."""
    main, broken, hostile = scenarios["main"], scenarios["broken"], scenarios["hostile"]
    fakes = {**main.fakes, **hostile.fakes}

    def sent(fake: str, pid: str) -> bool:
        return any(v(pid) in json.dumps(r.headers) for r in fakes[fake].requests)  # type: ignore[attr-defined]

    def stored(pid: str) -> bool:
        return v(pid) in hostile.history_db_text

    def hostile_doc() -> dict[str, dict]:
        return {c["id"]: c for c in json.loads(hostile.runs["doctor-json"].stdout)["checks"]}

    def masked(pid: str, scenario: Scenario = main) -> bool:
        """The doctor shows the key's last four characters somewhere: it read this very value."""
        return "…" + v(pid)[-4:] in scenario.runs["doctor-json"].stdout

    def tail(pid: str) -> str:
        return "…" + v(pid)[-4:]

    def shadowed(provider: str, origin: str) -> bool:
        rows = {c["id"]: c for c in json.loads(main.runs["doctor-json"].stdout)["checks"]}
        return any(d.startswith(f"also set in {origin}") and d.endswith("(differs; not used)")
                   for d in rows[f"keys.{provider}"]["details"])

    def report_text() -> str:
        return dict(main.outputs["report"])["report.md"]

    def said(run: str, *needles: str, scenario: Scenario = main) -> bool:
        return all(n in scenario.runs[run].output for n in needles)

    return {
        "env-openai-project": lambda: sent("accepting", "env-openai-project"),
        "env-anthropic-echoed": lambda: sent("anthropic", "env-anthropic-echoed"),
        "env-gemini-echoed": lambda: sent("gemini", "env-gemini-echoed"),
        "env-google-alternate": lambda: shadowed("google", "GOOGLE_API_KEY (environment)"),
        "env-cohere-echoed": lambda: sent("cohere", "env-cohere-echoed"),
        "env-groq-echoed": lambda: sent("echoing", "env-groq-echoed"),
        "env-xai-echoed": lambda: sent("echoing", "env-xai-echoed"),
        "env-mistral-echoed": lambda: sent("echoing", "env-mistral-echoed"),
        "env-deepseek": lambda: masked("env-deepseek"),
        "env-openrouter": lambda: masked("env-openrouter"),
        "env-compatible-plain": lambda: masked("env-compatible-plain"),
        "keyring-openai-svcacct": lambda: shadowed("openai", "keyring") and said("keys-get-openai", tail(
            "keyring-openai-svcacct")),
        "keyring-anthropic-admin": lambda: shadowed("anthropic", "keyring") and said("keys-get-anthropic", tail(
            "keyring-anthropic-admin")),
        "keyring-google-legacy": lambda: shadowed("google", "keyring") and said("keys-get-google", tail(
            "keyring-google-legacy")),
        "keyring-compatible-plain": lambda: shadowed("openai-compatible", "keyring") and said(
            "keys-get-openai-compatible", tail("keyring-compatible-plain")),
        "config-api-key-admin": lambda: shadowed("openai", "config.json: api_key"),
        "config-api-keys-groq-plain": lambda: shadowed("groq", "config.json: api_keys.groq") and tail(
            "config-api-keys-groq-plain") in report_text(),
        "config-api-keys-unknown": lambda: "my-local-llm" in main.runs["doctor-json"].stdout,
        "config-misspelled-field": lambda: "openai_api_key" in main.runs["doctor-json"].stdout,
        "proxy-env-https": lambda: "HTTPS_PROXY" in report_text(),
        "proxy-env-http": lambda: "HTTP_PROXY" in report_text(),
        "proxy-config-http": lambda: "dave" not in report_text()
        and '"http": "http://[REDACTED]@127.0.0.1' in report_text(),
        "proxy-config-https": lambda: '"https": "http://[REDACTED]@127.0.0.1' in report_text(),
        "proxy-ollama-host": lambda: said("ask-ollama", "unauthorized"),
        "url-config-endpoint-query": lambda: any("/v1" in r.path for r in fakes["anyone"].requests),  # type: ignore[attr-defined]
        "url-env-refused-query": lambda: said("ask-openrouter", "refused"),
        "url-config-base-url-query": lambda: "base_url" in report_text(),
        "log-bearer-plain": lambda: any("request failed: Authorization: Bearer [REDACTED]" in t
                                        for _w, t in main.outputs["bundle"]),
        "log-inline-shaped": lambda: any("retrying with [REDACTED]" in t for _w, t in main.outputs["bundle"]),
        "log-password-assignment": lambda: any("PASSWORD=[REDACTED]" in t for _w, t in main.outputs["bundle"]),
        "argv-api-key-flag": lambda: sent("anyone", "argv-api-key-flag"),
        "history-question-shaped": lambda: v("history-question-shaped") in main.history_db_text,
        "history-question-password": lambda: v("history-question-password") in main.history_db_text,
        "history-reply-shaped": lambda: v("history-reply-shaped") in main.history_db_text,
        "history-imported": lambda: v("history-imported") in main.history_db_text,
        "broken-config-shaped": lambda: said("validate", "config.json:4:", scenario=broken),
        "broken-config-plain": lambda: said("doctor", "config.json:4:", scenario=broken),
        "broken-config-proxy": lambda: said("ask", "config.json:4:", scenario=broken),
        "echo-encoded-key": lambda: sent("encoder", "echo-encoded-key") and said(
            "ask-encoded", "Incorrect API key provided", "b64=[REDACTED]", "url=[REDACTED]", scenario=hostile),
        "reply-echo-key": lambda: sent("replier", "reply-echo-key") and said(
            "ask-reply", "You said your key is [REDACTED]; in base64 that is [REDACTED]. Done.", scenario=hostile)
        and "You said your key is [REDACTED]" in hostile.history_db_text,
        "config-misspelled-kye": lambda: "`api_kye` is not a known setting" in dict(hostile.outputs["report"])[
            "report.md"],
        "plugin-facts-token": lambda: hostile_doc()["hostile.facts"]["facts"]["token"] == "[REDACTED]",
        "plugin-facts-nested": lambda: hostile_doc()["hostile.facts"]["facts"]["db"] == [
            {"password": "[REDACTED]", "port": 5432}],
        "argv-key-line-break": lambda: said("ask-line-break", "the API key contains a line break at character 15",
                                            scenario=hostile) and hostile.runs["ask-line-break"].returncode == 2
        and not any(v("argv-key-line-break")[:14] in json.dumps(r.headers)
                    for r in fakes["shapes"].requests),  # type: ignore[attr-defined]
        "title-straddle": lambda: stored("title-straddle") and "x" * 50 + " my key […" in hostile.runs[
            "history-list"].stdout,
        **{f"question-{name}": (lambda pid=f"question-{name}": stored(pid)) for name in (
            "aws-access-key", "slack-bot", "jwt", "github-pat", "github-classic", "stripe-live")},
        "question-password-colon": lambda: stored("question-password-colon"),
        **{f"error-body-{name}": (lambda label=label: said("ask-shapes", "internal error for", scenario=hostile)
                                  and f"{label}=[REDACTED]" in hostile.runs["ask-shapes"].stderr)
           for name, label in (("aws-access-key", "aws"), ("slack-user", "slack"), ("jwt", "jwt"),
                               ("github-pat", "pat"), ("stripe-restricted", "stripe"))},
        "error-body-password": lambda: "password=[REDACTED]" in hostile.runs["ask-shapes"].stderr,
        "identity-home-upper": lambda: HOME_DIR.upper() in hostile.history_db_text,
        "identity-user-upper": lambda: f"user {USER_NAME.upper()}" in hostile.history_db_text,
        "identity-user-title": lambda: "internal error for <user>" in hostile.runs["ask-shapes"].stderr,
    }


@pytest.mark.parametrize("placement", PLACEMENTS, ids=[p.id for p in PLACEMENTS])
def test_the_secret_was_really_planted(scenarios: dict[str, Scenario], placement: Placement) -> None:
    assert _evidence(scenarios)[placement.id](), f"{placement.how}: no sign that perspt ever saw it"


def test_the_matrix_is_big_enough() -> None:
    assert len(PLACEMENTS) >= 30
    assert {p.category.split("+")[0] for p in PLACEMENTS} >= {
        "environment", "config", "keyring", "proxy userinfo", "base URL query", "log records", "history"}
    assert any("echo" in p.category for p in PLACEMENTS) and any("exception" in p.category for p in PLACEMENTS)


@pytest.mark.parametrize("name", ["main", "broken"])
def test_everything_stayed_on_loopback_and_nothing_crashed(scenarios: dict[str, Scenario], name: str) -> None:
    scenario = scenarios[name]
    assert scenario.home.network_violations() == []
    for run_name, ran in scenario.runs.items():
        assert "internal error" not in ran.stderr, (run_name, ran.stderr)
        if not ran.args or "--debug" not in ran.args:
            assert "Traceback" not in ran.stderr, (run_name, ran.stderr)
