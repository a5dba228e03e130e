"""Roles (issue 15, item 5): named system prompts with their own model and options."""

from __future__ import annotations

import json
from pathlib import Path

from perspt_doctor.settings.schema import validate
from tests.client.test_e2e import openai_env, perspt
from tests.fakes.openai_fake import openai_fake

ROLES = {"coder": {"system_prompt": "You write Python.", "model": "gpt-4o", "temperature": 0.1},
         "poet": {"system_prompt": "Answer in verse.", "top_p": 0.5}}


def _config(tmp_path: Path, roles: dict[str, object] = ROLES) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"provider": "openai", "model": "gpt-4o-mini", "roles": roles}))
    return path


def test_the_schema_validates_each_role() -> None:
    diagnostics = validate({"roles": {"hot": {"temperature": 5}, "typo": {"sytem_prompt": "x"}, "ok": ROLES["coder"]}})
    messages = [d.message for d in diagnostics]
    assert any("`roles.hot.temperature` is 5; it must be at most 2" in m for m in messages), messages
    assert any("unknown key `roles.typo.sytem_prompt`" in m for m in messages), messages
    assert not any("roles.ok" in m for m in messages)
    assert any("`roles.bad` should be an object" in d.message for d in validate({"roles": {"bad": "text"}}))


def test_role_sends_its_prompt_model_and_options_and_flags_still_win(tmp_path: Path) -> None:
    config = _config(tmp_path)
    with openai_fake() as fake:
        result = perspt("-c", str(config), "--role", "coder", "-q", "hi", env=openai_env(fake))
        assert result.returncode == 0, result.stderr
        body = fake.last("chat/completions").json
        assert body["model"] == "gpt-4o" and body["temperature"] == 0.1
        assert body["messages"][0] == {"role": "system", "content": "You write Python."}

        flagged = perspt("-c", str(config), "--role", "coder", "-m", "gpt-4-turbo", "-q", "hi", env=openai_env(fake))
        assert flagged.returncode == 0, flagged.stderr
        assert fake.last("chat/completions").json["model"] == "gpt-4-turbo"


def test_an_unknown_role_is_a_usage_error_with_did_you_mean(tmp_path: Path) -> None:
    config = _config(tmp_path)
    result = perspt("-c", str(config), "--role", "codr", "-q", "hi", env={"OPENAI_API_KEY": "test-key"})
    assert result.returncode == 2, result.stderr
    assert "unknown role `codr`" in result.stderr and "did you mean `coder`?" in result.stderr
    assert "Traceback" not in result.stderr




def test_role_in_the_repl(tmp_path: Path) -> None:
    import os
    import sys

    from tests.client.test_repl_tmux import Tmux
    from tests.infra.tools import need

    need("tmux")
    config = _config(tmp_path)
    with openai_fake() as fake:
        env = {k: os.environ[k] for k in ("PATH", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
                                          "XDG_CACHE_HOME", "PYTHON_KEYRING_BACKEND") if k in os.environ}
        env.update({"TERM": "xterm-256color", "PYTHONPATH": os.getcwd(), **openai_env(fake)})
        repl = Tmux([sys.executable, "-m", "perspt_doctor", "-c", str(config)], env, tmp_path)
        try:
            repl.wait_for(lambda s: "Ctrl+D to quit" in s)
            repl.prompt("/role poets")
            repl.wait_for(lambda s: "unknown role `poets`; did you mean `poet`?" in " ".join(s.split()))
            repl.prompt("/role coder")
            repl.wait_for(lambda s: "Role: coder · openai · gpt-4o" in s)
            repl.prompt("hello")
            repl.wait_for(lambda s: "How can I help you today?" in s)
            body = fake.last("chat/completions").json
            assert body["model"] == "gpt-4o" and body["temperature"] == 0.1
            assert body["messages"][0] == {"role": "system", "content": "You write Python."}
            repl.prompt("/role poet")
            repl.wait_for(lambda s: "Role: poet" in s)
            repl.prompt("again")
            repl.wait_for(lambda s: s.count("How can I help you today?") == 2)
            body = fake.last("chat/completions").json
            assert body["messages"][0]["content"] == "Answer in verse." and body["top_p"] == 0.5
            assert "temperature" not in body, "the coder's temperature does not stay with the poet"
            repl.keys("C-d")
            assert repl.exit_code() == 0
        finally:
            repl.kill()
