"""API keys in the OS keyring (service `perspt`, user name = provider id). `keyring` is
imported only here, and only when a key is looked up."""

from __future__ import annotations

import sys

from perspt_doctor.errors import KeyringError

SERVICE = "perspt"


class KeyringUnavailable(KeyringError, RuntimeError):
    """No usable keyring backend (common on headless Linux)."""


def _skip_foreign_backends() -> None:
    """keyring imports every backend to pick one. Its macOS backend's helper module looks up three macOS
    frameworks with ctypes.util.find_library, which on Linux runs ldconfig and the C compiler (~50 ms on
    every start). Off macOS that backend can never be chosen (its priority check raises first), so its
    helper is marked as unavailable, exactly as keyring treats a failed import of it."""
    if sys.platform != "darwin":
        sys.modules.setdefault("keyring.backends.macOS.api", None)  # type: ignore[arg-type]


def backend_info() -> tuple[str, bool, str]:
    """(backend name, usable, why not)."""
    _skip_foreign_backends()
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, fail.Keyring):
        return name, False, "no keyring backend is available"
    try:
        from keyring.backends import null

        if isinstance(backend, null.Keyring):
            return name, False, "the null backend is configured: it stores nothing"
    except ImportError:
        pass
    priority = getattr(backend, "priority", 1)
    if isinstance(priority, (int, float)) and priority <= 0:
        return name, False, f"backend priority {priority} means it is not usable here"
    return name, True, ""


def _keyring():  # type: ignore[no-untyped-def]
    _skip_foreign_backends()
    import keyring

    return keyring


def get_key(provider: str) -> str | None:
    kr = _keyring()
    from keyring.errors import KeyringError, NoKeyringError

    try:
        return kr.get_password(SERVICE, provider)
    except NoKeyringError:
        return None
    except KeyringError as exc:
        raise KeyringUnavailable(str(exc)) from exc


def set_key(provider: str, value: str) -> None:
    kr = _keyring()
    from keyring.errors import KeyringError

    try:
        kr.set_password(SERVICE, provider, value)
    except KeyringError as exc:
        raise KeyringUnavailable(str(exc)) from exc


def delete_key(provider: str) -> bool:
    kr = _keyring()
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        kr.delete_password(SERVICE, provider)
        return True
    except PasswordDeleteError:
        return False
    except KeyringError as exc:
        raise KeyringUnavailable(str(exc)) from exc
