"""The API key for each provider in scope: present, from where, and shaped like this provider's keys.
Only the last 4 characters are ever shown."""

from __future__ import annotations

import re
from dataclasses import dataclass

from perspt_doctor import api
from perspt_doctor.api import (
    PROVIDERS,
    CheckContext,
    KeyShape,
    ProviderSpec,
    Result,
    check,
    key_text_problem,
    mask,
)

DOCS = "docs/troubleshooting.md#api-keys"

_PLACEHOLDER_WORDS = frozenset({
    "your", "my", "the", "a", "insert", "enter", "paste", "put", "add", "replace", "me", "change", "changeme",
    "api", "apikey", "key", "keys", "token", "secret", "here", "goes", "value", "placeholder", "example",
    "dummy", "test", "fake", "todo", "none", "null", "xxx", "sk", "new", "real", "actual",
} | {spec.id for spec in PROVIDERS.values()} | {"claude", "gemini", "grok", "open", "ai"})
_PLACEHOLDER_SHAPES = re.compile(r"sk-?(?:\.+|…|x+|\*+|your\S*)|<[^>]*>|\{[^}]*\}|\$\{?\w+\}?|x{3,}|\*{3,}|\.{3,}",
                                 re.IGNORECASE)


def is_placeholder(value: str) -> bool:
    """`your-api-key`, `sk-...`, `<OPENAI_API_KEY>`, `${OPENAI_API_KEY}`, `changeme`, ..."""
    text = value.strip().lower()
    if len(text) < 8 or _PLACEHOLDER_SHAPES.fullmatch(text):
        return True
    words = [w for w in re.split(r"[-_ .:]+", text) if w]
    return bool(words) and all(w in _PLACEHOLDER_WORDS for w in words)


def _a(name: str) -> str:
    return ("an " if name[:1].upper() in "AEIOU" else "a ") + name


@dataclass(frozen=True)
class KeyVerdict:
    status: str  # ok, warn, fail
    summary: str
    hint: str | None = None
    fixes: tuple[str, ...] = ()
    shape: str | None = None
    by_format: bool = False
    """The verdict rests on the provider's own key formats (a placeholder, another provider's key, a shape
    that does not match), which a server of the user's own need not share."""


def prefix_of(shape: KeyShape) -> str:
    """The literal start of a shape's pattern (`sk-ant-api03-`, `gsk_`, `AIza`); '' for bare ones."""
    match = re.match(r"[A-Za-z0-9_-]+", shape.pattern)
    literal = match.group(0) if match else ""
    rest = shape.pattern[len(literal):]
    if rest.startswith(("{", "*", "+", "?")) and literal:
        literal = literal[:-1]
    return literal


def distinctive_shapes(exclude: str) -> list[tuple[ProviderSpec, KeyShape]]:
    """Other providers' key shapes that start with a recognisable prefix."""
    out = []
    for spec in PROVIDERS.values():
        if spec.id == exclude:
            continue
        for shape in spec.key_shapes:
            if prefix_of(shape) or shape.pattern.startswith("[AI]Q"):
                out.append((spec, shape))
    return out


def assess_key(spec: ProviderSpec, raw: str, origin: str) -> KeyVerdict:
    """The verdict on one key value, without looking anywhere else."""
    shown = mask(raw)
    set_cmd = f"perspt keys set {spec.id}"
    stripped = raw.strip()
    unsendable = key_text_problem(raw)
    if unsendable is not None:  # the client refuses it before any request, whatever the server
        inner = assess_key(spec, stripped, origin) if stripped != raw and not key_text_problem(stripped) else None
        extra = f"; and without it, {inner.summary}" if inner is not None and inner.status != "ok" else ""
        return KeyVerdict("fail", f"the key from {origin} contains {unsendable.what}, so it cannot be sent "
                                  f"({shown}){extra}", hint=unsendable.hint, fixes=(set_cmd,))
    if is_placeholder(stripped.strip("\"'`")):
        return KeyVerdict("fail", f"the key from {origin} is a placeholder, not a real key ({shown})",
                          hint=f"create a key at {spec.keys_url or spec.docs_url} and store it",
                          fixes=(set_cmd,), by_format=True)
    if " " in raw:
        return KeyVerdict("fail", f"the key from {origin} contains spaces ({shown})",
                          hint="copy the key again in one piece: no key has a space inside", fixes=(set_cmd,))
    unquoted = stripped.strip("\"'`")
    if unquoted != stripped:
        inner = assess_key(spec, unquoted, origin)
        extra = f"; and inside them, {inner.summary}" if inner.status != "ok" else ""
        return KeyVerdict("fail", f"the key from {origin} is wrapped in quotes ({shown}){extra}",
                          hint="the quotes became part of the key: remove them "
                               "(in a shell, quotes around the value are fine; inside a .env or JSON string they are not)",
                          fixes=(set_cmd,))
    others = distinctive_shapes(spec.id) if spec.key_shapes else []
    for other, shape in others:
        if re.fullmatch(shape.pattern, stripped):
            return KeyVerdict("fail", f"the key from {origin} is {_a(shape.name)} ({shown}), not "
                                      f"{_a(spec.display_name)} key",
                              hint=f"put it in {other.key_env[0] if other.key_env else other.id}'s variable and "
                                   f"use a {spec.display_name} key here; or use provider `{other.id}`",
                              fixes=(set_cmd,), shape=shape.name, by_format=True)
    if not spec.key_shapes:
        return KeyVerdict("ok", f"key from {origin} ({shown})")
    own = next((s for s in spec.key_shapes if re.fullmatch(s.pattern, stripped)), None)
    if own is not None:
        return KeyVerdict("ok", f"key from {origin} ({shown}), shaped like {_a(own.name)}", shape=own.name)
    expected = ", ".join(sorted({prefix_of(s) + "…" for s in spec.key_shapes if prefix_of(s)})) or "its usual format"
    if not spec.key_shapes_strict:
        return KeyVerdict("ok", f"key from {origin} ({shown}); format not recognised, which is fine: "
                                f"{spec.display_name} changes its key formats")
    prefixes = [prefix_of(s) for s in spec.key_shapes if prefix_of(s)]
    if any(stripped.startswith(p) for p in prefixes):
        return KeyVerdict("warn", f"the key from {origin} starts like {_a(spec.display_name)} key but its length "
                                  f"({len(stripped)}) or characters do not match ({shown})",
                          hint="it may have been cut off when copying; copy it again in full", fixes=(set_cmd,),
                          by_format=True)
    return KeyVerdict("warn", f"the key from {origin} does not look like {_a(spec.display_name)} key "
                              f"(expected {expected}; got {shown})",
                      hint=f"check that this is the key for {spec.display_name} ({spec.keys_url or spec.docs_url})",
                      fixes=(set_cmd,), by_format=True)


@check("keys.{provider}", "API key for {provider}", "keys", per_provider=True, timeout=5, docs=DOCS)
async def provider_key(ctx: CheckContext) -> Result:
    """Checks that each provider in use has an API key, where it comes from, and that it looks like one of
    this provider's keys.

    Resolves the key exactly as the client does (flag, environment, keyring, config file) and compares it
    with the provider's known key shapes from the catalog. Nothing is sent; only the key's last 4
    characters are ever shown.

    ok: a key is set and has this provider's shape (or the provider's formats are not strict, or it has
      none); or no key is set for a provider that does not need one (Ollama, a local OpenAI-compatible
      server).
    warn: the key starts like this provider's keys but its length or characters do not match (cut off
      when copying?), or it does not look like this provider's key at all. Fix: copy the key again in full;
      check it is the key for this provider.
    warn: a different key for the same provider is set in a place with lower precedence and is ignored.
      Fix: remove the stale one so nobody edits the wrong key.
    fail: no key where one is needed. Fix: `perspt keys set PROVIDER` or export its variable; if a
      misspelled variable holds it, rename the variable (the hint names both).
    fail: no key was given and the stored keys could not be read (a keyring that does not answer: locked,
      waiting for its password). Fix: unlock the keyring, or export the provider's variable for now.
    fail: the key cannot be sent as it is: a line break, a tab or another control character, a character
      that is not ASCII (a typographic dash or quote), or a space at either end. The client refuses such a
      key before any request, with the same words, whatever the server. Fix: set the key again, copied as
      one line (`printf %s`, not `echo`).
    fail: the key is a placeholder (`your-api-key`, `sk-...`, `<OPENAI_API_KEY>`); has a space inside; is
      wrapped in quotes; or is another provider's key (`sk-ant-...` for OpenAI, say).
      Fix: store the real key with `perspt keys set PROVIDER`, without blanks or quotes; move another
      provider's key to that provider's variable.
    warn: a placeholder, another provider's key or an unknown shape going to a base URL that is not the
      provider's own API (a server of your own may take any key, as vLLM takes `EMPTY`); `auth.PROVIDER`
      asks that server. Fix: nothing if `auth.PROVIDER` passes; else store the key that server expects with
      `perspt keys set PROVIDER`.
    skip: the provider id is not in the catalog.
    """
    pid = ctx.provider or ""
    spec = PROVIDERS.get(pid)
    if spec is None:
        return Result.skip(f"unknown provider {pid!r}")
    lookup = await ctx.run_blocking(ctx.settings.key_lookup, pid)
    resolved = lookup.resolved
    facts: dict[str, object] = {"source": resolved.source.label, "origin": resolved.origin}
    details = []
    if lookup.keyring_error:
        details.append(f"the keyring could not be read: {lookup.keyring_error}")
    unreadable = lookup.unreadable_store()  # the client's own error when it finds no key to send
    if unreadable is not None:
        return Result.fail(str(unreadable), hint=unreadable.hint, facts=facts)
    if not resolved.is_set:
        return _missing(ctx, spec, facts, details)
    raw = str(resolved.value)
    verdict = _for_endpoint(assess_key(spec, raw, resolved.origin), spec, ctx)
    facts.update({"last4": mask(raw), "length": len(raw.strip()), "shape": verdict.shape})
    differing = [s for s in resolved.shadowed if s.differs]
    for shadow in resolved.shadowed:
        note = "differs; not used" if shadow.differs else "same key"
        details.append(f"also set in {shadow.origin} ({note})")
    if verdict.status == "fail":
        return Result.fail(verdict.summary, hint=verdict.hint, fix_commands=list(verdict.fixes), details=details,
                           facts=facts)
    if verdict.status == "warn":
        return Result.warn(verdict.summary, hint=verdict.hint, fix_commands=list(verdict.fixes), details=details,
                           facts=facts)
    if differing:
        other = differing[0].origin
        return Result.warn(f"{verdict.summary}; a different key in {other} is ignored", details=details,
                           facts=facts, hint=f"perspt uses {resolved.origin} first (flag > environment > keyring > "
                                             f"config); remove the stale one so nobody edits the wrong key")
    return Result.ok(verdict.summary, details=details, facts=facts)


def _for_endpoint(verdict: KeyVerdict, spec: ProviderSpec, ctx: CheckContext) -> KeyVerdict:
    """A verdict from the provider's key formats is only a warning when the key goes to another server
    (a base URL of the user's own: vLLM takes `EMPTY`, a test server `test-key`); the client sends the key
    all the same, so `auth.*` asking that server gives the verdict, and is not blocked."""
    if not verdict.by_format or verdict.status == "ok":
        return verdict
    try:
        endpoint = api.endpoint_for(ctx.settings, spec.id)
    except ValueError:  # an unusable base URL: `config.*` says so, and the key goes nowhere
        return verdict
    if endpoint.is_official_host:
        return verdict
    return KeyVerdict("warn", f"{verdict.summary}; the server at {endpoint.base_url} is not {spec.display_name}'s "
                              f"own API and may take it (`auth.{spec.id}` asks it)",
                      hint=verdict.hint, fixes=verdict.fixes, shape=verdict.shape, by_format=True)


def _missing(ctx: CheckContext, spec: ProviderSpec, facts: dict[str, object], details: list[str]) -> Result:
    if not spec.key_required:
        return Result.ok(f"no key set; {spec.display_name} needs none unless the server was started with one",
                         facts=facts, details=details)
    variable = spec.key_env[0] if spec.key_env else "the key variable"
    wrong = {k: v for k, v in api.misspelled_key_variables(ctx.env).items() if v in spec.key_env}
    hint = f"store it with `perspt keys set {spec.id}`, or export {variable}"
    fixes = [f"perspt keys set {spec.id}"]
    if wrong:
        name = sorted(wrong)[0]
        hint = f"{name} is set, but perspt reads {wrong[name]}: rename the variable"
        fixes = [f'export {wrong[name]}="${name}"'] + fixes
    elif spec.keys_url:
        details.append(f"get a key at {spec.keys_url}")
    return Result.fail(f"no API key for {spec.display_name} ({variable}, keyring or config file)", hint=hint,
                       fix_commands=fixes, details=details, facts=facts)
