"""API keys in the OS keyring (service `perspt`, user name = provider id). `keyring` is
imported only here, and only when a key is looked up.

`store_key` is how a key is saved: in the keyring when a usable backend exists, else in the private key
file (`keyfile.py`), and in either case read back before it is reported as stored; the fail and null
backends store nothing."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from perspt_doctor.errors import KeyringError

SERVICE = "perspt"
BACKEND_ENV = "PYTHON_KEYRING_BACKEND"
KEYRING_TIMEOUT = 10.0
"""Seconds one keyring call may take. A locked keyring waits for its password prompt, and over SSH or in a
container there is no prompt to answer: without a bound, `perspt -q` and the doctor waited for ever."""


class KeyringUnavailable(KeyringError, RuntimeError):
    """No usable keyring backend (common on headless Linux)."""


class KeyringMisconfigured(KeyringUnavailable):
    """PYTHON_KEYRING_BACKEND names a backend that cannot be loaded."""


@dataclass(frozen=True)
class Stored:
    where: str
    """`keyring` or `file`"""
    detail: str
    """The backend's name, or the key file's path."""

    def describe(self) -> str:
        if self.where == "keyring":
            return f"the OS keyring ({self.detail})"
        return f"{self.detail} (readable only by you; no usable keyring here)"


_DETECTING = threading.Lock()
"""keyring's first `get_keyring()` is not thread-safe: it iterates the set of backend classes while a
second caller's imports add to it ("Set changed size during iteration"). The doctor's keyring warm-up
and its keyring checks run in threads at once, so a machine with a working keyring was reported as
having none (7 runs in 50 on a 2-core machine)."""


_waits = {"limit": KEYRING_TIMEOUT}
_UNANSWERED: list[str] = []
"""The first keyring call that timed out: every later call fails at once with its words, instead of
waiting as long again (its thread is still blocked)."""


@contextlib.contextmanager
def waits_at_most(seconds: float) -> Iterator[None]:
    """Inside, wait at most `seconds` for each keyring call (the doctor: a share of its budget)."""
    before = _waits["limit"]
    _waits["limit"] = min(before, seconds)
    try:
        yield
    finally:
        _waits["limit"] = before


def _answered(call: Any, what: str) -> Any:
    """`call()` bounded by the wait limit; KeyringUnavailable when the keyring does not answer in time."""
    from perspt_doctor.bounded import CallTimedOut, call_bounded

    if _UNANSWERED:
        raise KeyringUnavailable(_UNANSWERED[0], hint=_LOCKED_HINT)
    try:
        return call_bounded(call, _waits["limit"], "keyring")
    except CallTimedOut:
        _UNANSWERED.append(f"the keyring did not answer within {_waits['limit']:g} s when {what}: it may be "
                           "locked and waiting for its password")
        raise KeyringUnavailable(_UNANSWERED[0], hint=_LOCKED_HINT) from None


_LOCKED_HINT = ("unlock the keyring (log in to the desktop session), or put the key in the provider's environment "
                "variable for now")


def _load_backend() -> Any:
    """keyring's chosen backend. A PYTHON_KEYRING_BACKEND that cannot be loaded is KeyringMisconfigured;
    a keyring library that cannot start at all, or does not answer, is KeyringUnavailable."""
    try:
        with _DETECTING:
            _skip_foreign_backends()
            import keyring

            return _answered(keyring.get_keyring, "perspt looked for its backend")
    except KeyringUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to start keyring is reported as one line
        named = os.environ.get(BACKEND_ENV)
        if named:
            raise KeyringMisconfigured(f"{BACKEND_ENV}={named} cannot be loaded ({type(exc).__name__}: {exc})",
                                       hint=f"unset {BACKEND_ENV}, or name an installed backend "
                                            "(`python -m keyring --list-backends`)") from None
        raise KeyringUnavailable(f"the keyring library cannot start ({type(exc).__name__}: {exc})") from None


def _skip_foreign_backends() -> None:
    """keyring imports every backend to pick one. Its macOS backend's helper module looks up three macOS
    frameworks with ctypes.util.find_library, which on Linux runs ldconfig and the C compiler (~50 ms on
    every start). Off macOS that backend can never be chosen (its priority check raises first), so its
    helper is marked as unavailable, exactly as keyring treats a failed import of it. The same holds for
    the Secret Service library where there is no D-Bus session (`_secret_service_impossible`)."""
    if sys.platform != "darwin":
        sys.modules.setdefault("keyring.backends.macOS.api", None)  # type: ignore[arg-type]
    if _secret_service_impossible():
        sys.modules.setdefault("secretstorage", None)  # type: ignore[arg-type]


def _secret_service_impossible() -> bool:
    """True where keyring's Secret Service backend cannot be chosen: off macOS and Windows, with no
    D-Bus session bus address (the backend's first step reads DBUS_SESSION_BUS_ADDRESS and gives up
    without it), and no backend named by PYTHON_KEYRING_BACKEND or keyring's config file. Importing
    its library (secretstorage, with cryptography and jeepney) costs tens of milliseconds for nothing
    then, so it is marked unavailable, which keyring treats exactly as a missing library: the backend
    is not viable."""
    if sys.platform in ("darwin", "win32") or os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    if os.environ.get(BACKEND_ENV):
        return False
    config_homes = {os.environ.get("XDG_CONFIG_HOME") or "", os.path.expanduser("~/.config")}
    return not any(os.path.exists(os.path.join(home, "python_keyring", "keyringrc.cfg"))
                   for home in config_homes if home)


def backend_info() -> tuple[str, bool, str]:
    """(backend name, usable, why not)."""
    try:
        backend = _load_backend()
    except KeyringUnavailable as exc:
        return os.environ.get(BACKEND_ENV) or "keyring", False, str(exc)
    from keyring.backends import fail

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
    _load_backend()
    import keyring

    return keyring


def get_key(provider: str) -> str | None:
    kr = _keyring()
    from keyring.errors import KeyringError, NoKeyringError

    try:
        return _answered(lambda: kr.get_password(SERVICE, provider), "perspt asked it for a key")
    except NoKeyringError:
        return None
    except KeyringError as exc:
        raise KeyringUnavailable(str(exc)) from exc


def set_key(provider: str, value: str) -> None:
    kr = _keyring()
    from keyring.errors import KeyringError

    try:
        _answered(lambda: kr.set_password(SERVICE, provider, value), "perspt gave it a key to store")
    except KeyringError as exc:
        raise KeyringUnavailable(str(exc)) from exc


def delete_key(provider: str) -> bool:
    kr = _keyring()
    from keyring.errors import KeyringError, PasswordDeleteError

    try:
        _answered(lambda: kr.delete_password(SERVICE, provider), "perspt asked it to delete a key")
        return True
    except PasswordDeleteError:
        return False
    except KeyringError as exc:
        raise KeyringUnavailable(str(exc)) from exc


def store_key(provider: str, value: str) -> Stored:
    """Save a key where it will be found again, and read it back: the keyring when a usable backend
    exists, else the private key file. Raises KeyringError when neither kept it (never claims a store
    that did not happen). A PYTHON_KEYRING_BACKEND that cannot be loaded is an error, not a reason to
    write the file instead."""
    from perspt_doctor.settings import keyfile

    name, usable, _why = backend_info()
    if usable:
        set_key(provider, value)
        if get_key(provider) != value:
            raise KeyringUnavailable(f"the keyring backend {name} did not keep the key (reading it back failed)")
        return Stored("keyring", name)
    if os.environ.get(BACKEND_ENV):
        _load_backend()  # raises KeyringMisconfigured when the named backend cannot be loaded
    path = keyfile.write_key(provider, value)
    if keyfile.read_key(provider, path) != value:
        raise keyfile.KeyFileError(f"{path} did not keep the key (reading it back failed)")
    return Stored("file", str(path))


def find_key(provider: str) -> tuple[str, Stored] | None:
    """The stored key and where it is: the keyring first, then the key file."""
    from perspt_doctor.settings import keyfile

    name, usable, _why = backend_info()
    if usable:
        value = get_key(provider)
        if value:
            return value, Stored("keyring", name)
    value = keyfile.read_key(provider)
    return (value, Stored("file", str(keyfile.key_file()))) if value else None


def forget_key(provider: str) -> list[Stored]:
    """Remove the key from the keyring and the key file; where it was removed from."""
    from perspt_doctor.settings import keyfile

    removed: list[Stored] = []
    name, usable, _why = backend_info()
    if usable and delete_key(provider):
        removed.append(Stored("keyring", name))
    if keyfile.read_key(provider) is not None:
        removed.append(Stored("file", str(keyfile.write_key(provider, None))))
    return removed
