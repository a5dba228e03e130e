"""Logging: a size-rotated file in the platform log dir, every record passed through the redactor."""

from __future__ import annotations

import logging
import os
import re
import stat
from pathlib import Path
from typing import Any

LEVELS = {"trace": 5, "debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "warn": logging.WARNING, "error": logging.ERROR, "critical": logging.CRITICAL}
logging.addLevelName(5, "TRACE")


class RedactingFilter(logging.Filter):
    """Formats the message with its arguments, then redacts it, so no argument escapes."""

    def filter(self, record: logging.LogRecord) -> bool:
        from perspt_doctor.redact import redact

        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            import traceback

            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True


def parse_size(value: Any, default: int | None = None) -> int:
    """`"10MB"` -> 10485760. Numbers are bytes. Unreadable values give `default`, else the schema's
    `resource_limits.log_rotation_size`."""
    if default is None:
        from perspt_doctor.settings.schema import schema_default

        default = parse_size(schema_default("resource_limits.log_rotation_size"), 1)
    if isinstance(value, bool):
        return default
    if isinstance(value, (int, float)):
        return int(value) if value > 0 else default
    if not isinstance(value, str):
        return default
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)(i?[bB])?\s*", value)
    if not match:
        return default
    number = float(match.group(1))
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    size = int(number * factor)
    return size if size > 0 else default


def resolve_level(name: str | None) -> int:
    if not name:
        return logging.WARNING
    return LEVELS.get(name.strip().lower(), logging.INFO)


def configure_logging(app: Any) -> None:
    """Called once the settings are known. Console logging only with --verbose/--debug."""
    import sys

    from perspt_doctor import paths

    root = logging.getLogger("perspt")
    root.handlers.clear()
    root.propagate = False
    settings = app._settings
    debug_cfg = settings.get("debug", {}) if settings is not None else {}
    debug_cfg = debug_cfg if isinstance(debug_cfg, dict) else {}
    level_name = app.log_level or ("debug" if app.debug else None) or (
        debug_cfg.get("log_level") if debug_cfg.get("enabled") else None) or ("info" if app.verbose else None)
    level = resolve_level(level_name) if level_name else logging.INFO
    root.setLevel(min(level, logging.INFO))
    redactor = RedactingFilter()
    if app.verbose or app.debug or app.log_level:
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(level)
        console.addFilter(redactor)
        console.setFormatter(logging.Formatter("perspt: %(levelname)s %(name)s: %(message)s"))
        root.addHandler(console)
    if not _file_logging_wanted(app, debug_cfg):
        _log_start(root, app)
        return
    log_path = Path(str(debug_cfg.get("log_file") or paths.log_file())).expanduser()
    rotation = parse_size(settings.get("resource_limits.log_rotation_size") if settings else None)
    try:
        handler = private_file_handler(log_path, rotation)
    except OSError as exc:
        _warn_unusable(log_path, exc)
        _log_start(root, app)
        return
    handler.setLevel(min(level, logging.INFO))
    handler.addFilter(redactor)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    _log_start(root, app)


def private_file_handler(path: Path, rotation: int) -> logging.Handler:
    """A size-rotated log at `path`, readable by this user only: the file (and every rotated one) is
    created 0600 and the directories perspt creates for it 0700, whatever the umask; the log holds every
    question verbatim. A file that cannot be written gives one redacted line on stderr, once, and no
    `--- Logging error ---` traceback."""
    from logging.handlers import RotatingFileHandler

    class PrivateRotatingFileHandler(RotatingFileHandler):
        _warned = False

        def _open(self) -> Any:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(self.baseFilename, flags | getattr(os, "O_NONBLOCK", 0), 0o600)  # a FIFO would block
            try:
                if os.name == "posix":
                    os.set_blocking(fd, True)
                    if stat.S_ISREG(os.fstat(fd).st_mode):  # never chmod /dev/null or a pipe a user named
                        os.fchmod(fd, 0o600)
                return open(fd, self.mode, encoding=self.encoding, errors=self.errors)  # noqa: SIM115
            except BaseException:
                os.close(fd)
                raise

        def handleError(self, record: logging.LogRecord) -> None:
            import sys

            error = sys.exc_info()[1]
            if not self._warned:
                self._warned = True
                _warn_unusable(Path(self.baseFilename), error)
            self.setLevel(logging.CRITICAL + 1)  # the file is unusable: stop trying for this run

    _make_private_dirs(path.parent)
    return PrivateRotatingFileHandler(path, maxBytes=rotation, backupCount=3, encoding="utf-8", delay=True,
                                      errors="backslashreplace")  # bytes from the environment that are not UTF-8


def _make_private_dirs(directory: Path) -> None:
    """Create `directory` and its missing parents 0700; directories that exist are left as they are."""
    missing = []
    for parent in (directory, *directory.parents):
        if parent.exists():
            break
        missing.append(parent)
    for parent in reversed(missing):
        parent.mkdir(mode=0o700, exist_ok=True)
        if os.name == "posix":
            os.chmod(parent, 0o700)
    if not directory.is_dir():
        raise NotADirectoryError(f"{directory} is not a directory")


def _warn_unusable(path: Path, error: BaseException | None) -> None:
    import sys

    from perspt_doctor.redact import redact

    reason = (getattr(error, "strerror", None) or str(error) or type(error).__name__) if error else "unknown error"
    sys.stderr.write(redact(f"perspt: cannot write the log file {path}: {reason}; check `debug.log_file` "
                            "(logging to a file is off for this run)") + "\n")


def _log_start(root: logging.Logger, app: Any) -> None:
    """One line per run saying what perspt resolved, so a log excerpt explains itself."""
    import sys

    from perspt_doctor._version import __version__

    settings = app._settings
    if not root.handlers:  # nowhere to log (the doctor without --verbose): skip the keyring lookup below
        return
    root.info("perspt %s, python %s, argv %s", __version__, sys.version.split()[0], sys.argv[1:])
    if settings is None:
        return
    config = settings.config
    root.info("config: %s", f"{config.path} ({config.reason})" if config else "none (--no-config)")
    provider, model = settings.provider, settings.model
    key = settings.key_lookup(provider.value, complete=False).resolved  # its origin only: never refuses
    root.debug("provider %s from %s; model %s from %s; key from %s", provider.value, provider.origin,
               model.value, model.origin, key.origin)


def _file_logging_wanted(app: Any, debug_cfg: dict[str, Any]) -> bool:
    """The doctor is read-only: it logs to a file only when asked to (it keeps its own run records)."""
    return bool(getattr(app, "file_logging", True))


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"perspt.{name}")
