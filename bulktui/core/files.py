"""Reading local config files (profiles, themes) without trusting what the path points at.

A path in the config directory may name ``/dev/zero`` (reading it never ends and eats memory),
a FIFO (opening it waits for a writer forever), a directory or a huge file. ``read_config_text``
reads only a regular file no bigger than the cap, and says in one line why it will not.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from bulktui.api.errors import BulkError


class ConfigFileError(BulkError):
    """A config file that is not a regular file, too big, unreadable or not UTF-8 (one line,
    naming the file)."""


def read_config_text(path: Path | str, max_bytes: int) -> str:
    """The UTF-8 text of a regular file of at most ``max_bytes`` bytes.

    Raises ``FileNotFoundError`` when there is no such file (callers treat that as "no
    settings"), ``ConfigFileError`` for everything else that is wrong. A symlink to a regular
    file is fine (dotfile managers make them); what it points at is what is checked.
    """
    # O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ConfigFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigFileError(f"cannot read {path}: not a regular file (a device or a pipe?)")
        if info.st_size > max_bytes:
            raise ConfigFileError(
                f"cannot read {path}: {info.st_size:,} bytes, more than a config file may be "
                f"({max_bytes:,})"
            )
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:  # the file may grow while we read it
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise ConfigFileError(f"cannot read {path}: it grew past {max_bytes:,} bytes")
    except OSError as exc:
        raise ConfigFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigFileError(f"{path} is not UTF-8 text") from None
