"""`ca_source_problem` loads a CA bundle once per file identity: three variables naming one bundle cost
one load, and a file changed in place (new content, new size or times) is judged again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import trustme

from perspt_doctor.transport import trust
from perspt_doctor.transport.trust import TrustSource, ca_source_problem


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = trust._ca_file_problem

    def counting(path: str) -> str | None:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(trust, "_ca_file_problem", counting)
    monkeypatch.setattr(trust, "_FILE_VERDICTS", {})
    return seen


def _bundle(path: Path) -> Path:
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


def test_one_bundle_named_by_three_variables_is_loaded_once(tmp_path: Path, loads: list[str]) -> None:
    bundle = _bundle(tmp_path / "bundle.pem")
    verdicts = [ca_source_problem(TrustSource(name, str(bundle)))
                for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")]
    assert verdicts == [None, None, None]
    assert loads == [str(bundle)]


def test_two_different_bundles_are_each_loaded(tmp_path: Path, loads: list[str]) -> None:
    first, second = _bundle(tmp_path / "a.pem"), _bundle(tmp_path / "b.pem")
    assert ca_source_problem(TrustSource("SSL_CERT_FILE", str(first))) is None
    assert ca_source_problem(TrustSource("REQUESTS_CA_BUNDLE", str(second))) is None
    assert loads == [str(first), str(second)]


def test_a_bundle_broken_in_place_is_judged_again(tmp_path: Path, loads: list[str]) -> None:
    bundle = _bundle(tmp_path / "bundle.pem")
    source = TrustSource("SSL_CERT_FILE", str(bundle))
    assert ca_source_problem(source) is None
    text = bundle.read_text()
    broken = text.replace("-----BEGIN CERTIFICATE-----\n", "-----BEGIN CERTIFICATE-----\n!!", 1)
    with open(bundle, "r+") as handle:  # the same inode, rewritten
        handle.write(broken[:len(text)])
    stat = bundle.stat()
    os.utime(bundle, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    problem = ca_source_problem(source)
    assert problem is not None and problem.startswith("holds no usable PEM certificate"), problem
    assert loads == [str(bundle), str(bundle)]


def test_a_bundle_replaced_by_another_file_is_judged_again(tmp_path: Path, loads: list[str]) -> None:
    bundle = _bundle(tmp_path / "bundle.pem")
    source = TrustSource("SSL_CERT_FILE", str(bundle))
    assert ca_source_problem(source) is None
    replacement = tmp_path / "new.pem"
    replacement.write_text("not a certificate\n")
    os.replace(replacement, bundle)
    assert ca_source_problem(source) == "holds no PEM certificate (no `-----BEGIN CERTIFICATE-----` block)"
    assert loads == [str(bundle), str(bundle)]
