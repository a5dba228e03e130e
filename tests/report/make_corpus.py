"""Regenerate the triage corpus: real `perspt doctor --json` runs in failing situations, each in its
own isolated home (XDG dirs, keyring, no provider variables), talking only to loopback.

    .venv/bin/python tests/report/make_corpus.py          # rewrites tests/report/corpus/real/

Each scenario writes `<name>.json` (the doctor's document) and, for every other one, `<name>.md`
(the Markdown of `perspt report --from-json`), so triage is tested on both formats.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "corpus" / "real"
sys.path.insert(0, str(HERE.parent.parent))
FAKE_OPENAI_KEY = "sk-proj-" + "F" * 24 + "T3BlbkFJ" + "k" * 24
CHECKOUT = str(HERE.parent.parent)
STAND_IN = "/opt/perspt"
"""Where the recorded runs say perspt lives, instead of this machine's checkout (its .venv)."""


def anonymous(text: str) -> str:
    """A recorded run without the path of the checkout it was made in (no file may name one)."""
    return text.replace(CHECKOUT, STAND_IN)


@dataclass
class Scenario:
    name: str
    expected_layer: str
    """The layer a support engineer would name as the root cause."""
    config: dict[str, object] | str | None = None
    env: dict[str, str] = field(default_factory=dict)
    keyring: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Unauthorized(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = json.dumps({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                     "code": "invalid_api_key"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *_args: object) -> None:
        pass


class _Models(http.server.BaseHTTPRequestHandler):
    """An OpenAI-style models endpoint that accepts any key and offers two models."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = json.dumps({"object": "list", "data": [
            {"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"},
            {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@contextlib.contextmanager
def unauthorized_server() -> Iterator[int]:
    with serve(_Unauthorized) as port:
        yield port


@contextlib.contextmanager
def serve(handler: type[http.server.BaseHTTPRequestHandler], tls: object | None = None) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def scenarios(ports: dict[str, int]) -> list[Scenario]:
    refused = f"http://127.0.0.1:{ports['closed']}/v1"
    return [
        Scenario("config_syntax_error", "config",
                 '{\n  "provider": "openai",\n  // my key\n  "model": "gpt-4o-mini",\n}\n'),
        Scenario("missing_key", "keys", {"provider": "openai", "provider_endpoints": {"openai": refused}}),
        Scenario("openai_port_refused", "tcp", {"provider": "openai", "provider_endpoints": {"openai": refused}},
                 env={"OPENAI_API_KEY": FAKE_OPENAI_KEY}),
        Scenario("openai_key_rejected", "auth",
                 {"provider": "openai", "provider_endpoints": {"openai": f"http://127.0.0.1:{ports['401']}/v1"}},
                 env={"OPENAI_API_KEY": FAKE_OPENAI_KEY}),
        Scenario("ollama_refused", "tcp", {"provider": "ollama", "model": "llama3.2:3b",
                                           "base_url": f"http://127.0.0.1:{ports['closed']}"}),
        Scenario("unknown_provider", "config", {"provider": "opanai", "model": "gpt-4o-mini"}),
        Scenario("model_typo", "model",
                 {"provider": "openai", "model": "gpt4o-mini",
                  "provider_endpoints": {"openai": f"http://127.0.0.1:{ports['models']}/v1"}},
                 env={"OPENAI_API_KEY": FAKE_OPENAI_KEY}),
        Scenario("tls_untrusted_issuer", "tls",
                 {"provider": "openai-compatible", "model": "local-model",
                  "provider_endpoints": {"openai-compatible": f"https://localhost:{ports['tls']}/v1"}}),
    ]


def isolated_env(home: Path, extra: dict[str, str]) -> dict[str, str]:
    from tests.infra.home import home_env

    env = home_env(home)
    env["HOME"] = str(home)
    env.update(extra)
    return env


def perspt(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "perspt_doctor", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def run_scenario(scenario: Scenario, home: Path, *, markdown: bool) -> tuple[dict[str, object], str | None]:
    """(the doctor's document, the Markdown report or None)."""
    env = isolated_env(home, scenario.env)
    if scenario.config is not None:
        config_dir = home / "config" / "perspt"
        config_dir.mkdir(parents=True, exist_ok=True)
        text = scenario.config if isinstance(scenario.config, str) else json.dumps(scenario.config, indent=2)
        (config_dir / "config.json").write_text(text, encoding="utf-8")
    result = perspt(["doctor", "--json", "--offline", "--timeout", "20", *scenario.args], env, home)
    if result.returncode not in (0, 1, 3):
        raise SystemExit(f"{scenario.name}: doctor exited {result.returncode}: {result.stderr[-2000:]}")
    document = json.loads(result.stdout)
    if not markdown:
        return document, None
    doc_path = home / "doctor.json"
    doc_path.write_text(result.stdout, encoding="utf-8")
    report = perspt(["report", "--from-json", str(doc_path), "-o", "-", "--yes"], env, home)
    if report.returncode != 0:
        raise SystemExit(f"{scenario.name}: report exited {report.returncode}: {report.stderr[-2000:]}")
    return document, report.stdout


def _has_layer(document: dict[str, object], layer: str) -> bool:
    from perspt_doctor.report.triage import layer_of

    checks = document.get("checks")
    return isinstance(checks, list) and any(layer_of(c.get("category"))[1] == layer for c in checks)


def generate(out: Path = OUT, only: Callable[[Scenario], bool] = lambda s: True) -> dict[str, str]:
    """Run every scenario; return {file name: expected root-cause layer}."""
    out.mkdir(parents=True, exist_ok=True)
    expected: dict[str, str] = {}
    import ssl

    import trustme

    authority = trustme.CA(organization_name="Example Inspection Proxy CA")
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(tls)
    with unauthorized_server() as port_401, serve(_Models) as port_models, serve(_Models, tls) as port_tls:
        ports = {"closed": closed_port(), "401": port_401, "models": port_models, "tls": port_tls}
        for index, scenario in enumerate(s for s in scenarios(ports) if only(s)):
            with tempfile.TemporaryDirectory(prefix="perspt-corpus-") as tmp:
                document, markdown = run_scenario(scenario, Path(tmp), markdown=index % 2 == 1)
            if not _has_layer(document, scenario.expected_layer):
                print(f"{scenario.name}: no {scenario.expected_layer} check ran yet; left out", file=sys.stderr)
                continue
            if markdown is not None:
                name = f"{scenario.name}.md"
                (out / name).write_text(anonymous(markdown), encoding="utf-8")
            else:
                name = f"{scenario.name}.json"
                text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
                (out / name).write_text(anonymous(text), encoding="utf-8")
            expected[name] = scenario.expected_layer
    (out.parent / f"{out.name}_expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return expected


if __name__ == "__main__":
    for file_name, layer in generate().items():
        print(f"{file_name}: expected root cause in layer {layer}")
