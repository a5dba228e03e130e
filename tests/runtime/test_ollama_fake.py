"""The fake Ollama is driven by the official ollama and openai SDKs: if they accept it, it is faithful."""

from __future__ import annotations

import socket

import httpx
import ollama
import pytest
from openai import OpenAI

from tests.fakes.ollama_fake import BUSY_ERROR, OOM_ERROR, FakeModel, Fault, ollama_fake


def test_listing_show_and_ps_parse_with_the_sdk() -> None:
    with ollama_fake(models=["llama3.2", FakeModel("llama3.1:8b", size=4_920_753_328, parameter_size="8.0B")]) as fake:
        client = ollama.Client(host=fake.base_url)
        listed = client.list()
        assert [m.model for m in listed.models] == ["llama3.2:latest", "llama3.1:8b"]
        assert listed.models[1].size == 4_920_753_328
        assert listed.models[0].details and listed.models[0].details.quantization_level == "Q4_K_M"
        shown = client.show("llama3.1:8b")
        assert shown.modelinfo and shown.modelinfo["llama.block_count"] == 32
        assert shown.capabilities == ["completion", "tools"]
        assert client.ps().models == []
        fake.vram = 1_000_000_000
        fake.load("llama3.2")
        running = client.ps().models[0]
        assert running.model == "llama3.2:latest" and running.size_vram == 1_000_000_000
        assert running.context_length == 4096 and running.expires_at is not None
        assert httpx.get(fake.base_url + "/api/version").json() == {"version": "0.12.3"}
        root = httpx.get(fake.base_url + "/")
        assert root.text == "Ollama is running" and root.headers["content-type"].startswith("text/plain")


def test_chat_streaming_and_not() -> None:
    with ollama_fake(models=["llama3.2"], reply="one two three") as fake:
        client = ollama.Client(host=fake.base_url)
        whole = client.chat(model="llama3.2", messages=[{"role": "user", "content": "hi"}])
        assert whole.message.content == "one two three" and whole.done and whole.done_reason == "stop"
        assert whole.eval_count == 3
        parts = list(client.chat(model="llama3.2", messages=[{"role": "user", "content": "hi"}], stream=True))
        assert "".join(p.message.content or "" for p in parts) == "one two three"
        assert [p.done for p in parts] == [False, False, False, True]
        raw = httpx.post(fake.base_url + "/api/chat", json={"model": "llama3.2", "messages": []})
        assert raw.headers["content-type"] == "application/x-ndjson"
        assert client.generate(model="llama3.2", prompt="").done_reason == "load"
        assert client.generate(model="llama3.2", prompt="say").response == "one two three"


def test_errors_are_response_errors_with_status() -> None:
    with ollama_fake(models=["llama3.2"]) as fake:
        client = ollama.Client(host=fake.base_url)
        with pytest.raises(ollama.ResponseError) as missing:
            client.chat(model="llama9", messages=[{"role": "user", "content": "x"}])
        assert missing.value.status_code == 404
        assert missing.value.error == 'model "llama9" not found, try pulling it first'
        with pytest.raises(ollama.ResponseError) as show_missing:
            client.show("llama9")
        assert show_missing.value.error == "model 'llama9' not found"
        fake.out_of_memory(times=1)
        with pytest.raises(ollama.ResponseError) as oom:
            client.chat(model="llama3.2", messages=[{"role": "user", "content": "x"}])
        assert (oom.value.status_code, oom.value.error) == (500, OOM_ERROR)
        fake.busy(times=1)
        with pytest.raises(ollama.ResponseError) as busy:
            client.chat(model="llama3.2", messages=[{"role": "user", "content": "x"}])
        assert (busy.value.status_code, busy.value.error) == (503, BUSY_ERROR)
        assert client.chat(model="llama3.2", messages=[{"role": "user", "content": "x"}]).done
        bad = httpx.post(fake.base_url + "/api/chat", content=b"")
        assert (bad.status_code, bad.json()) == (400, {"error": "missing request body"})
        assert httpx.get(fake.base_url + "/api/nothing").status_code == 404


def test_mid_stream_error_keeps_status_200() -> None:
    with ollama_fake(models=["llama3.2"]) as fake:
        fake.fault("/api/chat", Fault(mid_stream="an error was encountered while running the model", times=1))
        client = ollama.Client(host=fake.base_url)
        with pytest.raises(ollama.ResponseError) as err:
            list(client.chat(model="llama3.2", messages=[{"role": "user", "content": "x"}], stream=True))
        assert err.value.status_code == -1 and "running the model" in err.value.error


def test_pull_progress_and_unknown_model() -> None:
    with ollama_fake(models=[], registry=["phi3:mini"]) as fake:
        client = ollama.Client(host=fake.base_url)
        statuses = [p.status for p in client.pull("phi3:mini", stream=True)]
        assert statuses[0] == "pulling manifest" and statuses[-1] == "success"
        assert [m.model for m in client.list().models] == ["phi3:mini"]
        with pytest.raises(ollama.ResponseError) as err:
            list(client.pull("nope", stream=True))
        assert "file does not exist" in err.value.error
        with pytest.raises(ollama.ResponseError) as err2:
            client.pull("nope")
        assert err2.value.status_code == 500


def test_openai_compatible_layer() -> None:
    with ollama_fake(models=["llama3.2"], reply="hi there") as fake:
        client = OpenAI(base_url=fake.base_url + "/v1", api_key="ollama", max_retries=0)
        assert [m.id for m in client.models.list()] == ["llama3.2:latest"]
        done = client.chat.completions.create(model="llama3.2", messages=[{"role": "user", "content": "x"}])
        assert done.choices[0].message.content == "hi there"
        stream = client.chat.completions.create(model="llama3.2", messages=[{"role": "user", "content": "x"}],
                                                stream=True)
        assert "".join(c.choices[0].delta.content or "" for c in stream).strip() == "hi there"
        from openai import NotFoundError

        with pytest.raises(NotFoundError) as err:
            client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
        assert err.value.body == {"message": "model 'nope' not found", "type": "not_found_error", "param": None,
                                  "code": None}


def test_connection_faults_surface_as_the_sdk_reports_them() -> None:
    with ollama_fake(models=["llama3.2"]) as fake:
        fake.reset("/api/tags", times=1)
        client = ollama.Client(host=fake.base_url, timeout=2)
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            client.list()
        assert client.list().models
        fake.hang("/api/tags", times=1)
        with pytest.raises(httpx.ReadTimeout):
            ollama.Client(host=fake.base_url, timeout=0.3).list()
        fake.slow("/api/version", 0.2, times=1)
        assert httpx.get(fake.base_url + "/api/version", timeout=2).status_code == 200
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectionError, match="Failed to connect to Ollama"):
        ollama.Client(host=f"127.0.0.1:{port}").list()
