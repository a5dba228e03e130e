"""The OS keyring: a backend that can store keys exists (not the fail or null backend that headless
Linux often ends up with), and keys stored there can be read."""

from __future__ import annotations

from perspt_doctor.api import CheckContext, Result, backend_info, check

DOCS = "docs/troubleshooting.md#keyring"

FRIENDLY = {
    "keyring.backends.SecretService.Keyring": "Secret Service (GNOME Keyring or KeePassXC)",
    "keyring.backends.kwallet.DBusKeyring": "KWallet",
    "keyring.backends.macOS.Keyring": "macOS Keychain",
    "keyring.backends.Windows.WinVaultKeyring": "Windows Credential Manager",
    "keyring.backends.libsecret.Keyring": "libsecret",
    "keyring.backends.chainer.ChainerBackend": "chained backends",
}
PLAINTEXT = ("keyrings.alt.file.PlaintextKeyring", "keyrings.alt.Windows.RegistryKeyring")
HEADLESS_HINT = ("keys can still come from environment variables; to use the keyring on a headless machine, "
                 "install and unlock a Secret Service (gnome-keyring-daemon --unlock), or choose a backend with "
                 "PYTHON_KEYRING_BACKEND")


def assess_backend(name: str, usable: bool, why: str) -> Result:
    facts = {"backend": name, "usable": usable}
    if not usable:
        return Result.warn(f"no usable keyring backend ({why}); `perspt keys set` cannot store keys here",
                           hint=HEADLESS_HINT, facts=facts, details=[f"backend: {name}"])
    if name in PLAINTEXT:
        return Result.warn(f"keys are stored unencrypted by {name}",
                           hint="anyone who can read your files can read the keys; prefer the system keyring "
                                "(unset PYTHON_KEYRING_BACKEND) or environment variables", facts=facts)
    return Result.ok(f"{FRIENDLY.get(name, name)} ({name})", facts=facts)


@check("keyring.backend", "A usable keyring backend", "keyring", timeout=8, docs=DOCS)
async def keyring_backend(ctx: CheckContext) -> Result:
    """Checks that the operating system's keyring can store API keys and that the key for the current
    provider can be read from it.

    Asks the `keyring` library which backend it chose, then looks up the current provider's key the way
    the client does (flag, environment, keyring, config file).

    ok: a usable backend (Secret Service, KWallet, macOS Keychain, Windows Credential Manager, ...).
    warn: no usable backend: the fail or null backend, or one with priority 0 or less, as on a headless
      Linux machine. `perspt keys set` cannot store keys. Fix: use environment variables, or install and
      unlock a Secret Service (`gnome-keyring-daemon --unlock`), or pick a backend with
      `PYTHON_KEYRING_BACKEND`.
    warn: the backend stores keys unencrypted (`keyrings.alt` plaintext or registry backend).
      Fix: prefer the system keyring (unset `PYTHON_KEYRING_BACKEND`) or environment variables.
    fail: reading the current provider's key from the keyring raised an error (a locked keyring, say).
      Fix: unlock it by logging in to the desktop session, or export the key as an environment variable.
    """
    name, usable, why = await ctx.run_blocking(backend_info)
    verdict = assess_backend(name, usable, why)
    provider = ctx.settings.provider.value
    lookup = await ctx.run_blocking(ctx.settings.key_lookup, provider)
    if lookup.keyring_error:
        return Result.fail(f"reading the key for {provider} from the keyring failed: {lookup.keyring_error}",
                           hint="unlock the keyring (log in to the desktop session), or export the key as an "
                                "environment variable instead", facts=verdict.facts)
    return verdict
