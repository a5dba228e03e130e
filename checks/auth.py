"""auth.<provider>: one authenticated models request through the client's own adapter, to learn whether
the key works. The same reply feeds model.<provider> and ratelimit.<provider> (the `MODELS` service), so the
doctor asks each provider once. The key itself is never shown: only where it came from and its last 4
characters."""

from __future__ import annotations

from perspt_doctor import api
from perspt_doctor.api import (
    CheckContext,
    Result,
    check,
)

DOCS = "docs/troubleshooting.md#api-keys"


def not_ollama(ctx: CheckContext) -> bool | str:
    if ctx.provider == "ollama":
        return "Ollama uses no API key; ollama.daemon and ollama.models check the server"
    return True


@check("auth.{provider}", "API key works with {provider}", "auth", per_provider=True, needs_network=True,
       timeout=api.PROBE_TIMEOUT + 3, depends_on=("keys.{provider}", "http.{provider}"), applies=not_ollama, docs=DOCS)
async def auth_check(ctx: CheckContext) -> Result:
    """Checks that the provider accepts the API key.

    Sends one authenticated models request (`GET .../models` or the provider's equivalent) through the
    client's own provider adapter, with retries off so the first answer is reported as it is. For
    OpenRouter, whose models list is public, it also asks `GET /key`. `model.{provider}` and
    `ratelimit.{provider}` read the same reply, so each provider is asked once. Only the key's source and
    last 4 characters are shown.

    ok: the provider lists its models for this key (the summary gives the count), or a keyless server
      such as a local OpenAI-compatible one answers without a key.
    warn: the provider rate limits the key right now (429), so it did not reject it. Fix: wait; see
      `ratelimit.{provider}`.
    warn: the provider answered with a fault on its side (5xx, overloaded), so the key could not be
      checked. Fix: retry in a minute; the provider's status page says more.
    fail: no key, or the key is rejected (401): invalid, revoked, expired or reported as leaked; or a
      server wants a key and none is set. Fix: create a new key and store it with
      `perspt keys set PROVIDER`; check that the source named in the summary holds the key you expect.
    fail: access denied (403): the provider does not serve your region, the key's Google Cloud project
      has the Generative Language API off, or the key lacks permissions (an OpenAI restricted key needs
      Models read access). Fix: as the hint says; the region case is not a key problem.
    fail: out of credits or quota. Fix: add credits or raise the spending limit (the hint links the
      billing page), or set a `fallback_provider`.
    fail: the models URL does not exist (404: the base URL is wrong, often a missing or doubled `/v1`),
      the reply is not the provider's API, the request fails on the network, or the HTTP client cannot
      be built from the settings. Fix: check the base URL with `perspt config show`; follow the hint.
    skip: the provider is Ollama, which uses no key (`ollama.daemon` and `ollama.models` check it).
    """
    return api.auth_verdict(await ctx.service(api.MODELS))
