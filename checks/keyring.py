"""The OS keyring: a backend that can store keys exists (not the fail or null backend that headless
Linux often ends up with), and keys stored there can be read."""

from __future__ import annotations

from perspt_doctor import api
from perspt_doctor.api import (
    CheckContext,
    Fix,
    Result,
    Status,
    backend_info,
    check,
)

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
HEADLESS_HINT = ("`perspt keys set` keeps keys in a file only you can read instead; to use a keyring on a headless "
                 "machine, install and unlock a Secret Service (gnome-keyring-daemon --unlock), or choose a backend "
                 "with PYTHON_KEYRING_BACKEND")
STORES_NOTHING = ("keyring.backends.fail.Keyring", "keyring.backends.null.Keyring")


def assess_backend(name: str, usable: bool, why: str, keys_path: str = "keys.json", loose_mode: int | None = None,
                   misconfigured: bool = False) -> Result:
    facts = {"backend": name, "usable": usable, "key_file": keys_path}
    if loose_mode is not None:
        return Result.fail(f"the key file {keys_path} is readable by others (mode {loose_mode:o})",
                           hint="make it private: chmod 600 (`perspt doctor --fix` does it)", facts=facts,
                           fixes=[Fix.private(keys_path)])
    if misconfigured:
        return Result.fail(why, hint="unset PYTHON_KEYRING_BACKEND, or name an installed backend "
                                     "(`python -m keyring --list-backends`)", facts=facts)
    if not usable:
        nothing = " (it stores nothing)" if name in STORES_NOTHING else ""
        return Result.ok(f"no usable keyring backend: {name}{nothing}; keys are kept in {keys_path} "
                         "(readable only by you)", facts=facts, details=[f"backend: {name} ({why})", HEADLESS_HINT])
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
    ok: no usable backend (the fail or null backend, which store nothing, or one with priority 0 or less,
      as on a headless Linux machine): `perspt keys set` keeps keys in `keys.json` under the config
      directory, readable only by you.
    fail: that key file is readable or writable by group or others. Fix: `chmod 600` it (offered by
      `perspt doctor --fix`).
    fail: `PYTHON_KEYRING_BACKEND` names a backend that cannot be loaded. Fix: unset it, or name an
      installed backend.
    warn: the backend stores keys unencrypted (`keyrings.alt` plaintext or registry backend).
      Fix: prefer the system keyring (unset `PYTHON_KEYRING_BACKEND`) or environment variables.
    fail: reading the current provider's key from the keyring raised an error (a locked keyring, say).
      Fix: unlock it by logging in to the desktop session, or export the key as an environment variable.
    """
    import os

    name, usable, why = await ctx.run_blocking(backend_info)
    misconfigured = bool(os.environ.get("PYTHON_KEYRING_BACKEND")) and "cannot be loaded" in why
    verdict = assess_backend(name, usable, why, str(api.key_file()), api.loose_permissions(), misconfigured)
    if verdict.status is not Status.OK and not (verdict.status is Status.WARN and usable):
        return verdict
    provider = ctx.settings.provider.value
    lookup = await ctx.run_blocking(ctx.settings.key_lookup, provider)
    if lookup.keyring_error:
        return Result.fail(f"reading the key for {provider} from the keyring failed: {lookup.keyring_error}",
                           hint="unlock the keyring (log in to the desktop session), or export the key as an "
                                "environment variable instead", facts=verdict.facts)
    return verdict
