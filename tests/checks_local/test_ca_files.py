"""security.ca_files: CA settings that point at nothing, an empty file, a directory, or a file without a PEM
certificate are local facts, diagnosed under --offline with the variable, the path and what is wrong."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import trustme

from tests.client.test_e2e import perspt

CA_FILE_SETTINGS = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "network.ca_bundle")


def _make(tmp_path: Path, case: str) -> tuple[Path, str]:
    target = tmp_path / f"{case}.pem"
    if case == "missing":
        return target, "which does not exist"
    if case == "empty":
        target.write_text("")
        return target, "which is an empty file"
    if case == "directory":
        target.mkdir()
        return target, "which is a directory, not a file"
    if case == "no-pem":
        target.write_text("this is not a certificate\n")
        return target, "which holds no PEM certificate"
    if case == "fifo":
        os.mkfifo(target)
        return target, "which is not a regular file"
    raise AssertionError(case)


def _run(name: str, path: Path) -> dict[str, object]:
    env = {"SSL_CERT_FILE": "", "REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": "", "SSL_CERT_DIR": ""}
    if name == "network.ca_bundle":
        env["PERSPT_NETWORK_CA_BUNDLE"] = str(path)
    else:
        env[name] = str(path)
    result = perspt("doctor", "--offline", "--only", "security.ca_files", "--json", env=env, timeout=30)
    document = json.loads(result.stdout)
    return next(c for c in document["checks"] if c["id"] == "security.ca_files")


@pytest.mark.parametrize("case", ["missing", "empty", "directory", "no-pem", "fifo"])
@pytest.mark.parametrize("name", CA_FILE_SETTINGS)
def test_a_broken_ca_file_setting_fails_offline(name: str, case: str, tmp_path: Path) -> None:
    path, problem = _make(tmp_path, case)
    check = _run(name, path)
    assert check["status"] == "fail", check
    assert check["summary"].startswith(f"{name} points at {path}, {problem}"), check["summary"]
    assert check["hint"] and "unset" in check["hint"]


@pytest.mark.parametrize("case", ["missing", "file", "empty-dir"])
def test_a_broken_ssl_cert_dir_fails_offline(case: str, tmp_path: Path) -> None:
    path = tmp_path / "certs"
    expected = {"missing": "which does not exist", "file": "which is not a directory",
                "empty-dir": "which is an empty directory"}[case]
    if case == "file":
        path.write_text("x")
    elif case == "empty-dir":
        path.mkdir()
    check = _run("SSL_CERT_DIR", path)
    assert check["status"] == "fail", check
    assert check["summary"].startswith(f"SSL_CERT_DIR points at {path}, {expected}"), check["summary"]


def test_a_good_bundle_passes_and_a_shadowed_broken_one_only_warns(tmp_path: Path) -> None:
    good = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(good))
    assert _run("REQUESTS_CA_BUNDLE", good)["status"] == "ok"
    env = {"SSL_CERT_FILE": str(good), "REQUESTS_CA_BUNDLE": str(tmp_path / "gone.pem"), "CURL_CA_BUNDLE": "",
           "SSL_CERT_DIR": ""}
    result = perspt("doctor", "--offline", "--only", "security.ca_files", "--json", env=env, timeout=30)
    check = next(c for c in json.loads(result.stdout)["checks"] if c["id"] == "security.ca_files")
    assert check["status"] == "warn", check
    assert "REQUESTS_CA_BUNDLE points at" in check["summary"] and "not used by perspt" in check["summary"]
