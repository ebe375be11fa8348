"""Where a journal lives, and the file-level checks made before SQLite touches it.

One file per org: ``<platformdirs user state dir>/journal/<host>.sqlite3`` (on Linux
``~/.local/state/bulktui/journal/acme.my.salesforce.com.sqlite3``), keyed by the instance URL's
host so the one-shot ``history`` commands find it without signing in. ``--journal PATH`` or
``BULKTUI_JOURNAL`` choose another file; ``--no-journal`` (or ``BULKTUI_JOURNAL=off``) none.

The file is created 0600 in a 0700 directory before SQLite opens it, so there is no moment when
others can read it; SQLite gives its ``-wal`` and ``-shm`` files the same mode.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

ENV = "BULKTUI_JOURNAL"
OFF_WORDS = frozenset({"off", "none", "no", "0", "false"})
SUFFIX = ".sqlite3"
SQLITE_MAGIC = b"SQLite format 3\x00"
_UNSAFE = re.compile(r"[^a-z0-9.\-]")


def journal_dir() -> Path:
    return platformdirs.user_state_path("bulktui") / "journal"


def org_key(instance_url: str) -> str:
    """A file-name-safe key for the org behind ``instance_url``: its host (and port)."""
    parts = urlsplit(instance_url.strip() if "//" in instance_url else "//" + instance_url)
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"no host in instance URL {instance_url[:80]!r}")
    key = _UNSAFE.sub("_", host)
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None:
        key += f"_{port}"
    return key.strip(".") or "_"


def default_path(instance_url: str) -> Path:
    return journal_dir() / (org_key(instance_url) + SUFFIX)


def known_journals() -> list[Path]:
    """Journal files in the default directory, for a command that could not tell the org."""
    try:
        return sorted(p for p in journal_dir().glob("*" + SUFFIX) if p.is_file())
    except OSError:
        return []


@dataclass(frozen=True, slots=True)
class JournalChoice:
    """Which journal a run uses: a path, or none and why (plain words, for a log line)."""

    path: Path | None
    reason: str | None = None  # why there is no journal; None when off by choice or chosen


def choose_path(
    *,
    option: str | None,
    disabled: bool,
    instance_url: str | None,
    environ: Mapping[str, str] | None = None,
) -> JournalChoice:
    """``--no-journal`` wins, then ``--journal PATH``, then ``BULKTUI_JOURNAL``, then the
    default file of the org behind ``instance_url``."""
    env = os.environ if environ is None else environ
    if disabled:
        return JournalChoice(None)
    raw = option if option else env.get(ENV, "").strip()
    if raw:
        if raw.lower() in OFF_WORDS:
            return JournalChoice(None)
        return JournalChoice(Path(raw).expanduser())
    if not instance_url:
        return JournalChoice(None, "the org is not known yet (no instance URL)")
    try:
        return JournalChoice(default_path(instance_url))
    except ValueError as exc:
        return JournalChoice(None, str(exc))


def create_private(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 (its directory 0700) unless it exists; True when
    created. Never follows a symlink at the last component."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def tighten_mode(path: Path) -> None:
    """Put an existing journal we own back to 0600 (a copy made with a loose umask)."""
    try:
        st = path.stat()
        if st.st_mode & 0o077 and st.st_uid == os.getuid():
            os.chmod(path, 0o600)
    except OSError:
        pass


def damage(path: Path) -> str | None:
    """Why the file cannot be an intact SQLite database, from its header and size alone
    (cheap: no page is read); None when it may be."""
    try:
        size = path.stat().st_size
        if size == 0:
            return None  # created but never written: a new journal
        with path.open("rb") as f:
            header = f.read(100)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        return "is not an SQLite database (damaged or truncated)"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    change_counter = int.from_bytes(header[24:28], "big")
    if page_size < 512 or page_size & (page_size - 1):
        return "has a damaged header"
    if size % page_size:
        return "is truncated (its size is not a whole number of pages)"
    if valid_for == change_counter and pages and size < pages * page_size:
        return "is truncated (shorter than its header says)"
    return None


def move_aside(path: Path, now: datetime | None = None) -> Path:
    """Rename a damaged journal (and its -wal/-shm files) to ``<name>.damaged-<UTC time>``;
    never overwrites an earlier one. Returns the new path of the main file."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    os.rename(path, target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.rename(side, target.with_name(target.name + suffix))
    return target
