"""`perspt models` (and the root flag `--list-models`): the live model list of a provider.

One model id per line on stdout, so `perspt --list-models | grep gpt-4` works; anything else
(the count, a warning about the configured model) goes to stderr.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from perspt_doctor.cli import complete
from perspt_doctor.cli.app_context import AppContext, config_option, pass_app
from perspt_doctor.cli.errors import echo
from perspt_doctor.errors import ConfigError, ExitCode, UserError

if TYPE_CHECKING:
    from perspt_doctor.providers.base import ModelList


@click.command(short_help="List the models a provider offers (live).")
@click.option("--provider", "-p", "provider", metavar="ID", default=None, shell_complete=complete.providers,
              help="Provider to ask (default: the configured one, or --provider-type).")
@click.option("--base-url", "base_url", metavar="URL", default=None,
              help="Base URL of the provider's API (same as the root option).")
@click.option("--json", "as_json", is_flag=True, default=False, help="Print a JSON array with details.")
@click.option("--long", "-l", "long", is_flag=True, default=False,
              help="Add the context window and owner after each id.")
@config_option
@pass_app
def models(app: AppContext, provider: str | None = None, base_url: str | None = None, as_json: bool = False,
           long: bool = False) -> None:
    """List the models PROVIDER offers to your key, asking the provider now."""
    from perspt_doctor import catalog

    if provider:
        app.flags.provider = provider
    if base_url:
        app.flags.base_url = base_url
    if provider or base_url:
        app.invalidate()
    settings = app.settings()
    pid = catalog.resolve_provider(settings.provider.value, settings.provider.origin)
    listing = _fetch(settings, pid)
    ids = sorted(m.id for m in listing.models)
    if as_json:
        import json

        rows = [{"id": m.id, "display_name": m.display_name, "owned_by": m.owned_by,
                 "context_length": m.context_length, "size_bytes": m.size_bytes}
                for m in sorted(listing.models, key=lambda m: m.id)]
        echo(json.dumps(rows, indent=2))
    elif long:
        for m in sorted(listing.models, key=lambda m: m.id):
            extra = [f"{m.context_length} tokens" if m.context_length else "",
                     f"{m.size_bytes / 1e9:.1f} GB" if m.size_bytes else "", m.owned_by or ""]
            echo("\t".join([m.id, *extra]).rstrip())
    else:
        for model_id in ids:
            echo(model_id)
    if not _report(settings, pid, ids):
        raise SystemExit(ExitCode.FAILURE)


def _fetch(settings: Any, pid: str) -> ModelList:
    import asyncio

    from perspt_doctor.providers.errors import ProviderError
    from perspt_doctor.providers.registry import make_adapter

    async def run() -> ModelList:
        adapter = make_adapter(settings, pid)
        try:
            return await adapter.list_models()
        finally:
            await adapter.aclose()

    from perspt_doctor.transport.trust import TransportConfigError

    try:
        return asyncio.run(run())
    except ProviderError as exc:
        raise UserError(f"could not list the models of {pid}: {exc.message}", hint=exc.hint) from None
    except TransportConfigError as exc:
        raise ConfigError(exc.message, hint=exc.hint) from None  # a setting to fix: the command did not start


def _report(settings: Any, pid: str, ids: list[str]) -> bool:
    """Notes on stderr. False when a model named on the command line (`--model X --list-models`, the
    guide's way to validate one model) is not offered: the exit status says so too."""
    from perspt_doctor.providers.model_names import is_available, suggest

    wanted = settings.model
    if not ids:
        echo(f"{pid} offers no models to this key", err=True)
        return True
    if wanted.value and wanted.source.name != "DEFAULT" and not is_available(wanted.value, ids):
        close = suggest(wanted.value, ids)
        also = f"; did you mean {', '.join(close)}?" if close else ""
        level = "error" if wanted.source.name == "FLAG" else "warning"
        echo(f"{level}: model {wanted.value!r} ({wanted.origin}) is not offered by {pid}{also}", err=True)
        return level != "error"
    elif wanted.value and wanted.source.name == "FLAG":
        echo(f"{wanted.value} ({wanted.origin}) is offered by {pid}", err=True)
    if sys.stderr.isatty():
        echo(f"{len(ids)} models from {pid}", err=True)
    return True
