"""Problems found while reading settings, in a shape every output can print in one line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from perspt_doctor import errors

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    code: str
    """Stable identifier, e.g. `json-syntax`, `unknown-key`, `wrong-type`."""
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    key_path: str | None = None
    hint: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def location(self) -> str:
        where = self.file or "<config>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.key_path:
            where += f" ({self.key_path})"
        return where

    def one_line(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text.replace("\n", " ")


class ConfigError(errors.ConfigError):
    """A config file perspt cannot use. Its `str()` is the one-line message shown to the user."""

    def __init__(self, diagnostic: Diagnostic, *, more: int = 0,
                 all_diagnostics: list[Diagnostic] | None = None, loaded: Any = None) -> None:
        text = diagnostic.one_line()
        if more > 0:
            text += f" [and {more} more: run `perspt config validate`]"
        super().__init__(text)
        self.diagnostic = diagnostic
        self.all_diagnostics = all_diagnostics or [diagnostic]
        self.loaded = loaded
        """The parsed file (a LoadedConfig) when it parsed but broke the schema; None otherwise."""
