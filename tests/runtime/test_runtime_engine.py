"""The local-runtime checks as the doctor's engine runs them: found by discovery, ordered by
dependencies, and offline-safe because Ollama on loopback is still probed."""

from __future__ import annotations

from pathlib import Path

from perspt_doctor.engine.runner import DoctorOptions, load_checks, run_doctor
from tests.fakes.ollama_fake import ollama_fake
from tests.runtime.conftest import make_settings

RUNTIME = ("ollama.*", "memory.*", "gpu.*")


def test_discovered_without_duplicates(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, {"provider": "ollama"})
    declared, found = load_checks(settings, DoctorOptions())
    ids = {c.id for c in declared}
    assert {"ollama.host", "ollama.options", "ollama.daemon", "ollama.models", "ollama.loaded", "ollama.load",
            "memory.ram", "memory.swap", "memory.fit", "gpu.nvidia", "gpu.amd", "gpu.apple"} <= ids
    assert not [p for p in found.problems if "ollama" in p.name or "memory" in p.name or "gpu" in p.name]


def test_missing_model_blocks_the_fit_estimate_offline(tmp_path: Path) -> None:
    with ollama_fake(models=["mistral:7b"]) as fake:
        settings = make_settings(tmp_path, {"provider": "ollama", "model": "llama3.2"}, {"OLLAMA_HOST": fake.host})
        run = run_doctor(settings, DoctorOptions(only=RUNTIME, offline=True, builtins=True, timeout=30))
    by_id = {o.check.id: o.result for o in run.outcomes}
    assert by_id["ollama.daemon"].status == "ok"
    assert by_id["ollama.models"].status == "fail"
    assert by_id["ollama.models"].commands() == [f"OLLAMA_HOST={fake.host} ollama pull llama3.2"]
    assert by_id["memory.fit"].status == "skip"
    assert by_id["ollama.load"].status == "skip"
    assert by_id["gpu.apple"].status == "skip"


def test_healthy_local_setup(tmp_path: Path) -> None:
    with ollama_fake(models=["llama3.2"]) as fake:
        settings = make_settings(tmp_path, {"provider": "ollama"}, {"OLLAMA_HOST": fake.host})
        run = run_doctor(settings, DoctorOptions(only=RUNTIME, timeout=30))
    by_id = {o.check.id: o.result for o in run.outcomes}
    for check_id in ("ollama.host", "ollama.daemon", "ollama.models", "ollama.loaded", "ollama.options"):
        assert by_id[check_id].status == "ok", (check_id, by_id[check_id])
    assert by_id["memory.fit"].status in ("ok", "warn", "fail")
    assert "llama3.2" in by_id["memory.fit"].summary
