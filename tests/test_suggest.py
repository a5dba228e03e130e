"""The one did-you-mean (perspt_doctor/suggest.py) that settings, providers, client, checks and cli share."""

from __future__ import annotations

from perspt_doctor.providers.model_names import normalise
from perspt_doctor.suggest import did_you_mean

NAMES = ["connect_timeout", "read_timeout", "verify_tls", "ca_bundle"]


def test_another_spelling_comes_first_then_typos() -> None:
    assert did_you_mean("CONNECT-TIMEOUT", NAMES) == ["connect_timeout", "read_timeout"]
    assert did_you_mean("verfy_tls", NAMES) == ["verify_tls"]
    assert did_you_mean("red_timeout", NAMES, limit=1) == ["read_timeout"]


def test_never_the_name_itself_and_nothing_far_off() -> None:
    assert did_you_mean("verify_tls", NAMES) == []
    assert did_you_mean("banana", NAMES) == []
    assert did_you_mean("", NAMES) == [] and did_you_mean("x", []) == []


def test_cutoff_and_limit_are_honoured() -> None:
    assert did_you_mean("timeout", ["timeouts", "timer", "time"], limit=3, cutoff=0.9) == ["timeouts", "time"]
    assert did_you_mean("timeout", ["timeouts", "timer", "time"], limit=1) == ["timeouts"]


def test_prefixes_fill_in_when_typos_are_too_few() -> None:
    assert did_you_mean("gpt4", ["gpt-4o-mini", "gpt-4o", "o1"], cutoff=0.95, key=normalise) == ["gpt-4o", "gpt-4o-mini"]


def test_a_key_function_groups_spellings() -> None:
    assert did_you_mean("GPT 4o", ["gpt-4o", "gpt-4o:latest", "claude"], key=normalise) == ["gpt-4o", "gpt-4o:latest"]
