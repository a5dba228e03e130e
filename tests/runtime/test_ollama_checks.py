"""Every verdict of the ollama.* checks, against the fake daemon over real loopback sockets."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from perspt_doctor.checks import ollama_config as cfg
from perspt_doctor.checks import ollama_server as srv

from perspt_doctor.api import GPU_AMD, GPU_NVIDIA, OllamaReply, ServiceKey, parse_ollama_host, split_label
from perspt_doctor.probes import ollama as ollama_probes
from perspt_doctor.system import gpu
from perspt_doctor.transport.classify import Kind, cause_of
from tests.fakes.ollama_fake import CUDA_OOM_ERROR, FakeModel, Fault, ollama_fake
from tests.runtime.conftest import FIXTURES, make_ctx, make_settings, meta, run

NO_GPU: dict[ServiceKey[Any], Any] = {
    GPU_NVIDIA: gpu.GpuReport("nvidia", "none", absent="nvidia-smi is not on PATH"),
    GPU_AMD: gpu.GpuReport("amd", "none", absent="no AMD GPU")}


def h100() -> dict[ServiceKey[Any], Any]:
    rows = gpu.parse_query_csv((FIXTURES / "nvidia-h100" / "nvidia-smi-query.csv").read_text())
    report = gpu.GpuReport("nvidia", "nvidia-smi", tuple(gpu.devices_from_query(rows)), driver_version="580.159.04")
    return {**NO_GPU, GPU_NVIDIA: report}


def ctx_for(tmp_path: Path, url: str | None, config: dict[str, Any] | None = None, *, env: dict[str, str] | None = None,
            **kw: Any) -> Any:
    cfg = {"provider": "ollama", **(config or {})}
    environ = dict(env or {})
    if url is not None:
        environ["OLLAMA_HOST"] = url
    return make_ctx(make_settings(tmp_path, cfg, environ), **kw)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_category(func: Any, category: str = "ollama") -> None:
    assert meta(func).category == category


# ---- ollama.host ------------------------------------------------------------------------------------
def test_host_default_ok(tmp_path: Path) -> None:
    result = run(cfg.host_check, ctx_for(tmp_path, None))
    assert_category(cfg.host_check)
    assert result.status == "ok" and result.hint is None
    assert result.summary == "perspt will talk to Ollama at http://127.0.0.1:11434 (from built-in default)"


def test_host_port_80_warns(tmp_path: Path) -> None:
    result = run(cfg.host_check, ctx_for(tmp_path, "http://127.0.0.1"))
    assert result.status == "warn" and "port 80" in result.summary
    assert result.hint and "http://127.0.0.1:11434" in result.hint
    assert result.facts["source"] == "OLLAMA_HOST (environment)"


def test_host_v1_in_config_base_url_warns(tmp_path: Path) -> None:
    result = run(cfg.host_check, ctx_for(tmp_path, None, {"base_url": "http://localhost:11434/v1"}))
    assert result.status == "warn" and "/v1" in result.summary
    assert result.hint and result.hint.startswith("drop /v1 (http://localhost:11434)")
    assert any("localhost can resolve to ::1" in d for d in result.details)


def test_host_wildcard_warns_and_shadowed_value_is_shown(tmp_path: Path) -> None:
    result = run(cfg.host_check, ctx_for(tmp_path, "0.0.0.0", {"base_url": "http://127.0.0.1:11434"}))
    assert result.status == "warn" and "WinError 10049" in result.summary
    assert result.hint and "ollama serve" in result.hint
    assert any("not used" in d and "base_url" in d for d in result.details)
    assert result.facts["url"] == "http://127.0.0.1:11434"


def test_host_unusable_fails(tmp_path: Path) -> None:
    result = run(cfg.host_check, ctx_for(tmp_path, "::1:11434"))
    assert result.status == "fail" and "cannot be used" in result.summary
    assert result.hint == "write IPv6 addresses in brackets, e.g. [::1]:11434"


def test_host_openai_compatible_without_v1_warns(tmp_path: Path) -> None:
    config = {"provider": "openai-compatible", "base_url": "http://127.0.0.1:11434",
              "fallback_provider": "ollama"}
    result = run(cfg.host_check, make_ctx(make_settings(tmp_path, config)))
    assert result.status == "warn" and "/v1" in result.summary
    assert result.hint == "add /v1: http://127.0.0.1:11434/v1"


def test_host_in_container_is_noted(tmp_path: Path) -> None:
    result = run(cfg.host_check, ctx_for(tmp_path, None, container="docker"))
    assert result.status == "ok" and result.hint is None
    assert any("container" in d for d in result.details) and result.facts["container"] == "docker"


def test_not_in_scope(tmp_path: Path) -> None:
    ctx = make_ctx(make_settings(tmp_path, {"provider": "openai"}))
    for func in (cfg.host_check, srv.daemon_check, srv.models_check, srv.loaded_check, srv.load_check, cfg.options_check):
        applies = meta(func).applies
        assert applies is not None and "not in use" in str(applies(ctx))
    assert meta(cfg.host_check).applies(ctx_for(tmp_path, None)) is True  # type: ignore[misc]


# ---- ollama.options ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("options", "status", "summary", "hint"), [
    (None, "ok", "no Ollama options set", None),
    ({"num_ctx": 8192, "num_gpu": 99}, "ok", "look sane (num_ctx=8192, num_gpu=99)", None),
    ({"num_gpu": 1}, "warn", "counts model layers", "remove num_gpu to let Ollama decide, or set 0 for CPU only"),
    ({"num_ctx": "4096"}, "warn", "not a whole number", "write a number without quotes"),
    ({"num_ctx": 256}, "warn", "cut off", "use 2048 or more"),
    ({"num_thread": 4096}, "warn", "CPU threads", "remove num_thread"),
])
def test_options(tmp_path: Path, options: dict[str, Any] | None, status: str, summary: str, hint: str | None) -> None:
    config = {"options": options} if options is not None else {}
    result = run(cfg.options_check, ctx_for(tmp_path, None, config))
    assert_category(cfg.options_check)
    assert result.status == status and summary in result.summary
    assert result.hint == hint if hint is None else (result.hint or "").startswith(hint)


# ---- ollama.daemon ----------------------------------------------------------------------------------
def test_daemon_ok(tmp_path: Path) -> None:
    with ollama_fake(version="0.12.3") as fake:
        result = run(srv.daemon_check, ctx_for(tmp_path, fake.host, offline=True))
    assert_category(srv.daemon_check)
    assert result.status == "ok" and result.hint is None
    assert result.summary == f"Ollama 0.12.3 answers at {fake.base_url}" and result.facts["version"] == "0.12.3"


def test_daemon_refused(tmp_path: Path) -> None:
    port = free_port()
    result = run(srv.daemon_check, ctx_for(tmp_path, f"127.0.0.1:{port}"))
    assert result.status == "fail" and "connection refused" in result.summary
    assert result.hint and result.hint.startswith("start Ollama: `ollama serve`")
    assert result.fix_commands == ["ollama serve"]


def test_daemon_refused_on_port_80(tmp_path: Path) -> None:
    try:
        socket.create_connection(("127.0.0.1", 80), timeout=0.5).close()
        pytest.skip("something listens on port 80 here")
    except OSError:
        pass
    result = run(srv.daemon_check, ctx_for(tmp_path, "http://127.0.0.1"))
    assert result.status == "fail" and "connection refused" in result.summary
    assert result.hint and "port 80 was tried" in result.hint


def test_daemon_ipv6_loopback_refused(tmp_path: Path) -> None:
    with ollama_fake() as fake:
        result = run(srv.daemon_check, ctx_for(tmp_path, f"[::1]:{fake.port}"))
    assert result.status == "fail"
    assert result.hint == f"Ollama listens on 127.0.0.1 only: use http://127.0.0.1:{fake.port}"


def test_daemon_refused_in_container(tmp_path: Path) -> None:
    result = run(srv.daemon_check, ctx_for(tmp_path, f"127.0.0.1:{free_port()}", container="docker"))
    assert result.status == "fail" and "host.docker.internal" in (result.hint or "")


def test_daemon_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ollama_probes, "HTTP_BUDGET", 0.5)
    with ollama_fake() as fake:
        fake.hang("/api/version")
        result = run(srv.daemon_check, ctx_for(tmp_path, fake.host))
    assert result.status == "fail" and "no answer within 0.5 s" in result.summary
    assert result.hint and "firewall" in result.hint


def test_daemon_reset(tmp_path: Path) -> None:
    with ollama_fake() as fake:
        fake.reset("/api/version")
        result = run(srv.daemon_check, ctx_for(tmp_path, fake.host))
    assert result.status == "fail" and "closed without an answer" in result.summary
    assert result.hint and "restart Ollama" in result.hint


def test_daemon_tls_to_plain_http(tmp_path: Path) -> None:
    with ollama_fake() as fake:
        result = run(srv.daemon_check, ctx_for(tmp_path, f"https://127.0.0.1:{fake.port}"))
    assert result.status == "fail" and "TLS handshake failed" in result.summary
    assert result.hint == f"Ollama speaks plain HTTP: use http://127.0.0.1:{fake.port}"


def test_dns_failure_hint() -> None:
    host = parse_ollama_host("host.docker.internal:11434")
    reply = OllamaReply(url="", cause=cause_of(Kind.DNS, "DNS lookup failed"))
    assert reply.failure == "dns"
    hint, _ = srv._unreachable_hint(None, host, reply, "docker")  # type: ignore[arg-type]
    assert "--add-host=host.docker.internal:host-gateway" in hint


class _Squid(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body>ERROR: The requested URL could not be retrieved</body></html>"
        self.send_response(403)
        self.send_header("Server", "squid/6.10")
        self.send_header("Via", "1.1 proxy (squid/6.10)")
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


@contextmanager
def html_server(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_daemon_behind_a_proxy_that_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with html_server(_Squid) as proxy_port, ollama_fake() as fake:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy_port}")
        result = run(srv.daemon_check, ctx_for(tmp_path, fake.host))
        assert result.status == "fail" and "something other than Ollama" in result.summary
        assert result.hint and "NO_PROXY" in result.hint
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert run(srv.daemon_check, ctx_for(tmp_path, fake.host)).status == "ok"


def test_daemon_other_program_on_the_port(tmp_path: Path) -> None:
    class Other(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    with html_server(Other) as port:
        result = run(srv.daemon_check, ctx_for(tmp_path, f"127.0.0.1:{port}"))
    assert result.status == "fail" and "HTTP 404" in result.summary
    assert result.hint and "another program listens" in result.hint


def test_daemon_offline_remote_is_skipped_without_traffic(tmp_path: Path) -> None:
    result = run(srv.daemon_check, ctx_for(tmp_path, "ollama.internal.example:11434", offline=True))
    assert result.status == "skip" and "offline" in result.summary and result.hint is None


# ---- ollama.models ----------------------------------------------------------------------------------
def test_models_configured_present(tmp_path: Path) -> None:
    with ollama_fake(models=["llama3.2", "mistral:7b"]) as fake:
        result = run(srv.models_check, ctx_for(tmp_path, fake.host, {"model": "llama3.2"}))
    assert_category(srv.models_check)
    assert result.status == "ok" and result.hint is None
    assert result.summary == "llama3.2 is installed (2.0 GB, 3.2B, Q4_K_M); 2 models in all"


def test_models_configured_missing(tmp_path: Path) -> None:
    with ollama_fake(models=["llama3.2:1b", "mistral:7b"]) as fake:
        result = run(srv.models_check, ctx_for(tmp_path, fake.host, {"model": "llama3.2:8b"}))
    assert result.status == "fail" and "'llama3.2:8b' is not installed" in result.summary
    assert result.hint and result.hint.startswith("download it with `ollama pull llama3.2:8b`")
    assert result.fix_commands == [] and all(fix.ask for fix in result.fixes)
    assert result.commands() == [f"OLLAMA_HOST={fake.host} ollama pull llama3.2:8b"]
    assert any("installed: llama3.2:1b" in d for d in result.details)


def test_models_fallback_model_missing(tmp_path: Path) -> None:
    config = {"provider": "openai", "fallback_chain": [{"provider_type": "ollama", "model": "phi3:mini"}]}
    with ollama_fake(models=[]) as fake:
        result = run(srv.models_check, make_ctx(make_settings(tmp_path, config, {"OLLAMA_HOST": fake.host})))
    assert result.status == "fail" and "(no models installed)" in result.summary
    assert result.commands() == [f"OLLAMA_HOST={fake.host} ollama pull phi3:mini"]


def test_models_none_installed_nothing_configured(tmp_path: Path) -> None:
    with ollama_fake(models=[]) as fake:
        ctx = make_ctx(make_settings(tmp_path, {"provider": "openai"}, {"OLLAMA_HOST": fake.host}))
        result = run(srv.models_check, ctx)
    assert result.status == "warn" and result.summary == "Ollama has no models installed"
    assert result.hint == "download one, e.g. `ollama pull llama3.2`"


def test_models_listing_error(tmp_path: Path) -> None:
    with ollama_fake() as fake:
        fake.fail("/api/tags", 500, "open /usr/share/ollama/.ollama/models/manifests: permission denied")
        result = run(srv.models_check, ctx_for(tmp_path, fake.host))
    assert result.status == "fail" and "permission denied" in result.summary
    assert result.hint and "server log" in result.hint


def test_models_listing_404_means_not_the_native_api(tmp_path: Path) -> None:
    with ollama_fake() as fake:
        fake.fail("/api/tags", 404, "404 page not found")
        result = run(srv.models_check, ctx_for(tmp_path, fake.host))
    assert result.status == "fail" and "not Ollama's native API" in result.summary
    assert result.hint and "without /v1" in result.hint
    assert result.fix_commands == []


# ---- ollama.loaded ----------------------------------------------------------------------------------
def test_loaded_nothing(tmp_path: Path) -> None:
    with ollama_fake() as fake:
        result = run(srv.loaded_check, ctx_for(tmp_path, fake.host))
    assert_category(srv.loaded_check)
    assert result.status == "ok" and "no model is loaded" in result.summary and result.hint is None


def test_loaded_full_gpu(tmp_path: Path) -> None:
    with ollama_fake(vram=80 * 1024**3) as fake:
        fake.load("llama3.2")
        result = run(srv.loaded_check, ctx_for(tmp_path, fake.host, services=h100()))
    assert result.status == "ok" and result.summary == "llama3.2:latest is loaded (100% GPU)" and result.hint is None


def test_loaded_split_warns(tmp_path: Path) -> None:
    with ollama_fake(models=["llama3.2", "mistral:7b"]) as fake:
        fake.load("mistral:7b", size_vram=0)
        loaded = fake.load("llama3.2", size_vram=1_200_000_000)
        result = run(srv.loaded_check, ctx_for(tmp_path, fake.host, services=h100()))
    assert split_label(loaded.size, loaded.size_vram) == "48%/52% CPU/GPU"
    assert result.status == "warn" and "runs 48%/52% CPU/GPU" in result.summary
    assert result.hint and "ollama stop mistral:7b" in result.hint
    assert result.fix_commands == ["ollama stop mistral:7b"]


def test_loaded_on_cpu_with_a_gpu_present(tmp_path: Path) -> None:
    with ollama_fake() as fake:
        fake.load("llama3.2", size_vram=0)
        result = run(srv.loaded_check, ctx_for(tmp_path, fake.host, services=h100()))
        hidden = run(srv.loaded_check, ctx_for(tmp_path, fake.host, env={"CUDA_VISIBLE_DEVICES": "-1"},
                                              services=h100()))
    assert result.status == "warn" and "100% on the CPU although a GPU is present (NVIDIA H100" in result.summary
    assert result.hint and "no compatible GPUs were discovered" in result.hint
    assert hidden.status == "warn" and hidden.hint and hidden.hint.startswith("CUDA_VISIBLE_DEVICES='-1'")


def test_loaded_on_cpu_without_gpu_is_fine(tmp_path: Path) -> None:
    with ollama_fake() as fake:
        fake.load("llama3.2")
        result = run(srv.loaded_check, ctx_for(tmp_path, fake.host, services=NO_GPU))
    assert result.status == "ok" and "(100% CPU)" in result.summary and result.hint is None


def test_loaded_ps_error(tmp_path: Path) -> None:
    with ollama_fake() as fake:
        fake.fail("/api/ps", 500, "internal error")
        result = run(srv.loaded_check, ctx_for(tmp_path, fake.host))
    assert result.status == "fail" and "HTTP 500 internal error" in result.summary
    assert result.hint and "server log" in result.hint


def test_loaded_ps_that_is_not_an_object_is_a_verdict_not_a_crash(tmp_path: Path) -> None:
    with ollama_fake() as fake:
        fake.fault("/api/ps", Fault(status=200, raw_body="[]"))
        result = run(srv.loaded_check, ctx_for(tmp_path, fake.host))
    assert result.status == "fail" and "instead of Ollama's JSON object" in result.summary
    assert result.hint and "server log" in result.hint


# ---- ollama.load (--live) ---------------------------------------------------------------------------
def test_load_offline_remote_is_skipped_without_traffic(tmp_path: Path) -> None:
    ctx = ctx_for(tmp_path, "ollama.internal.example:11434", {"model": "llama3.2"}, offline=True, live=True)
    result = run(srv.load_check, ctx)
    assert result.status == "skip" and "offline" in result.summary and result.hint is None


def test_load_needs_live(tmp_path: Path) -> None:
    result = run(srv.load_check, ctx_for(tmp_path, None))
    assert_category(srv.load_check)
    assert result.status == "skip" and "--live" in result.summary and result.hint is None


def test_load_ok_sends_the_configured_options(tmp_path: Path) -> None:
    with ollama_fake() as fake:
        result = run(srv.load_check, ctx_for(tmp_path, fake.host, {"options": {"num_ctx": 2048}}, live=True))
        sent = [r.body for r in fake.requests if r.path == "/api/generate"][0]
        assert [m.name for m in [*fake.loaded]] == ["llama3.2:latest"]
    assert result.status == "ok" and result.summary.startswith("llama3.2 loads") and result.hint is None
    assert sent == {"model": "llama3.2", "prompt": "", "stream": False, "options": {"num_ctx": 2048}}


@pytest.mark.parametrize(("fault", "status", "summary", "hint", "fixes"), [
    ((500, "model requires more system memory (7.3 GiB) than is available (4.1 GiB)"), "fail",
     "ran out of memory", "lower options.num_ctx", []),
    ((500, CUDA_OOM_ERROR), "fail", "cudaMalloc failed", "options.num_gpu to 0", []),
    ((503, "server busy, please try again.  maximum pending requests exceeded"), "warn", "server is busy",
     "OLLAMA_MAX_QUEUE", []),
    ((404, 'model "llama3.2" not found, try pulling it first'), "fail", "is not installed", "ollama pull llama3.2",
     ["ollama pull llama3.2"]),
    ((500, "llama runner process has terminated: exit status 2"), "fail", "HTTP 500", "server log", []),
    ((401, "unauthorized"), "fail", "sign-in", "ollama signin", ["ollama signin"]),
])
def test_load_errors_are_interpreted(tmp_path: Path, fault: tuple[int, str], status: str, summary: str, hint: str,
                                     fixes: list[str]) -> None:
    with ollama_fake() as fake:
        fake.fail("/api/generate", *fault)
        result = run(srv.load_check, ctx_for(tmp_path, fake.host, live=True))
    assert result.status == status and summary in result.summary
    assert hint in (result.hint or "") and result.fix_commands == fixes


def test_load_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(srv, "LOAD_BUDGET", 0.5)
    with ollama_fake() as fake:
        fake.fault("/api/generate", Fault(hang=True))
        result = run(srv.load_check, ctx_for(tmp_path, fake.host, live=True))
    assert result.status == "warn" and "did not finish loading" in result.summary
    assert result.hint and "smaller tag" in result.hint


def test_shared_answers_are_fetched_once(tmp_path: Path) -> None:
    with ollama_fake(models=[FakeModel("llama3.2")]) as fake:
        ctx = ctx_for(tmp_path, fake.host, services=NO_GPU)
        for func in (srv.daemon_check, srv.models_check, srv.loaded_check):
            run(func, ctx)
        run(srv.models_check, ctx)
        assert fake.paths().count("/api/tags") == 1 and fake.paths().count("/api/version") == 1


def test_daemon_through_a_dead_proxy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with ollama_fake() as fake:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
        result = run(srv.daemon_check, ctx_for(tmp_path, fake.host))
    assert result.status == "fail" and result.fix_commands == []
    assert result.hint and "go through the proxy" in result.hint and "NO_PROXY" in result.hint


def test_daemon_wrong_path_prefix(tmp_path: Path) -> None:
    with ollama_fake() as fake:
        result = run(srv.daemon_check, ctx_for(tmp_path, f"{fake.base_url}/v1"))
    assert result.status == "fail" and "HTTP 404" in result.summary
    assert result.hint == f"the path /v1 in the address sends requests to the wrong place: use http://127.0.0.1:{fake.port}"


def test_models_listed_when_none_configured(tmp_path: Path) -> None:
    with ollama_fake(models=["llama3.2", "mistral:7b"]) as fake:
        ctx = make_ctx(make_settings(tmp_path, {"provider": "openai"}, {"OLLAMA_HOST": fake.host}))
        result = run(srv.models_check, ctx)
    assert result.status == "ok" and result.summary == "2 models installed" and result.hint is None


def test_load_connection_failure(tmp_path: Path) -> None:
    result = run(srv.load_check, ctx_for(tmp_path, f"127.0.0.1:{free_port()}", live=True))
    assert result.status == "fail" and "the load request failed: refused" in result.summary
    assert result.hint and "server log" in result.hint
