"""Run the provider probes through the real engine, against the loopback fakes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from perspt_doctor.engine.outcome import Outcome
from perspt_doctor.engine.runner import DoctorOptions, run_doctor
from perspt_doctor.settings.resolve import Flags, load_settings

Probe = Callable[..., dict[str, Outcome]]


@pytest.fixture
def probe(tmp_path: Path) -> Probe:
    """probe(provider, config, env, only=(...), live=False) -> outcomes by id."""
    counter = iter(range(1000))

    def run(provider: str, config: dict[str, Any], env: dict[str, str] | None = None, *,
            only: tuple[str, ...] = ("auth.*", "model.*", "ratelimit.*"), live: bool = False) -> dict[str, Outcome]:
        path = tmp_path / f"config-{next(counter)}.json"
        path.write_text(json.dumps({"timeout": 5, **config}))
        path.chmod(0o600)
        settings = load_settings(Flags(config=str(path)), env=dict(env or {}), use_keyring=False)
        options = DoctorOptions(only=tuple(f"{p.split('.')[0]}.{provider}" for p in only), providers=(provider,),
                                live=live)
        return run_doctor(settings, options).by_id()

    return run


def verdict(outcome: Outcome, category: str, status: str, summary: str = "", hint: str | None = "") -> Outcome:
    """Assert category, status, a phrase of the summary and of the hint (None: no hint at all)."""
    result = outcome.result
    assert outcome.check.category == category, outcome
    assert result.status.value == status, (result.status, result.summary, result.hint)
    assert summary in result.summary, result.summary
    if hint is None:
        assert result.hint is None, result.hint
    else:
        assert hint in (result.hint or ""), result.hint
    return outcome
