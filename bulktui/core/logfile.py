"""bulktui's log file, for what happened while the console owned the terminal.

``<platformdirs user log dir>/bulktui.log`` (``~/.local/state/bulktui/log`` on Linux), WARNING
and above by default; ``BULKTUI_LOG_LEVEL`` = ``debug``, ``info``, ``warning``, ``error`` or
``off``. The file is created mode 0600 in a 0700 directory (both put back if found looser),
opened without following a symlink (one planted there is refused, and its target left alone),
rotated at 1 MB with two old files kept, and opened only when the first record arrives. Every
record passes the redaction filter (``bulktui.api.redact``) first: session ids, tokens and
passwords are masked before anything is written. When the file cannot be written (a full
disk), one line says so on stderr and logging to the file stops: never a traceback per record.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import logging.handlers
import os
import stat
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
    """A rotating file opened 0600 whatever the umask, after every rollover too; never through
    a symlink; and silent after one line on stderr once it cannot be written."""

    failed = False

    def _open(self) -> io.TextIOWrapper:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(self.baseFilename, flags, 0o600)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise OSError(errno.EINVAL, "not a regular file", self.baseFilename)
            if info.st_mode & 0o077:
                os.fchmod(fd, 0o600)
        except BaseException:
            os.close(fd)
            raise
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        """The first failure: one line, then no more writes (logging's default prints a
        traceback for every record, thousands of them on a full disk)."""
        if self.failed:
            return
        self.failed = True
        error = sys.exc_info()[1]
        reason = (error.strerror if isinstance(error, OSError) else None) or type(error).__name__
        with contextlib.suppress(Exception):
            sys.stderr.write(
                f"bulktui: cannot write the log file {self.baseFilename} ({reason}); "
                "logging to it stops, the rest goes on\n"
            )
        stream, self.stream = self.stream, None  # type: ignore[assignment]
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.close()


def private_directory(directory: Path) -> None:
    """Make the log directory (0700), or put a looser mode back to 0700 if it is ours."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.stat()
    owner = getattr(os, "getuid", lambda: info.st_uid)()  # Windows: no uid, no mode bits
    if info.st_mode & 0o077 and info.st_uid == owner:
        directory.chmod(0o700)


def make_handler(directory: Path, level: int) -> PrivateFileHandler:
    private_directory(directory)
    if (directory / FILE_NAME).is_symlink():
        raise OSError(errno.ELOOP, "the log file is a symlink; it was not followed")
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
        except OSError as exc:  # no usable log file: run without a log rather than not at all
            if stderr_warnings and exc.errno == errno.ELOOP:  # planted: worth a word
                print(
                    f"bulktui: warning: no log file ({exc.strerror or exc}); going on without",
                    file=sys.stderr,
                )
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
