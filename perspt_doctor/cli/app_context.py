"""State shared by every command: the flags of the root command and the lazily resolved settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from perspt_doctor.settings.resolve import Flags, Settings

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppContext:
    flags: Flags = field(default_factory=lambda: _new_flags())
    verbose: bool = False
    debug: bool = False
    log_level: str | None = None
    file_logging: bool = True
    """The doctor turns this off: a plain doctor run writes nothing but its run record."""
    _settings: Settings | None = None
    _logging_ready: bool = False

    def settings(self, *, use_keyring: bool = True) -> Settings:
        """Resolve once per process. Raises ConfigError for a broken config file."""
        if self._settings is None:
            from perspt_doctor.settings.resolve import load_settings

            self._settings = load_settings(self.flags, use_keyring=use_keyring)
            self.setup_logging()
        return self._settings

    def settings_despite_config_error(self) -> tuple[Settings, Exception | None]:
        """The settings, and no error; or, when the config file is broken, the settings the client
        would fall back to (environment and defaults, plus the file's values if it at least parsed)
        and the ConfigError. The doctor and the report run on these and report the file themselves."""
        from perspt_doctor.settings.diagnostics import ConfigError

        try:
            return self.settings(), None
        except ConfigError as exc:
            import os

            from perspt_doctor.settings.resolve import Settings, keyring_lookup_default

            return Settings(flags=self.flags, env=dict(os.environ), config=exc.loaded,
                            keyring_lookup=keyring_lookup_default), exc

    def setup_logging(self) -> None:
        if self._logging_ready:
            return
        self._logging_ready = True
        from perspt_doctor.logs import configure_logging

        configure_logging(self)

    def invalidate(self) -> None:
        self._settings = None


def _new_flags() -> Flags:
    from perspt_doctor.settings.resolve import Flags

    return Flags()


pass_app = click.make_pass_decorator(AppContext, ensure=True)


def config_option(func: F) -> F:
    """`--config FILE` on a subcommand; same meaning as on the root command."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value:
            app = ctx.ensure_object(AppContext)
            app.flags.config = value
            app.invalidate()
        return value

    return click.option("--config", "-c", "config_file", metavar="FILE", expose_value=False, callback=remember,
                        is_eager=True, help="Read this config file instead of the default one.")(func)
