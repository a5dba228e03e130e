"""Roles: named system prompts with their own provider, model and sampling options (`roles` in the
config, `perspt --role NAME`, `/role NAME`), as aichat's roles and llm's templates are used."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from perspt_doctor.errors import UsageError
from perspt_doctor.suggest import did_you_mean

SAMPLING_KEYS = ("temperature", "top_p", "max_tokens", "frequency_penalty")


@dataclass(frozen=True)
class Role:
    name: str
    system_prompt: str | None = None
    provider: str | None = None
    model: str | None = None
    sampling: dict[str, Any] = field(default_factory=dict)
    """Only the sampling options the role sets."""


def roles(settings: Any) -> dict[str, Role]:
    """The roles of the config file (entries the schema rejects are reported by `config validate`)."""
    raw = settings.get("roles")
    if not isinstance(raw, Mapping):
        return {}
    out: dict[str, Role] = {}
    for name, entry in raw.items():
        if not isinstance(entry, Mapping) or str(name).startswith("_"):
            continue
        text = {k: entry.get(k) if isinstance(entry.get(k), str) and entry.get(k) else None
                for k in ("system_prompt", "provider", "model")}
        sampling = {k: entry[k] for k in SAMPLING_KEYS
                    if isinstance(entry.get(k), (int, float)) and not isinstance(entry.get(k), bool)}
        out[str(name)] = Role(str(name), text["system_prompt"], text["provider"], text["model"], sampling)
    return out


def find_role(settings: Any, name: str) -> Role:
    """The role `name`; a UsageError (exit 2) with did-you-mean when there is none."""
    known = roles(settings)
    if name in known:
        return known[name]
    close = did_you_mean(name, list(known), limit=1)
    if close:
        hint = f"did you mean `{close[0]}`?"
    elif known:
        hint = "known roles: " + ", ".join(sorted(known))
    else:
        hint = 'define roles in the config file: "roles": {"NAME": {"system_prompt": "...", "model": "..."}}'
    raise UsageError(f"unknown role `{name}`", hint=hint)
