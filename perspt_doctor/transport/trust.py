"""CA trust: which certificates the client trusts, from `network.trust_store`, `network.ca_bundle`,
`SSL_CERT_FILE`/`SSL_CERT_DIR` and `network.verify_tls`.

Modes: `certifi` (Mozilla's list from certifi), `system` (the OS store: truststore on macOS/Windows), and
`auto` (the default): a CA variable when one is set, replacing the defaults as httpx and requests do;
otherwise certifi plus the OS default store. `network.ca_bundle` is added in every mode.

The CA variables, first set wins (`CA_VARIABLES`): `SSL_CERT_FILE` (OpenSSL, httpx), `REQUESTS_CA_BUNDLE`
(requests, pip), `CURL_CA_BUNDLE` (curl, requests), then the directory `SSL_CERT_DIR`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from perspt_doctor.errors import TransportError

if TYPE_CHECKING:
    import ssl
    from collections.abc import Mapping

    from perspt_doctor.settings.resolve import Settings


class TransportConfigError(TransportError, ValueError):
    """A setting that makes it impossible to build the HTTP client (bad proxy URL, missing CA file)."""

    def __init__(self, message: str, hint: str | None = None, setting: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.message = message
        self.setting = setting


@dataclass(frozen=True)
class TrustSource:
    name: str
    """certifi, system, one of CA_VARIABLES, ca_bundle, none."""
    location: str | None = None

    @property
    def is_variable(self) -> bool:
        return self.name in CA_VARIABLES


CA_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_DIR")
"""The environment variables that name CA certificates, in precedence order (the first set one is used)."""


def ca_variable(env: Mapping[str, str]) -> TrustSource | None:
    """The CA variable in effect (first set of `CA_VARIABLES`), or None."""
    for name in CA_VARIABLES:
        if env.get(name):
            return TrustSource(name, env[name])
    return None


@dataclass
class TrustPlan:
    mode: str
    verify: bool
    sources: list[TrustSource] = field(default_factory=list)

    def variable(self) -> TrustSource | None:
        """The CA variable this plan uses, if any."""
        return next((s for s in self.sources if s.is_variable), None)

    def describe(self) -> str:
        if not self.verify:
            return "verification off (network.verify_tls is false)"
        return " + ".join(s.name + (f" ({s.location})" if s.location and s.name != "certifi" else "")
                          for s in self.sources)


def trust_plan(settings: Settings) -> TrustPlan:
    verify = settings.get("network.verify_tls") is not False
    mode = str(settings.get("network.trust_store")).lower()
    plan = TrustPlan(mode, verify)
    if not verify:
        return plan
    variable = ca_variable(settings.env)
    if mode == "system":
        plan.sources.append(TrustSource("system"))
    elif mode == "certifi":
        plan.sources.append(TrustSource("certifi"))
    elif variable is not None:
        plan.sources.append(variable)
    else:
        plan.sources.extend([TrustSource("certifi"), TrustSource("system")])
    bundle = settings.get("network.ca_bundle")
    if bundle:
        plan.sources.append(TrustSource("ca_bundle", os.path.expanduser(str(bundle))))
    return plan


MAX_BUNDLE_BYTES = 64 * 1024 * 1024
"""A CA bundle is a few hundred kilobytes; a regular file's size is its real size."""


def _check_file(path: str, what: str, setting: str) -> None:
    if not os.path.exists(path):
        raise TransportConfigError(
            f"{what} points at {path}, which does not exist", setting=setting,
            hint=f"fix the path, or unset {what} to use the default CA certificates"
            if what.isupper() else f"fix `{setting}` or remove it from the config")
    if not os.access(path, os.R_OK):
        raise TransportConfigError(f"{what} points at {path}, which this user cannot read", setting=setting,
                                   hint=f"make the file readable (chmod a+r {path})")
    from perspt_doctor.fsutil import not_regular

    info = os.stat(path)
    kind = not_regular(info.st_mode)
    if kind is not None:  # OpenSSL would wait forever on a FIFO, or read /dev/zero without end
        raise TransportConfigError(f"{what} points at {path}, which is {kind}, not a regular file",
                                   setting=setting, hint="point it at a PEM file of CA certificates")
    if info.st_size > MAX_BUNDLE_BYTES:
        raise TransportConfigError(f"{what} points at {path}, which is larger than {MAX_BUNDLE_BYTES:,} bytes",
                                   setting=setting, hint="point it at a PEM file of CA certificates")


_CACHE: dict[tuple[Any, ...], Any] = {}
"""Built contexts, keyed by what they trust (files by path and modification time). Loading a CA
bundle costs tens of milliseconds of CPU; a doctor run needs the same few contexts many times."""


def _stamp(path: str | None) -> int | None:
    try:
        return os.stat(path).st_mtime_ns if path else None
    except OSError:
        return None


def _key(kind: str, *sources: TrustSource) -> tuple[Any, ...]:
    return (kind, *((s.name, s.location, _stamp(s.location)) for s in sources),
            *(os.environ.get(name) for name in CA_VARIABLES))


def context_for(source: TrustSource) -> ssl.SSLContext:
    """A verifying context that trusts exactly one source (the doctor compares them side by side)."""
    key = _key("one", source)
    if key not in _CACHE:
        _CACHE[key] = _context_for(source)
    return _CACHE[key]


def _context_for(source: TrustSource) -> ssl.SSLContext:
    import ssl

    if source.name == "system":
        import sys

        if sys.platform not in ("darwin", "win32"):
            # truststore on Linux verifies against OpenSSL's default paths, reloading them for every
            # connection (~20 ms of CPU each); a context that loads them once trusts exactly the same.
            context = bare_context()
            context.load_default_certs()
            return context
        import truststore

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if source.name == "certifi":
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    context = bare_context()
    _load(context, source)
    return context


def bare_context() -> ssl.SSLContext:
    """`ssl.create_default_context()` without any CA certificates loaded."""
    import ssl
    import sys

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if sys.version_info >= (3, 13):
        context.verify_flags |= ssl.VERIFY_X509_STRICT | ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def _check_source(source: TrustSource) -> tuple[str, str]:
    """(what, setting) of a CA file or directory that exists and can be read; TransportConfigError if not.
    Reads no certificate."""
    assert source.location is not None
    setting = {"ca_bundle": "network.ca_bundle"}.get(source.name, source.name)
    what = "network.ca_bundle" if source.name == "ca_bundle" else source.name
    if source.name == "SSL_CERT_DIR":
        if not os.path.isdir(source.location):
            raise TransportConfigError(f"SSL_CERT_DIR points at {source.location}, which is not a directory",
                                       setting=setting, hint="fix the path, or unset SSL_CERT_DIR")
    else:
        _check_file(source.location, what, setting)
    return what, setting


def check_trust_sources(settings: Settings) -> None:
    """What `ssl_context` checks before it loads any certificate: every CA file or directory the plan
    names exists and can be read. The client checks this when it is built (a missing CA file is a
    configuration error at once) and loads the certificates on its first HTTPS request."""
    plan = trust_plan(settings)
    for source in plan.sources if plan.verify else ():
        if source.location is not None:
            _check_source(source)


def _load(context: Any, source: TrustSource) -> None:
    import ssl

    what, setting = _check_source(source)
    assert source.location is not None
    if source.name == "SSL_CERT_DIR":
        context.load_verify_locations(capath=source.location)
        return
    try:
        context.load_verify_locations(cafile=source.location)
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise TransportConfigError(f"{what} ({source.location}) holds no usable PEM certificates: {exc}",
                                   setting=setting,
                                   hint="the file must contain `-----BEGIN CERTIFICATE-----` blocks") from exc


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """The context the client verifies servers with. Raises TransportConfigError for a bad CA file."""
    plan = trust_plan(settings)
    key = _key(f"client:{plan.mode}:{plan.verify}", *plan.sources)
    if key not in _CACHE:
        _CACHE[key] = _client_context(plan)
    return _CACHE[key]


def _client_context(plan: TrustPlan) -> ssl.SSLContext:
    import ssl

    if not plan.verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    first = plan.sources[0]
    if first.name in ("system", "certifi"):
        context = _context_for(first)  # a fresh one: the extra sources are added to it
    else:
        context = bare_context()
        _load(context, first)
    for extra in plan.sources[1:]:
        if extra.name == "system":
            context.load_default_certs()
        else:
            _load(context, extra)
    return context


# ---- the CA settings as local facts (no network) ---------------------------------------------------
CA_READ_LIMIT = 64 * 1024 * 1024
"""A CA bundle larger than this is not a CA bundle (certifi's is about 300 KB)."""


def configured_ca_sources(settings: Settings) -> list[TrustSource]:
    """Every CA variable that is set, in precedence order, then `network.ca_bundle`."""
    out = [TrustSource(name, settings.env[name]) for name in CA_VARIABLES if settings.env.get(name)]
    bundle = settings.get("network.ca_bundle")
    if bundle:
        out.append(TrustSource("ca_bundle", os.path.expanduser(str(bundle))))
    return out


def ca_source_problem(source: TrustSource) -> str | None:
    """What is wrong with a CA file or directory, read from the disk only, or None when it holds
    certificates: it does not exist, is a directory where a file is expected (or the reverse), cannot be
    read, is empty, or holds no usable PEM certificate."""
    import stat

    path = source.location or ""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        return f"cannot be examined ({exc.strerror or exc})"
    mode = info.st_mode
    if source.name == "SSL_CERT_DIR":
        if not stat.S_ISDIR(mode):
            return "is not a directory (SSL_CERT_DIR names a directory of hashed certificates)"
        try:
            names = os.listdir(path)
        except OSError as exc:
            return f"cannot be listed ({exc.strerror or exc})"
        import re

        if not any(re.fullmatch(r"[0-9a-f]{8}\.r?\d+", name) for name in names):
            return ("holds no hashed certificate files (name.0): run `openssl rehash` on it"
                    if names else "is an empty directory")
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if not stat.S_ISREG(mode):
        return "is not a regular file"
    identity = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    if identity not in _FILE_VERDICTS:
        _FILE_VERDICTS[identity] = _ca_file_problem(path)
    return _FILE_VERDICTS[identity]


_FILE_VERDICTS: dict[tuple[int, ...], str | None] = {}
"""`_ca_file_problem` per file identity (device, inode, size, change times): SSL_CERT_FILE,
REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE often name one bundle, and loading it costs tens of milliseconds."""


def _ca_file_problem(path: str) -> str | None:
    text = _read_bounded(path)
    if isinstance(text, Exception):
        return f"cannot be read ({getattr(text, 'strerror', None) or text})"
    if not text.strip():
        return "is an empty file"
    if "-----BEGIN CERTIFICATE-----" not in text:
        return "holds no PEM certificate (no `-----BEGIN CERTIFICATE-----` block)"
    import ssl

    try:
        bare_context().load_verify_locations(cadata=text)
    except (ssl.SSLError, ValueError) as exc:
        return f"holds no usable PEM certificate ({exc})"
    return None


def _read_bounded(path: str) -> str | OSError:
    """The file's text, opened without blocking (a FIFO swapped in after the stat never hangs)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        return exc
    try:
        data = os.read(fd, CA_READ_LIMIT)
    except OSError as exc:
        return exc
    finally:
        os.close(fd)
    return data.decode("utf-8", errors="replace")
