"""Runs `perspt` in-process the way the console script does (through `run_guarded`), with click's
test isolation for stdin, stdout, stderr and prompts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from click.testing import CliRunner


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_perspt(args: list[str], input: str | None = None) -> CliResult:
    from perspt_doctor.cli import main

    runner = CliRunner()
    code = 0
    with runner.isolation(input=input) as (out, err, _mixed):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        stdout = out.getvalue().decode("utf-8", "replace")
        stderr = err.getvalue().decode("utf-8", "replace")
    return CliResult(code, stdout, stderr)


@pytest.fixture
def perspt() -> Callable[..., CliResult]:
    return run_perspt
