"""Opening a journal file, and what each SQLite failure means for the user.

Every failure ends as a ``NullJournal`` whose ``problem`` is one line: the file, what is wrong,
and what to do. A damaged file is moved aside (never deleted or overwritten).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from bulktui.core import journal_files as files
from bulktui.core.journal_null import NullJournal

log = logging.getLogger(__name__)

OPEN_WAIT = 2.0  # seconds: opening (and a first migration) may wait for another process

# SQLite primary result codes (sqlite3 exceptions carry the extended code).
BUSY, LOCKED, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB = 5, 6, 8, 10, 11, 13, 14, 26

ANOTHER = "choose another file with --journal PATH (or --no-journal)"
WITHOUT = "bulktui runs without a journal; " + ANOTHER


def connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    if read_only:
        uri = f"{path.resolve().as_uri()}?mode=ro"
        db = sqlite3.connect(
            uri, uri=True, timeout=OPEN_WAIT, isolation_level=None, check_same_thread=False
        )
    else:
        db = sqlite3.connect(
            str(path), timeout=OPEN_WAIT, isolation_level=None, check_same_thread=False
        )
    db.execute("PRAGMA trusted_schema = OFF")
    if not read_only:
        db.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoints, never corrupt
    return db


def open_failure(path: Path, exc: sqlite3.Error) -> NullJournal:
    code = error_code(exc)
    where = f"journal {path}"
    if code in (BUSY, LOCKED):
        return NullJournal(f"{where} is locked by another program; close it, or {ANOTHER}", path)
    if code in (CORRUPT, NOTADB):
        return moved_aside(path, "is damaged")
    if code == READONLY:
        return NullJournal(f"{where} is read-only; make it writable or {ANOTHER}", path)
    if code == FULL:
        return NullJournal(f"{where}: the disk is full; {WITHOUT}", path)
    return NullJournal(f"{where} cannot be opened ({exc}); {WITHOUT}", path)


def moved_aside(path: Path, why: str) -> NullJournal:
    try:
        aside = files.move_aside(path)
    except OSError as exc:
        return NullJournal(
            f"journal {path} {why} and could not be moved aside ({exc.strerror or exc}); "
            "move it away yourself, or choose another file with --journal PATH",
            path,
        )
    log.info("journal %s %s; moved aside to %s", path, why, aside)
    return NullJournal(
        f"journal {path} {why}; it was moved aside to {aside.name} and a new journal "
        "starts next run",
        path,
    )


def error_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return BUSY
    if "disk is full" in text:
        return FULL
    if "readonly" in text or "read-only" in text:
        return READONLY
    if "not a database" in text or "malformed" in text:
        return CORRUPT
    return None
