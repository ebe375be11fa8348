"""Reading the journal back: history, the action log, one job's record, the file's summary.

Nothing read back is trusted more than a server answer: a stored JobInfo goes through the same
parser as a live one (``bulktui.api.wire``), a row that no longer parses is skipped with a log
line, and every string is handed to the caller as data, to be shown through
``bulktui.text`` like live server text.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bulktui.api.errors import BulkError
from bulktui.api.models import BatchInfo, JobInfo
from bulktui.api.wire import batch_from_mapping, job_from_mapping

log = logging.getLogger(__name__)

MAX_ROW_CHARS = 200_000  # a stored JSON longer than this is not read back
_SURROGATE = re.compile("[\ud800-\udfff]")  # stored as U+FFFD (SQLite keeps UTF-8)


def job_from_json(text: Any, job_id: Any = None) -> JobInfo | None:
    """A stored JobInfo, parsed as untrusted input; None when it does not parse (or is not
    the job ``job_id`` its row says)."""
    data = _mapping(text)
    if data is None:
        return None
    try:
        job = job_from_mapping(data)
    except (BulkError, TypeError, ValueError, OverflowError) as exc:
        log.info("journal: a stored job does not parse (%s); skipped", exc)
        return None
    if job_id is not None and job.id != job_id:
        log.info("journal: a stored job is not the job its row names; skipped")
        return None
    return job


def batch_from_json(text: Any) -> BatchInfo | None:
    data = _mapping(text)
    if data is None:
        return None
    try:
        return batch_from_mapping(data)
    except (BulkError, TypeError, ValueError, OverflowError) as exc:
        log.info("journal: a stored batch does not parse (%s); skipped", exc)
        return None


def _mapping(text: Any) -> dict[str, Any] | None:
    if not isinstance(text, str) or len(text) > MAX_ROW_CHARS:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _when(value: Any) -> datetime | None:
    if not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A past job: ended, or purged by Salesforce. ``job`` is the fullest JobInfo kept."""

    job: JobInfo
    kind: str | None
    first_seen: datetime | None
    last_listed: datetime | None
    ended_at: datetime | None
    purged_at: datetime | None
    recorded_at: datetime | None  # when ``job`` was seen: the "as of" of a detail pane


@dataclass(frozen=True, slots=True)
class ActionEntry:
    at: datetime | None
    org_id: str | None
    user: str | None
    job_id: str | None
    action: str
    origin: str  # console | cli | rule
    rule: str | None
    outcome: str  # succeeded | refused | uncertain
    message: str  # the outcome's words (the server's, where it answered)


@dataclass(frozen=True, slots=True)
class ErrorGroupEntry:
    batch_id: str | None
    code: str
    count: int
    first_message: str


@dataclass(frozen=True, slots=True)
class JobRecord:
    """Everything the journal keeps of one job."""

    entry: HistoryEntry
    batches: tuple[BatchInfo, ...]
    result_counts: tuple[int | None, int | None, int | None] | None  # processed, failed, unproc.
    error_groups: tuple[ErrorGroupEntry, ...]


@dataclass(frozen=True, slots=True)
class JournalInfo:
    path: Path
    size_bytes: int  # the file with its -wal
    jobs: int
    purged_jobs: int
    actions: int
    oldest: datetime | None
    schema_version: int


_ENTRY_COLUMNS = "job_id, info, kind, first_seen, last_listed, ended_at, purged_at, info_at"


def _entry(row: Sequence[Any]) -> HistoryEntry | None:
    job = job_from_json(row[1], row[0])
    if job is None:
        return None
    return HistoryEntry(
        job=job,
        kind=_str(row[2]),
        first_seen=_when(row[3]),
        last_listed=_when(row[4]),
        ended_at=_when(row[5]),
        purged_at=_when(row[6]),
        recorded_at=_when(row[7]),
    )


def _current_jobs(columns: str, org_id: str | None) -> tuple[str, tuple[Any, ...]]:
    """The query for every job not purged (of ``org_id``, or of no known org), newest first.
    ``coalesce(org_id, ?) = ?`` says "this org or none" as ``org_id = ? OR org_id IS NULL``
    would, but lets SQLite walk the ``created_date`` index in order and stop at a LIMIT: the
    OR made it sort every row first (the newest 200 of 100,000 jobs: 70 ms, now under 1 ms)."""
    sql = f"SELECT {columns} FROM jobs WHERE purged_at IS NULL"
    params: tuple[Any, ...] = ()
    if org_id is not None:
        sql += " AND coalesce(org_id, ?) = ?"
        params = (org_id, org_id)
    return sql + " ORDER BY created_date DESC", params


class JournalReader:
    """Queries over an open journal connection (the caller holds any lock)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return _str(row[0]) if row else None

    def last_recorded(self) -> datetime | None:
        value = self.meta("recorded_at")
        try:
            return _when(float(value)) if value is not None else None
        except ValueError:
            return None

    def known_jobs(self, org_id: str | None, limit: int | None = None) -> list[JobInfo]:
        sql, params = _current_jobs("job_id, info", org_id)
        if limit is not None:
            sql += f" LIMIT {max(0, int(limit))}"
        jobs = [job_from_json(row[1], row[0]) for row in self._db.execute(sql, params)]
        return [job for job in jobs if job is not None]

    def preview_rows(
        self, org_id: str | None, limit: int
    ) -> list[tuple[str, float | None, str, int, int]]:
        """The newest ``limit`` jobs not purged, newest first, unparsed: (id, created, JobInfo
        JSON, ended, full). Rows whose columns are not of their types are left out; the JSON
        is parsed later, by ``job_from_json``, when a row is shown."""
        sql, params = _current_jobs("job_id, created_date, info, ended, full", org_id)
        sql += f" LIMIT {max(0, int(limit))}"
        return [
            row
            for row in self._db.execute(sql, params)
            if isinstance(row[0], str)
            and isinstance(row[1], float | int | None)
            and isinstance(row[2], str)
            and len(row[2]) <= MAX_ROW_CHARS
        ]

    def history(
        self,
        since: datetime | None,
        object_name: str | None,
        states: Sequence[str],
        org_id: str | None,
    ) -> list[HistoryEntry]:
        """Past jobs (ended or purged), newest first."""
        sql = f"SELECT {_ENTRY_COLUMNS} FROM jobs WHERE (ended = 1 OR purged_at IS NOT NULL)"
        params: list[Any] = []
        if since is not None:
            sql += " AND coalesce(created_date, first_seen) >= ?"
            params.append(since.timestamp())
        if object_name:
            sql += " AND object = ? COLLATE NOCASE"
            params.append(_SURROGATE.sub("\ufffd", object_name))
        if states:
            sql += f" AND lower(state) IN ({','.join('?' * len(states))})"
            params += [s.lower() for s in states]
        if org_id is not None:
            sql += " AND (org_id = ? OR org_id IS NULL)"
            params.append(org_id)
        sql += " ORDER BY coalesce(created_date, first_seen) DESC"
        entries = [_entry(row) for row in self._db.execute(sql, params)]
        return [e for e in entries if e is not None]

    def actions(self, since: datetime | None) -> list[ActionEntry]:
        sql = "SELECT at, org_id, user, job_id, action, origin, rule, outcome, message FROM actions"
        params: tuple[Any, ...] = ()
        if since is not None:
            sql += " WHERE at >= ?"
            params = (since.timestamp(),)
        sql += " ORDER BY at DESC, id DESC"
        return [
            ActionEntry(
                at=_when(r[0]),
                org_id=_str(r[1]),
                user=_str(r[2]),
                job_id=_str(r[3]),
                action=_str(r[4]) or "?",
                origin=_str(r[5]) or "?",
                rule=_str(r[6]),
                outcome=_str(r[7]) or "?",
                message=_str(r[8]) or "",
            )
            for r in self._db.execute(sql, params)
        ]

    def job_record(self, job_id: str) -> JobRecord | None:
        row = self._db.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        entry = _entry(row) if row else None
        if entry is None:
            return None
        batches = [
            batch_from_json(r[0])
            for r in self._db.execute(
                "SELECT info FROM batches WHERE job_id = ? ORDER BY batch_id", (job_id,)
            )
        ]
        counts = self._db.execute(
            "SELECT processed, failed, unprocessed FROM result_counts WHERE job_id = ?",
            (job_id,),
        ).fetchone()
        groups = tuple(
            ErrorGroupEntry(_str(r[0]) or None, _str(r[1]) or "?", int(r[2] or 0), _str(r[3]) or "")
            for r in self._db.execute(
                "SELECT batch_id, code, count, first_message FROM failure_groups"
                " WHERE job_id = ? ORDER BY count DESC, code",
                (job_id,),
            )
        )
        return JobRecord(
            entry=entry,
            batches=tuple(b for b in batches if b is not None),
            result_counts=(
                (_int_or_none(counts[0]), _int_or_none(counts[1]), _int_or_none(counts[2]))
                if counts
                else None
            ),
            error_groups=groups,
        )

    def info(self, path: Path) -> JournalInfo:
        jobs, purged = self._db.execute("SELECT count(*), count(purged_at) FROM jobs").fetchone()
        actions = self._db.execute("SELECT count(*) FROM actions").fetchone()[0]
        oldest_job = self._db.execute("SELECT min(first_seen) FROM jobs").fetchone()[0]
        oldest_action = self._db.execute("SELECT min(at) FROM actions").fetchone()[0]
        candidates = [v for v in (oldest_job, oldest_action) if isinstance(v, int | float)]
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        size = 0
        for name in (path.name, path.name + "-wal"):
            with contextlib.suppress(OSError):
                size += (path.parent / name).stat().st_size
        return JournalInfo(
            path=path,
            size_bytes=size,
            jobs=int(jobs),
            purged_jobs=int(purged),
            actions=int(actions),
            oldest=_when(min(candidates)) if candidates else None,
            schema_version=version,
        )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) else None
