"""Certificates for loopback TLS servers, made with trustme (plus one self-signed leaf made with
cryptography): valid under a test CA, expired, not yet valid, wrong host, self-signed, missing
intermediate, and an interception CA named like a real inspection product."""

from __future__ import annotations

import datetime as dt
import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass
class Authority:
    ca: trustme.CA
    pem: Path
    """The CA certificate as a file: give it to `network.ca_bundle` or SSL_CERT_FILE."""


def authority(directory: Path, name: str = "ca", organization: str | None = None) -> Authority:
    ca = trustme.CA(organization_name=organization)
    path = directory / f"{name}.pem"
    ca.cert_pem.write_to_path(str(path))
    return Authority(ca, path)


def _context(directory: Path, name: str, *pems: bytes) -> ssl.SSLContext:
    path = directory / f"{name}-server.pem"
    path.write_bytes(b"".join(pems))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(path))
    return context


def server_context(directory: Path, name: str, leaf: trustme.LeafCert, *, chain: bool = True,
                   extra: tuple[bytes, ...] = ()) -> ssl.SSLContext:
    """A server context presenting `leaf` (with its intermediates when chain=True, plus `extra` PEMs)."""
    blobs = [b.bytes() for b in leaf.cert_chain_pems] if chain else [leaf.cert_chain_pems[0].bytes()]
    return _context(directory, name, leaf.private_key_pem.bytes(), *blobs, *extra)


def valid(directory: Path, ca: Authority) -> ssl.SSLContext:
    return server_context(directory, "valid", ca.ca.issue_cert(*LOOPBACK_NAMES))


def expired(directory: Path, ca: Authority) -> ssl.SSLContext:
    now = dt.datetime.now(dt.timezone.utc)
    leaf = ca.ca.issue_cert(*LOOPBACK_NAMES, not_before=now - dt.timedelta(days=60),
                            not_after=now - dt.timedelta(days=1))
    return server_context(directory, "expired", leaf)


def not_yet_valid(directory: Path, ca: Authority, days: float = 2) -> ssl.SSLContext:
    now = dt.datetime.now(dt.timezone.utc)
    leaf = ca.ca.issue_cert(*LOOPBACK_NAMES, not_before=now + dt.timedelta(days=days),
                            not_after=now + dt.timedelta(days=days + 90))
    return server_context(directory, "future", leaf)


def wrong_host(directory: Path, ca: Authority) -> ssl.SSLContext:
    return server_context(directory, "wronghost", ca.ca.issue_cert("api.elsewhere.invalid"))


def missing_intermediate(directory: Path, ca: Authority) -> ssl.SSLContext:
    intermediate = ca.ca.create_child_ca()
    return server_context(directory, "nointermediate", intermediate.issue_cert(*LOOPBACK_NAMES), chain=False)


def intercepting(directory: Path, inspection: Authority) -> ssl.SSLContext:
    """What an inspecting proxy presents: a leaf for the host plus its own root."""
    leaf = inspection.ca.issue_cert(*LOOPBACK_NAMES)
    return server_context(directory, "intercept", leaf, extra=(inspection.ca.cert_pem.bytes(),))


def self_signed(directory: Path) -> ssl.SSLContext:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return _context(directory, "selfsigned", key_pem, cert.public_bytes(serialization.Encoding.PEM))
