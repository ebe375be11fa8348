"""bulktui's log file, for what happened while the console owned the terminal.

``<platformdirs user log dir>/bulktui.log`` (``~/.local/state/bulktui/log`` on Linux), WARNING
and above by default; ``BULKTUI_LOG_LEVEL`` = ``debug``, ``info``, ``warning``, ``error`` or
``off``. The file is created mode 0600 in a 0700 directory (and put back to 0600 if found
otherwise), rotated at 1 MB with two old files kept, and opened only when the first record
arrives. Every record passes the redaction filter (``bulktui.api.redact``) first: session ids,
tokens and passwords are masked before anything is written.
"""

from __future__ import annotations

import contextlib
import io
import logging
import logging.handlers
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import platformdirs

from bulktui.api.redact import RedactingFilter

ENV = "BULKTUI_LOG_LEVEL"
FILE_NAME = "bulktui.log"
MAX_BYTES = 1_000_000
BACKUPS = 2
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_dir() -> Path:
    return platformdirs.user_log_path("bulktui")


def level_from_env() -> int | None:
    """The level BULKTUI_LOG_LEVEL asks for; None for ``off``. Unknown words mean the
    default: a typo must not stop the console."""
    raw = os.environ.get(ENV, "").strip().lower()
    if raw in ("off", "none", "0"):
        return None
    return LEVELS.get(raw, logging.WARNING)


class PrivateFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file opened 0600 whatever the umask, after every rollover too."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def make_handler(directory: Path, level: int) -> PrivateFileHandler:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    handler = PrivateFileHandler(
        directory / FILE_NAME,
        maxBytes=MAX_BYTES,
        backupCount=BACKUPS,
        encoding="utf-8",
        delay=True,
    )
    handler.setLevel(level)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    return handler


@contextlib.contextmanager
def logging_to_file(*, stderr_warnings: bool = False) -> Iterator[Path | None]:
    """Log to the file for the duration of one command (or one console run); yields its
    path, or None when logging is off or the directory cannot be made. With
    ``stderr_warnings``, WARNINGs also go to stderr as before (one-shot commands; never
    while the console draws)."""
    level = level_from_env()
    root = logging.getLogger()
    handlers: list[logging.Handler] = []
    path: Path | None = None
    if level is not None:
        try:
            private = make_handler(log_dir(), level)
        except OSError:  # no writable log dir: run without a log rather than not at all
            pass
        else:
            handlers.append(private)
            path = Path(private.baseFilename)
    if stderr_warnings:
        echo = logging.StreamHandler(sys.stderr)
        echo.setLevel(logging.WARNING)
        echo.addFilter(RedactingFilter())
        handlers.append(echo)
    saved_level = root.level
    if level is not None and level < root.getEffectiveLevel():
        root.setLevel(level)
    for each in handlers:
        root.addHandler(each)
    try:
        yield path
    finally:
        for each in handlers:
            root.removeHandler(each)
            each.close()
        root.setLevel(saved_level)
