"""Secrets planted in every place a report draws from must reach neither the report, nor the
bundle, nor triage's output; and the final scan must stop a secret that slipped past on purpose."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from reportkit import check_row, document, run_perspt, write_json

from perspt_doctor import paths, redact

# Shaped like real keys (caught by shape) and shapeless (caught only because perspt resolved them).
ENV_KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" + "T3BlbkFJ" + "k1L2m3N4o5P6q7R8s9T0"
ENV_PLAIN = "groqplainenvsecret998877"
CONFIG_KEY = "cfgSecretValue0042xyz"
KEYRING_KEY = "krZq81mNpXtW33vLr0secret"
PROXY_PASSWORD = "pr0xyPa55w0rdXYZ"
ENV_PROXY_PASSWORD = "envProxyPw5544"
QUERY_KEY = "QueryKeySecret123abc"
BEARER = "bearerTokenValue778899aa"
ANTHROPIC = "sk-ant-api03-" + "Zz9" * 12
ALL_SECRETS = (ENV_KEY, ENV_PLAIN, CONFIG_KEY, KEYRING_KEY, PROXY_PASSWORD, ENV_PROXY_PASSWORD, QUERY_KEY, BEARER,
               ANTHROPIC)


def _plant(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    import keyring

    keyring.set_password("perspt", "mistral", KEYRING_KEY)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "provider": "openai",
        "api_key": CONFIG_KEY,
        "proxy": {"https": f"http://alice:{PROXY_PASSWORD}@127.0.0.1:3128"},
        "provider_endpoints": {"google": f"http://127.0.0.1:9/v1beta?key={QUERY_KEY}"},
        "debug": {"enabled": True},
    }), encoding="utf-8")
    log = paths.log_file()
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(
        "2025-01-01 10:00:00,000 INFO perspt.client: starting\n"
        f"2025-01-01 10:00:01,000 ERROR perspt.client: request failed: Authorization: Bearer {BEARER}\n"
        "Traceback (most recent call last):\n"
        '  File "client.py", line 10, in send\n'
        f"httpx.HTTPStatusError: 401 for url http://127.0.0.1:9/v1beta/models?key={QUERY_KEY}\n"
        f"2025-01-01 10:00:02,000 ERROR perspt.keys: keyring returned {KEYRING_KEY} for groq ({ENV_PLAIN})\n"
        f"2025-01-01 10:00:03,000 WARNING perspt.client: retry with {ANTHROPIC}\n",
        encoding="utf-8")
    doc = document(
        check_row("keys.openai", "keys", "fail", f"key {CONFIG_KEY} rejected", provider="openai",
                  details=(f"exception: AuthenticationError('Incorrect API key provided: {ENV_KEY}')",)),
        check_row("proxy.env", "proxy", "fail", f"proxy http://alice:{PROXY_PASSWORD}@127.0.0.1:3128 refused",
                  details=(f"ProxyError: {KEYRING_KEY}", f"env said {ENV_PROXY_PASSWORD}")),
        check_row("http.google", "http", "fail", f"GET http://127.0.0.1:9/v1beta/models?key={QUERY_KEY}",
                  provider="google", facts={"api_key": ENV_PLAIN, "header": f"x-api-key: {ANTHROPIC}"}),
    )
    doc_path = write_json(tmp_path / "doctor.json", doc)
    env = dict(os.environ, OPENAI_API_KEY=ENV_KEY, GROQ_API_KEY=ENV_PLAIN, ANTHROPIC_API_KEY=ANTHROPIC,
               HTTPS_PROXY=f"http://bob:{ENV_PROXY_PASSWORD}@127.0.0.1:3129", PERSPT_CONFIG=str(config))
    return env, doc_path, config


def _assert_clean(text: str, where: str) -> None:
    for secret in ALL_SECRETS:
        assert secret not in text, f"{where} leaks {secret[:6]}..."
        assert secret[-10:] not in text, f"{where} leaks the tail of {secret[:6]}..."


def test_no_planted_secret_reaches_the_report_the_bundle_or_triage(tmp_path: Path) -> None:
    env, doc_path, _config = _plant(tmp_path)
    out, bundle = tmp_path / "report.md", tmp_path / "bundle.zip"
    result = run_perspt("report", "--from-json", str(doc_path), "-o", str(out), "--bundle", str(bundle), "--yes",
                        env=env)
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    _assert_clean(text, "report")
    _assert_clean(result.stdout + result.stderr, "terminal output")
    # What support needs is still there.
    assert "request failed: Authorization: Bearer [REDACTED]" in text
    assert "keyring returned [REDACTED]" in text
    assert '"api_key": "[REDACTED]"' in text and '"provider": "openai"' in text
    assert "HTTPS_PROXY=http://[REDACTED]@127.0.0.1:3129" in text
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    with zipfile.ZipFile(bundle) as archive:
        assert sorted(archive.namelist()) == ["doctor.json", "perspt-log-excerpt.txt", "report.md"]
        for name in archive.namelist():
            _assert_clean(archive.read(name).decode("utf-8"), f"bundle {name}")
        assert "ERROR perspt.client: request failed" in archive.read("perspt-log-excerpt.txt").decode()
        json.loads(archive.read("doctor.json"))
    # Triage runs on the support side, where none of these values are known: it must still show none.
    for args in ((), ("--json",), ("--csv",)):
        triaged = run_perspt("triage", str(out), *args)
        assert triaged.returncode == 0, triaged.stderr
        _assert_clean(triaged.stdout + triaged.stderr, f"triage {args}")
        assert "keys.openai" in triaged.stdout


def test_triage_redacts_secret_shapes_in_a_raw_user_document(tmp_path: Path) -> None:
    doc = document(check_row("auth.openai", "auth", "fail", f"401 with key {ENV_KEY}", provider="openai",
                             hint=f"try curl -H 'Authorization: Bearer {BEARER}' ?key={QUERY_KEY}"))
    path = write_json(tmp_path / "raw.json", doc)
    for args in ((), ("--json",), ("--csv",)):
        triaged = run_perspt("triage", str(path), *args)
        assert triaged.returncode == 0, triaged.stderr
        for secret in (ENV_KEY, BEARER, QUERY_KEY):
            assert secret not in triaged.stdout
        assert "auth.openai" in triaged.stdout


def test_final_scan_removes_a_secret_that_slipped_past_the_redactor(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit test: switch off the redaction inside build_report on purpose; the final scan must catch it,
    remove it, and say where (the user still gets a report)."""
    from perspt_doctor.cli import report_cmd
    from perspt_doctor.cli.app_context import AppContext
    from perspt_doctor.report import markdown

    monkeypatch.setattr(markdown.redact, "redact_obj", lambda obj: obj)
    monkeypatch.setattr(markdown, "_one", lambda text: " ".join(str(text or "").split()))
    doc = document(check_row("auth.openai", "auth", "fail", f"rejected {ENV_KEY}", provider="openai"))
    out = tmp_path / "report.md"
    app = AppContext()
    runner = CliRunner()
    with runner.isolation() as (_stdout, stderr, *_rest):
        code = report_cmd.write_report(app, doc, str(out), None, True)
        errors = stderr.getvalue().decode()
    assert code == 0
    written = out.read_text(encoding="utf-8")
    assert ENV_KEY not in written and "rejected [REDACTED]" in written
    assert "final scan removed" in errors
    assert "report.md line " in errors and "(section 'Doctor results')" in errors
    assert ENV_KEY not in errors


def test_final_scan_names_the_line_and_member_and_writes_without_it(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from perspt_doctor.cli.report_cmd import deliver

    redact.register_secret("shapeless-known-value-42", "test")
    members = {"report.md": "# report\nall fine\n", "doctor.json": "{}\n",
               "perspt-log-excerpt.txt": "line one\nline two has shapeless-known-value-42 in it\n"}
    out, bundle = tmp_path / "r.md", tmp_path / "b.zip"
    assert deliver(members, str(out), str(bundle), True) == 0
    with zipfile.ZipFile(bundle) as archive:
        log = archive.read("perspt-log-excerpt.txt").decode()
    assert log == "line one\nline two has [REDACTED] in it\n"
    err = capsys.readouterr().err
    assert "perspt-log-excerpt.txt line 2: known secret" in err
    assert "shapeless-known-value-42" not in err


def test_bundle_log_excerpt_is_bounded_with_head_tail_and_marker(tmp_path: Path) -> None:
    from perspt_doctor.report.bundle import bundle_members, zip_bytes

    log = tmp_path / "perspt.log"
    lines = [f"2025-01-01 10:00:00,000 INFO perspt.x: line {i:06d} {'x' * 60}" for i in range(40000)]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    members = bundle_members("# r\n", document(), log, limit=64 * 1024)
    excerpt = members["perspt-log-excerpt.txt"]
    assert len(excerpt.encode()) <= 64 * 1024 + 200
    assert "line 000000" in excerpt and "line 039999" in excerpt
    assert "bytes of log cut ...]" in excerpt
    head, tail = excerpt.split("bytes of log cut")
    assert len(head) < len(tail)
    with zipfile.ZipFile(io.BytesIO(zip_bytes(members))) as archive:
        assert archive.read("perspt-log-excerpt.txt").decode() == excerpt
