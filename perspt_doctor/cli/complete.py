"""Shell completion values (click's completion protocol): providers, models, check ids and patterns,
conversation ids. Each returns quickly and never fails: a completion that raises prints nothing useful.

    eval "$(_PERSPT_COMPLETE=bash_source perspt)"     # bash; zsh_source and fish_source likewise
"""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem


def providers(_ctx: click.Context, _param: Any, incomplete: str) -> list[CompletionItem]:
    from perspt_doctor import catalog

    return [CompletionItem(pid, help=spec.display_name) for pid, spec in catalog.PROVIDERS.items()
            if pid.startswith(incomplete)]


def models(ctx: click.Context, _param: Any, incomplete: str) -> list[CompletionItem]:
    """The catalog's default models (the provider's, when one is on the command line already)."""
    from perspt_doctor import catalog

    chosen = (ctx.params.get("provider") or "") if ctx is not None else ""
    pid = catalog.canonical_id(str(chosen)) if chosen else None
    specs = [catalog.PROVIDERS[pid]] if pid else list(catalog.PROVIDERS.values())
    names = dict.fromkeys(spec.default_model for spec in specs if spec.default_model)
    return [CompletionItem(name) for name in names if name.startswith(incomplete)]


def check_patterns(_ctx: click.Context, _param: Any, incomplete: str) -> list[CompletionItem]:
    """Every built-in check id (per-provider checks for every provider) and a `category.*` per category."""
    from perspt_doctor import catalog
    from perspt_doctor.engine.discovery import discover
    from perspt_doctor.engine.plan import instantiate

    try:
        found = discover(env={"PERSPT_DISABLE_PLUGINS": "1"})
    except Exception:  # noqa: BLE001 - completion must never print a traceback into the shell
        return []
    checks = instantiate(list(found.checks), list(catalog.PROVIDERS))
    values = sorted({f"{c.category}.*" for c in checks}) + sorted({c.id for c in checks})
    return [CompletionItem(value) for value in values if value.startswith(incomplete)]


def conversations(_ctx: click.Context, _param: Any, incomplete: str) -> list[CompletionItem]:
    """Stored conversation ids, newest first, with their titles as help."""
    from perspt_doctor import paths

    if not paths.history_db().is_file():
        return []  # never create a database to complete a word
    try:
        from perspt_doctor.client.history_store import default_store

        listed = default_store().list_conversations(limit=50)
    except Exception:  # noqa: BLE001 - no history (or a broken one) completes nothing
        return []
    items = [CompletionItem("last", help="the latest conversation")] if "last".startswith(incomplete) else []
    items += [CompletionItem(str(c.id), help=getattr(c, "title", None)) for c in listed
              if str(c.id).startswith(incomplete)]
    return items
