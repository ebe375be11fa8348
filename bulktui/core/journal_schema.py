"""The journal's SQLite schema and its migrations.

A bulktui journal is told apart from any other SQLite file by ``PRAGMA application_id``; its
layout version is ``PRAGMA user_version``. Version 0 is an empty file (just created). Each
step in ``MIGRATIONS`` takes a file from version ``v`` to ``v + 1``; all the steps a file
needs run in one write transaction, so another process never sees a half-migrated journal.
A file whose version is newer than ``SCHEMA_VERSION`` was written by a newer bulktui and is
left alone.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator, Mapping

APPLICATION_ID = 0x62744A6C  # "btJl": bulktui journal
SCHEMA_VERSION = 1

Migration = Callable[[sqlite3.Connection], None]


def _create_v1(db: sqlite3.Connection) -> None:
    # Times are UTC seconds since the epoch (REAL): cheap to compare, prune and index.
    # ``info`` is the JSON of ``JobInfo.to_wire()``; ``digest`` a hash of the JobInfo
    # (journal_rows.fingerprint), so a cycle can tell an unchanged job without reading the JSON
    # back or building it. Never any record data.
    for statement in (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE jobs (
            job_id TEXT PRIMARY KEY,
            org_id TEXT,
            object TEXT,
            operation TEXT,
            state TEXT,
            kind TEXT,
            created_date REAL,
            info TEXT NOT NULL,
            digest BLOB NOT NULL,
            full INTEGER NOT NULL,
            ended INTEGER NOT NULL DEFAULT 0,
            info_at REAL NOT NULL,
            first_seen REAL NOT NULL,
            last_listed REAL,
            ended_at REAL,
            purged_at REAL
        )""",
        "CREATE INDEX jobs_by_org ON jobs (org_id)",
        "CREATE INDEX jobs_by_created ON jobs (created_date)",
        """CREATE TABLE batches (
            job_id TEXT NOT NULL,
            batch_id TEXT NOT NULL,
            info TEXT NOT NULL,
            seen_at REAL NOT NULL,
            PRIMARY KEY (job_id, batch_id)
        ) WITHOUT ROWID""",
        """CREATE TABLE result_counts (
            job_id TEXT PRIMARY KEY,
            processed INTEGER,
            failed INTEGER,
            unprocessed INTEGER,
            seen_at REAL NOT NULL
        )""",
        """CREATE TABLE failure_groups (
            job_id TEXT NOT NULL,
            batch_id TEXT NOT NULL,
            code TEXT NOT NULL,
            count INTEGER NOT NULL,
            first_message TEXT NOT NULL,
            seen_at REAL NOT NULL,
            PRIMARY KEY (job_id, batch_id, code)
        ) WITHOUT ROWID""",
        """CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            org_id TEXT,
            user TEXT,
            job_id TEXT,
            action TEXT NOT NULL,
            origin TEXT NOT NULL,
            rule TEXT,
            outcome TEXT NOT NULL,
            message TEXT NOT NULL
        )""",
        "CREATE INDEX actions_by_at ON actions (at)",
    ):
        db.execute(statement)


MIGRATIONS: Mapping[int, Migration] = {0: _create_v1}


class SchemaError(Exception):
    """The file is not a journal this bulktui can use; the message says why, in words."""


def migrate(
    db: sqlite3.Connection,
    *,
    steps: Mapping[int, Migration] = MIGRATIONS,
    target: int = SCHEMA_VERSION,
) -> int:
    """Bring ``db`` (autocommit mode) to ``target``; return the version it was at.

    Raises SchemaError for a foreign file or a newer schema. The version is read again inside
    the write transaction: two processes opening a new journal at once migrate it once.
    """
    version = check_identity(db, target)
    if version == target:
        return version
    with write_transaction(db):
        version = check_identity(db, target)
        start = version
        while version < target:
            step = steps.get(version)
            if step is None:
                raise SchemaError(f"no migration from journal version {version}")
            step(db)
            version += 1
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {target}")
    return start


@contextlib.contextmanager
def write_transaction(db: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` on a connection in autocommit mode; any failure rolls
    back, so a half-written cycle or migration never stays in the file."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def check_identity(db: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """The file's schema version, if it is a journal (or a new, empty file) we can use."""
    app_id = int(db.execute("PRAGMA application_id").fetchone()[0])
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if app_id == 0 and version == 0:
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables:
            raise SchemaError("it is an SQLite file but not a bulktui journal")
        return 0
    if app_id != APPLICATION_ID:
        raise SchemaError("it is an SQLite file but not a bulktui journal")
    if version > target:
        raise SchemaError(
            f"it was written by a newer bulktui (journal version {version}, "
            f"this bulktui knows {target})"
        )
    return version
