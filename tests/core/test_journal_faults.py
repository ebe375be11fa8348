"""A journal file that cannot be used never stops bulktui, and is never lost silently."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bulktui.core.journal import Journal, NullJournal
from bulktui.core.journal_schema import APPLICATION_ID, SchemaError, migrate

from .journal_support import T0, full, snapshot


def _journal_with_jobs(path: Path, count: int = 300) -> None:
    opened = Journal.open(path)
    assert isinstance(opened, Journal)
    opened.record_snapshot(snapshot([full(n) for n in range(1, count + 1)]))
    opened.close()


def _aside(path: Path) -> list[Path]:
    found = path.parent.glob(path.name + ".damaged-*")
    return sorted(p for p in found if not p.name.endswith(("-wal", "-shm")))


def test_garbage_is_moved_aside_with_a_timestamp(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    garbage = b"not a database at all " * 300
    path.write_bytes(garbage)
    opened = Journal.open(path)
    assert isinstance(opened, NullJournal)
    (moved,) = _aside(path)
    assert moved.read_bytes() == garbage  # kept, byte for byte
    assert not path.exists()
    assert opened.problem is not None and str(path) in opened.problem
    assert moved.name in opened.problem and "\n" not in opened.problem
    # The next run starts a new journal; an earlier damaged copy is never overwritten.
    path.write_bytes(garbage)
    Journal.open(path)
    assert len(_aside(path)) == 2


def test_a_truncated_journal_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    _journal_with_jobs(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 100])
    opened = Journal.open(path)
    assert isinstance(opened, NullJournal) and "truncated" in (opened.problem or "")
    assert len(_aside(path)) == 1


def test_damaged_pages_behind_a_good_header_are_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    _journal_with_jobs(path)
    data = bytearray(path.read_bytes())
    data[100:] = bytes([0xA5]) * (len(data) - 100)  # keep the 100-byte header, ruin the rest
    path.write_bytes(bytes(data))
    opened = Journal.open(path)
    assert isinstance(opened, NullJournal) and "damaged" in (opened.problem or "")
    (moved,) = _aside(path)
    assert moved.read_bytes() == bytes(data)


def test_a_foreign_sqlite_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (body TEXT)")
    db.commit()
    db.close()
    before = path.read_bytes()
    opened = Journal.open(path)
    assert isinstance(opened, NullJournal)
    assert "not a bulktui journal" in (opened.problem or "") and "--journal" in opened.problem
    assert path.read_bytes() == before and _aside(path) == []


def test_a_newer_schema_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    _journal_with_jobs(path, 3)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 7")
    db.commit()
    db.close()
    opened = Journal.open(path)
    assert isinstance(opened, NullJournal) and "newer bulktui" in (opened.problem or "")
    assert _aside(path) == []


def test_a_locked_journal_is_reported_not_moved(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    _journal_with_jobs(path, 3)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys\n"
            f"db = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
            "db.execute('PRAGMA locking_mode = EXCLUSIVE')\n"
            "db.execute('BEGIN EXCLUSIVE')\n"
            "print('held', flush=True)\n"
            "sys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        opened = Journal.open(path)
        assert isinstance(opened, NullJournal) and "locked" in (opened.problem or "")
        assert _aside(path) == []
    finally:
        holder.communicate("\n")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files")
def test_a_read_only_journal_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    _journal_with_jobs(path, 3)
    path.chmod(0o400)
    opened = Journal.open(path)
    assert isinstance(opened, NullJournal) and "read-only" in (opened.problem or "")


def test_an_unwritable_directory_means_no_journal(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the directory should be")
    opened = Journal.open(blocker / "journal" / "j.sqlite3")
    assert isinstance(opened, NullJournal)
    assert "cannot be created" in (opened.problem or "") and "--no-journal" in opened.problem


def test_a_full_disk_ends_the_journal_for_this_run_said_once(tmp_path: Path) -> None:
    said: list[str] = []
    opened = Journal.open(tmp_path / "j.sqlite3", on_problem=said.append)
    assert isinstance(opened, Journal)
    opened.record_snapshot(snapshot([full(1)]))
    assert opened._db is not None
    pages = opened._db.execute("PRAGMA page_count").fetchone()[0]
    opened._db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full
    opened.record_snapshot(snapshot([full(n) for n in range(2, 2000)]))
    opened.record_snapshot(snapshot([full(n) for n in range(2, 3000)]))
    assert len(said) == 1 and "disk is full" in said[0] and "without a journal" in said[0]
    assert not opened.enabled and opened.problem == said[0]
    assert opened.known_jobs() == [] and opened.history() == []


def test_migrations_run_in_order_in_one_transaction() -> None:
    db = sqlite3.connect(":memory:", isolation_level=None)
    steps = {
        0: lambda d: d.execute("CREATE TABLE jobs (job_id TEXT)"),  # a fake v0 -> v1
        1: lambda d: d.execute("ALTER TABLE jobs ADD COLUMN note TEXT"),
    }
    assert migrate(db, steps=steps, target=2) == 0
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    db.execute("INSERT INTO jobs VALUES ('x', 'y')")
    assert migrate(db, steps=steps, target=2) == 2  # nothing left to do


def test_a_failing_migration_leaves_the_file_as_it_was() -> None:
    db = sqlite3.connect(":memory:", isolation_level=None)

    def broken(d: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("step failed")

    steps = {0: lambda d: d.execute("CREATE TABLE jobs (job_id TEXT)"), 1: broken}
    with pytest.raises(sqlite3.OperationalError):
        migrate(db, steps=steps, target=2)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def test_an_old_journal_opens_in_a_newer_bulktui(tmp_path: Path) -> None:
    """A v1 journal migrated by a (fake) v1 -> v2 step keeps its jobs."""
    path = tmp_path / "j.sqlite3"
    _journal_with_jobs(path, 3)
    db = sqlite3.connect(path, isolation_level=None)
    steps = {1: lambda d: d.execute("CREATE TABLE rules (name TEXT)")}
    assert migrate(db, steps=steps, target=2) == 1
    assert db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 3
    with pytest.raises(SchemaError, match="newer bulktui"):
        migrate(db)  # and this bulktui (v1) now refuses it
    db.close()


def test_the_snapshot_time_is_what_is_recorded(tmp_path: Path) -> None:
    opened = Journal.open(tmp_path / "j.sqlite3")
    assert isinstance(opened, Journal)
    opened.record_snapshot(snapshot([full(1)], T0))
    (entry,) = opened.history()
    assert entry.first_seen == T0
    opened.close()


def test_a_journal_the_user_may_not_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root no file is read-only, so the permission answer is what is replaced here."""
    path = tmp_path / "j.sqlite3"
    _journal_with_jobs(path, 3)
    monkeypatch.setattr("bulktui.core.journal.os.access", lambda *_: False)
    writer = Journal.open(path)  # the console: no journal, and says how to fix it
    assert isinstance(writer, NullJournal) and "read-only" in (writer.problem or "")
    reader = Journal.open(path, create=False)  # the history commands: read it as it is
    assert isinstance(reader, Journal) and reader.read_only
    assert len(reader.history()) == 3
    reader.record_snapshot(snapshot([full(9)]))  # never written
    assert len(reader.known_jobs()) == 3
    reader.close()


def test_a_fifo_is_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "j.sqlite3"
    os.mkfifo(fifo)
    opened = Journal.open(fifo)  # would block forever if its header were read
    assert isinstance(opened, NullJournal) and "not a regular file" in (opened.problem or "")
    assert isinstance(Journal.open(tmp_path), NullJournal)  # a directory neither
