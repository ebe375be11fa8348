"""The job journal: what bulktui has seen of an org, kept in one SQLite file per org.

Fed by the poller's snapshots (``record_snapshot``, a poller listener), the action runner's
outcomes (``record_action``, an ActionRunner listener) and the one-shot commands
(``record_listing``, ``record_job``); read back by ``known_jobs`` (for ``Poller.preload``) and
by the ``history`` / ``actions`` / ``journal`` commands. See docs/journal.md.

What it never does: store record data (only error codes, counts and the first message of each
error group), store a secret, or stop the console. Every fault (damaged, foreign, locked or
newer file, full disk, unwritable directory) turns it into a ``NullJournal`` that records
nothing, with one line (``problem``) saying which file and what to do.

Writes are one short transaction per call holding only the rows that changed; a busy file
(another process writing) makes a write wait at most ``WRITE_WAIT`` and otherwise be retried
with the next call, so two processes share a journal without blocking each other.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from bulktui.api.lifecycle import JobKind, Liveness, kind_of, liveness
from bulktui.api.models import BatchInfo, JobInfo
from bulktui.core import journal_files as files
from bulktui.core.actions import ActionOutcome, ActionRefused, ActionSucceeded
from bulktui.core.journal_files import JournalChoice
from bulktui.core.journal_queries import (
    ActionEntry,
    HistoryEntry,
    JobRecord,
    JournalInfo,
    JournalReader,
    job_from_json,
)
from bulktui.core.journal_schema import SchemaError, check_identity, migrate
from bulktui.core.snapshot import Snapshot

log = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = [
    "DEFAULT_RETENTION",
    "ErrorGroupLike",
    "FailedGroupsLike",
    "Journal",
    "JournalChoice",
    "JournalLike",
    "NullJournal",
    "open_journal",
]

DEFAULT_RETENTION = timedelta(days=180)
OPEN_WAIT = 2.0  # seconds: opening (and a first migration) may wait for another process
WRITE_WAIT = 0.2  # seconds: a write on the poller's path waits no longer, then retries later
LISTED_STEP = 3600.0  # seconds: "last seen in a listing" is kept to an hour or two (docs)
MAX_REFRESHES = 300  # "last listed"-only rewrites per write: no hourly burst on a big org
MAX_PENDING_ACTIONS = 1_000  # action rows waiting for a busy file, at most
PRUNE_EVERY = timedelta(days=1)
PRUNE_CHUNK = 500
MAX_INFO_CHARS = 64_000  # a JobInfo's JSON beyond this keeps only its known fields
MAX_TEXT = 2_000  # server words kept per action / error group

# SQLite primary result codes (sqlite3 exceptions carry the extended code).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


class ErrorGroupLike(Protocol):
    """What the journal keeps of ``bulktui.api.results.ErrorGroup`` (never its samples)."""

    @property
    def code(self) -> str: ...
    @property
    def first_message(self) -> str: ...
    @property
    def count(self) -> int: ...


class FailedGroupsLike(Protocol):
    """``bulktui.api.results.FailedRecordGroups``, as far as the journal reads it."""

    @property
    def groups(self) -> Sequence[ErrorGroupLike]: ...


class JournalLike(Protocol):
    """What the console, the poller's owner and the commands use; both kinds satisfy it."""

    enabled: bool
    path: Path | None
    problem: str | None

    def record_snapshot(self, snapshot: Snapshot) -> None: ...
    def record_action(
        self, outcome: ActionOutcome, org_id: str | None = None, user: str | None = None
    ) -> None: ...
    def known_jobs(self, org_id: str | None = None, limit: int | None = None) -> list[JobInfo]: ...


# --------------------------------------------------------------------------- null journal


class NullJournal:
    """Records nothing and knows nothing. ``problem`` says why in one line (None when the
    journal was turned off on purpose)."""

    enabled = False

    def __init__(self, problem: str | None = None, path: Path | None = None) -> None:
        self.problem = problem
        self.path = path

    def record_snapshot(self, snapshot: Snapshot) -> None:
        pass

    def record_action(
        self, outcome: ActionOutcome, org_id: str | None = None, user: str | None = None
    ) -> None:
        pass

    def record_listing(self, jobs: Iterable[JobInfo], at: datetime) -> list[str]:
        return []

    def record_job(self, job: JobInfo, at: datetime) -> None:
        pass

    def mark_purged(self, job_id: str, at: datetime) -> None:
        pass

    def record_batches(self, job_id: str, batches: Sequence[BatchInfo], at: datetime) -> None:
        pass

    def record_result_counts(
        self,
        job_id: str,
        at: datetime,
        *,
        processed: int | None,
        failed: int | None,
        unprocessed: int | None = None,
    ) -> None:
        pass

    def record_failed_groups(
        self, job_id: str, batch_id: str | None, groups: FailedGroupsLike, at: datetime
    ) -> None:
        pass

    def known_jobs(self, org_id: str | None = None, limit: int | None = None) -> list[JobInfo]:
        return []

    def info(self) -> JournalInfo | None:
        return None

    def known_as_of(self) -> datetime | None:
        return None

    def history(self, **_: Any) -> list[HistoryEntry]:
        return []

    def actions(self, **_: Any) -> list[ActionEntry]:
        return []

    def job_record(self, job_id: str) -> JobRecord | None:
        return None

    def maybe_prune(self, now: datetime | None = None) -> int:
        return 0

    def prune(self, now: datetime | None = None) -> int:
        return 0

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- opening


def open_journal(
    choice: JournalChoice,
    *,
    create: bool = True,
    retention: timedelta = DEFAULT_RETENTION,
    on_problem: Callable[[str], None] | None = None,
) -> Journal | NullJournal:
    """The journal ``choice`` names, or a NullJournal (with ``problem`` set when that is not
    what was asked for)."""
    if choice.path is None:
        return NullJournal(choice.reason and f"no journal: {choice.reason}")
    return Journal.open(choice.path, create=create, retention=retention, on_problem=on_problem)


_ANOTHER = "choose another file with --journal PATH (or --no-journal)"
_WITHOUT = "bulktui runs without a journal; " + _ANOTHER


@dataclass(slots=True)
class _Known:
    """What the journal holds of one job, enough to tell whether a new sighting changes it."""

    job: JobInfo | None  # the object last recorded by this process (identity check first)
    digest: bytes
    full: bool
    state: str | None
    kind: str
    ended: bool
    purged: bool
    last_listed: float | None


@dataclass(frozen=True, slots=True)
class _Sighting:
    job: JobInfo
    purged: bool
    listed: bool  # seen in a listing (not only a GET or an action's answer)


class Journal:
    """An open journal file. Use ``Journal.open``; every method is safe to call from any
    thread (one lock), and none raises for a file problem."""

    enabled = True

    def __init__(
        self,
        db: sqlite3.Connection,
        path: Path,
        *,
        retention: timedelta = DEFAULT_RETENTION,
        on_problem: Callable[[str], None] | None = None,
        read_only: bool = False,
    ) -> None:
        self._db: sqlite3.Connection | None = db
        self.path: Path | None = path
        self.problem: str | None = None
        self.retention = retention
        self.read_only = read_only
        self._on_problem = on_problem
        self._lock = threading.RLock()
        self._known: dict[str, _Known] | None = None
        self._batches: dict[str, tuple[BatchInfo, ...]] = {}
        self._pending_actions: list[tuple[Any, ...]] = []
        self._org_id: str | None = None
        self._user: str | None = None
        self._last_listing: float | None = None
        self._refreshes = 0  # "last listed" refreshes in the current write
        self._reader = JournalReader(db)

    # ----------------------------------------------------------------------- open

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        create: bool = True,
        retention: timedelta = DEFAULT_RETENTION,
        on_problem: Callable[[str], None] | None = None,
    ) -> Journal | NullJournal:
        """Open (creating it 0600 if ``create``) and migrate the journal at ``path``.

        Never raises for a file problem: the answer is then a NullJournal whose ``problem`` is
        one line naming the file and what to do. A damaged file is moved aside first."""
        path = Path(path)
        where = f"journal {path}"
        try:
            if path.is_dir():
                return NullJournal(f"{where} is a directory; {_WITHOUT}", path)
            if not path.exists():
                if not create:
                    return NullJournal(f"no journal yet at {path}", path)
                files.create_private(path)
            if not path.is_file():  # a FIFO or a device: never opened, never waited on
                return NullJournal(f"{where} is not a regular file; {_WITHOUT}", path)
            files.tighten_mode(path)
        except OSError as exc:
            return NullJournal(
                f"{where} cannot be created ({exc.strerror or exc}); {_WITHOUT}",
                path,
            )
        why = files.damage(path)
        if why is not None:
            return _moved_aside(path, why)
        read_only = not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)
        if read_only and create:
            return NullJournal(
                f"{where} is read-only; make it writable (chmod u+w) or {_ANOTHER}",
                path,
            )
        try:
            db = _connect(path, read_only=read_only)
        except sqlite3.Error as exc:
            return _open_failure(path, exc)
        try:
            # Ours (or new) before anything is written: a foreign file is left as it was.
            check_identity(db)
            if not read_only:
                db.execute("PRAGMA journal_mode = WAL")
                migrate(db)
            db.execute("SELECT count(*) FROM meta").fetchone()
            db.execute(f"PRAGMA busy_timeout = {int(WRITE_WAIT * 1000)}")
        except SchemaError as exc:
            db.close()
            return NullJournal(f"{where} is not usable: {exc}; {_WITHOUT}", path)
        except sqlite3.Error as exc:
            db.close()
            return _open_failure(path, exc)
        return cls(db, path, retention=retention, on_problem=on_problem, read_only=read_only)

    # ----------------------------------------------------------------------- writing

    def record_snapshot(self, snapshot: Snapshot) -> None:
        """A poller listener: keep what changed since the last snapshot, in one transaction."""
        if snapshot.identity is not None:
            self._org_id = snapshot.identity.org_id or self._org_id
            self._user = snapshot.identity.username or self._user
        now = _ts(snapshot.fetched_at or datetime.now(UTC))
        batches: dict[str, tuple[BatchInfo, ...]] = {}
        if snapshot.selected_job_id and snapshot.batches is not None:
            batches[snapshot.selected_job_id] = tuple(snapshot.batches)
        with self._lock:
            known = self._load_known() if self._db is not None else None
            if known is None:
                return
            # The hot loop of an idle org: the poller republishes unchanged JobInfo objects,
            # so one dict lookup and an identity test settle most jobs.
            sightings = []
            refreshes = 0
            for view in snapshot.jobs.values():
                k = known.get(view.job.id)
                if k is not None and k.job is view.job and k.purged == view.purged:
                    if view.purged or not _listing_due(k.last_listed, now, view.job.id):
                        continue
                    if refreshes >= MAX_REFRESHES:
                        continue  # only "last listed" is due: next cycle
                    refreshes += 1
                sightings.append(_Sighting(view.job, view.purged, True))
            self._record(sightings, now, batches=batches, listing=True)

    def record_listing(self, jobs: Iterable[JobInfo], at: datetime) -> list[str]:
        """A complete listing (the ``jobs`` command): record it, and return the ids the
        journal knew as listed that it lacks. Confirm each is gone (one GET) before calling
        ``mark_purged``."""
        listed = list(jobs)
        self._record((_Sighting(j, False, True) for j in listed), _ts(at), listing=True)
        with self._lock:
            known = self._known or {}
            ids = {j.id for j in listed}
            return sorted(i for i, k in known.items() if not k.purged and i not in ids)

    def record_job(self, job: JobInfo, at: datetime) -> None:
        """A JobInfo read on its own (``show``, an action's answer)."""
        self._record([_Sighting(job, False, False)], _ts(at))

    def mark_purged(self, job_id: str, at: datetime) -> None:
        with self._lock:
            known = self._load_known()
            k = known.get(job_id) if known is not None else None
            if k is None or k.purged:
                return
            if self._write([("UPDATE jobs SET purged_at = ? WHERE job_id = ?", (_ts(at), job_id))]):
                k.purged = True

    def record_batches(self, job_id: str, batches: Sequence[BatchInfo], at: datetime) -> None:
        self._record([], _ts(at), batches={job_id: tuple(batches)})

    def record_result_counts(
        self,
        job_id: str,
        at: datetime,
        *,
        processed: int | None,
        failed: int | None,
        unprocessed: int | None = None,
    ) -> None:
        self._write(
            [
                (
                    "INSERT OR REPLACE INTO result_counts VALUES (?, ?, ?, ?, ?)",
                    (job_id, _int(processed), _int(failed), _int(unprocessed), _ts(at)),
                )
            ]
        )

    def record_failed_groups(
        self, job_id: str, batch_id: str | None, groups: FailedGroupsLike, at: datetime
    ) -> None:
        """Error code, count and first message of each group; never the sample rows."""
        key = batch_id or ""
        writes: list[tuple[str, tuple[Any, ...]]] = [
            ("DELETE FROM failure_groups WHERE job_id = ? AND batch_id = ?", (job_id, key))
        ]
        merged: dict[str, tuple[int, str]] = {}
        for group in groups.groups:
            code = _text(group.code, 200) or ""
            count, message = merged.get(code, (0, _text(group.first_message) or ""))
            merged[code] = (count + (_int(group.count) or 0), message)
        for code, (count, message) in merged.items():
            writes.append(
                (
                    "INSERT INTO failure_groups VALUES (?, ?, ?, ?, ?, ?)",
                    (job_id, key, code, count, message, _ts(at)),
                )
            )
        self._write(writes)

    def record_action(
        self, outcome: ActionOutcome, org_id: str | None = None, user: str | None = None
    ) -> None:
        """An ActionRunner listener: one row in the action log (and the job's new JobInfo).
        An action is never dropped for a busy file: it waits for the next write."""
        job_id = getattr(outcome, "job_id", None)
        action = str(getattr(outcome.action, "value", outcome.action))
        kind: str | None
        if isinstance(outcome, ActionSucceeded):
            word, message, kind = "succeeded", outcome.message, kind_of(outcome.job).value
        elif isinstance(outcome, ActionRefused):
            word, message, kind = "refused", outcome.reason, self._kind_of(job_id)
        else:
            word, message, kind = "uncertain", outcome.reason, self._kind_of(job_id)
        if action == "close" and kind == JobKind.V2_INGEST.value:
            action = "upload complete"
        origin = str(getattr(outcome, "origin", None) or "console")
        rule = getattr(outcome, "rule", None)
        at = datetime.now(UTC)
        row = (
            _ts(at),
            org_id or self._org_id,
            _text(user or self._user, 200),
            _text(job_id, 40),
            _text(action, 60),
            _text(origin, 20),
            _text(rule, 200),
            word,
            _text(message) or "",
        )
        with self._lock:
            if self._db is None or self.read_only:
                return
            if len(self._pending_actions) >= MAX_PENDING_ACTIONS:
                log.warning("journal busy for long: an action row was not recorded")
                del self._pending_actions[0]
            self._pending_actions.append(row)
            if isinstance(outcome, ActionSucceeded):
                self._record([_Sighting(outcome.job, False, False)], _ts(at))
            else:
                self._write([])  # flushes the pending action rows

    # ----------------------------------------------------------------------- reading

    def known_jobs(self, org_id: str | None = None, limit: int | None = None) -> list[JobInfo]:
        """Every job not purged (of ``org_id``, or of no known org), newest first, for
        ``Poller.preload``; ``limit``: only the newest (a first screenful paints sooner).
        Rows that no longer parse are skipped: nothing read back is trusted more than a
        server answer."""
        with self._lock:
            db = self._db
            if db is None:
                return []
            try:
                jobs = self._reader.known_jobs(org_id, limit)
            except sqlite3.Error as exc:
                self._failed(exc)
                return []
            # The poller republishes these very objects: a later snapshot then costs an
            # identity test per job, not a JSON comparison.
            known = self._load_known() or {}
            for job in jobs:
                k = known.get(job.id)
                if k is not None:
                    k.job = job
            return jobs

    def known_as_of(self) -> datetime | None:
        """When the journal last recorded anything: the age the header shows at launch."""
        return self._read(lambda r: r.last_recorded(), None)

    def history(
        self,
        *,
        since: datetime | None = None,
        object_name: str | None = None,
        states: Sequence[str] = (),
        org_id: str | None = None,
    ) -> list[HistoryEntry]:
        return self._read(lambda r: r.history(since, object_name, states, org_id), [])

    def actions(self, *, since: datetime | None = None) -> list[ActionEntry]:
        return self._read(lambda r: r.actions(since), [])

    def job_record(self, job_id: str) -> JobRecord | None:
        """Everything kept of one job, for a "from the journal, as of …" detail pane."""
        return self._read(lambda r: r.job_record(job_id), None)

    def info(self) -> JournalInfo | None:
        path = self.path
        return None if path is None else self._read(lambda r: r.info(path), None)

    # ----------------------------------------------------------------------- retention

    def maybe_prune(self, now: datetime | None = None) -> int:
        """``prune`` at most once a day (across processes). Call it off the poller's hot path,
        e.g. ``await asyncio.to_thread(journal.maybe_prune)``."""
        now = now or datetime.now(UTC)
        last = self._read(lambda r: r.meta("pruned_at"), None)
        if last is not None:
            try:
                if now.timestamp() - float(last) < PRUNE_EVERY.total_seconds():
                    return 0
            except ValueError:
                pass
        return self.prune(now)

    def prune(self, now: datetime | None = None) -> int:
        """Forget jobs and actions older than the retention, in short chunked transactions so
        no other writer waits long. Returns how many rows went."""
        now = now or datetime.now(UTC)
        cutoff = _ts(now - self.retention)
        removed = 0
        while True:
            with self._lock:
                if self._db is None or self.read_only:
                    return removed
                try:
                    ids = [
                        row[0]
                        for row in self._db.execute(
                            "SELECT job_id FROM jobs WHERE coalesce(purged_at, last_listed,"
                            " info_at) < ? LIMIT ?",
                            (cutoff, PRUNE_CHUNK),
                        )
                    ]
                except sqlite3.Error as exc:
                    self._failed(exc)
                    return removed
                if not ids:
                    break
                marks = ",".join("?" * len(ids))
                writes = [
                    (f"DELETE FROM {table} WHERE job_id IN ({marks})", tuple(ids))
                    for table in ("jobs", "batches", "result_counts", "failure_groups")
                ]
                if not self._write(writes):
                    return removed
                removed += len(ids)
                if self._known is not None:
                    for job_id in ids:
                        self._known.pop(job_id, None)
        while True:
            with self._lock:
                delete = (
                    "DELETE FROM actions WHERE id IN (SELECT id FROM actions WHERE at < ? LIMIT ?)"
                )
                count = self._write_count(delete, (cutoff, PRUNE_CHUNK))
                if count is None:
                    return removed
                removed += count
                if count < PRUNE_CHUNK:
                    break
        with self._lock:
            self._write(
                [("INSERT OR REPLACE INTO meta VALUES ('pruned_at', ?)", (str(now.timestamp()),))]
            )
        return removed

    def close(self) -> None:
        with self._lock:
            if self._db is not None and self._pending_actions:
                self._db.execute(f"PRAGMA busy_timeout = {int(OPEN_WAIT * 1000)}")
                self._write([])
            if self._db is not None:
                self._db.close()
                self._db = None

    # ----------------------------------------------------------------------- internals

    def _kind_of(self, job_id: str | None) -> str | None:
        if job_id is None:
            return None
        with self._lock:
            known = self._load_known()
            k = known.get(job_id) if known is not None else None
            return k.kind if k is not None else None

    def _read(self, query: Callable[[JournalReader], T], empty: T) -> T:
        with self._lock:
            if self._db is None:
                return empty
            try:
                return query(self._reader)
            except sqlite3.Error as exc:
                self._failed(exc)
                return empty

    def _load_known(self) -> dict[str, _Known] | None:
        """The light per-job state (no JSON), loaded once, kept current by our own writes."""
        if self._known is None and self._db is not None:
            try:
                rows = self._db.execute(
                    "SELECT job_id, digest, full, state, kind, ended, purged_at, last_listed"
                    " FROM jobs"
                ).fetchall()
            except sqlite3.Error as exc:
                self._failed(exc)
                return None
            self._known = {
                r[0]: _Known(
                    None, r[1], bool(r[2]), r[3], r[4] or "", bool(r[5]), r[6] is not None, r[7]
                )
                for r in rows
            }
        return self._known

    def _record(
        self,
        sightings: Iterable[_Sighting],
        now: float,
        *,
        batches: Mapping[str, tuple[BatchInfo, ...]] | None = None,
        listing: bool = False,
    ) -> None:
        with self._lock:
            if self._db is None or self.read_only:
                return
            known = self._load_known()
            if known is None:
                return
            writes: list[tuple[str, tuple[Any, ...]]] = []
            self._refreshes = 0
            updated: dict[str, _Known] = {}
            for seen in sightings:
                step = self._plan(seen, known.get(seen.job.id), now)
                if step is None:
                    continue
                new, statement = step
                updated[seen.job.id] = new
                if statement is not None:
                    writes.append(statement)
            for job_id, tup in (batches or {}).items():
                if self._batches.get(job_id) == tup:
                    continue
                writes.append(("DELETE FROM batches WHERE job_id = ?", (job_id,)))
                for batch in tup:
                    writes.append(
                        (
                            "INSERT OR REPLACE INTO batches VALUES (?, ?, ?, ?)",
                            (job_id, batch.id, _json(batch.to_wire()), now),
                        )
                    )
            if self._write(writes):
                known.update(updated)
                for job_id, tup in (batches or {}).items():
                    self._batches = {job_id: tup}  # only the selected job's list is kept
                if listing:
                    self._last_listing = now

    def _plan(
        self, seen: _Sighting, k: _Known | None, now: float
    ) -> tuple[_Known, tuple[str, tuple[Any, ...]] | None] | None:
        """The journal's new state for one sighting and the statement that stores it; None
        when nothing changed."""
        job = seen.job
        if (
            k is not None
            and k.job is job
            and k.purged == seen.purged
            and (not seen.listed or seen.purged or not _listing_due(k.last_listed, now, job.id))
        ):
            return None
        full = _has_counts(job)
        text: str | None = None
        digest = k.digest if k is not None else b""
        replace_info = False
        if k is None or k.job is not job:
            text = _json_job(job)
            new_digest = _digest(text)
            # A list row never replaces a full JobInfo of the same state: keep the fullest.
            keep = k is not None and k.full and not full and k.state == _state(job)
            replace_info = new_digest != digest and not keep
            if replace_info:
                digest = new_digest
        state = _state(job) if replace_info or k is None else k.state
        kind = kind_of(job).value if replace_info or k is None else k.kind
        ended = (liveness(job) is Liveness.ENDED) if replace_info or k is None else k.ended
        last_listed = k.last_listed if k is not None else None
        if seen.listed and not seen.purged and _listing_due(last_listed, now, job.id):
            last_listed = now
        elif seen.listed and seen.purged and (k is None or not k.purged) and self._last_listing:
            # Gone now: it was last seen in the previous listing (the hourly value is older).
            last_listed = max(last_listed or 0.0, self._last_listing)
        new = _Known(
            job,
            digest,
            full if replace_info or k is None else k.full,
            state,
            kind,
            ended,
            seen.purged if seen.listed else (k.purged if k is not None else False),
            last_listed,
        )
        if k is None:
            assert text is not None
            statement = (
                "INSERT INTO jobs (job_id, org_id, object, operation, state, kind, created_date,"
                " info, digest, full, ended, info_at, first_seen, last_listed, ended_at,"
                " purged_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.id,
                    self._org_id,
                    _text(job.object, 300),
                    _text(_enum_text(job.operation), 60),
                    _text(state, 60),
                    kind,
                    _ts(job.created_date) if job.created_date else None,
                    text,
                    digest,
                    int(full),
                    int(ended),
                    now,
                    now,
                    last_listed,
                    _ended_at(job, now) if ended else None,
                    (self._last_listing or now) if new.purged else None,
                ),
            )
            return new, statement
        sets: list[str] = []
        params: list[Any] = []
        if replace_info:
            assert text is not None
            sets += ["info = ?", "digest = ?", "full = ?", "state = ?", "kind = ?", "info_at = ?"]
            params += [text, digest, int(new.full), _text(state, 60), kind, now]
            sets += ["object = ?", "operation = ?"]
            params += [_text(job.object, 300), _text(_enum_text(job.operation), 60)]
            if self._org_id is not None:
                sets.append("org_id = ?")
                params.append(self._org_id)
        if ended != k.ended:
            sets += ["ended = ?", "ended_at = ?"]
            params += [int(ended), _ended_at(job, now) if ended else None]
        if new.purged != k.purged:
            sets.append("purged_at = ?")
            params.append(now if new.purged else None)
        if last_listed != k.last_listed:
            if not sets:  # only the refresh: a few hundred a cycle, the rest next time
                if self._refreshes >= MAX_REFRESHES:
                    k.job = job
                    return None
                self._refreshes += 1
            sets.append("last_listed = ?")
            params.append(last_listed)
        if not sets:
            return new, None
        params.append(job.id)
        where = "job_id = ?"
        if replace_info and not new.full:
            # Another process may have stored a full GET since we looked: a list row of the
            # same state must not replace it there either.
            where += " AND NOT (full = 1 AND state IS ?)"
            params.append(_text(state, 60))
        return new, (f"UPDATE jobs SET {', '.join(sets)} WHERE {where}", tuple(params))

    def _write(self, writes: Sequence[tuple[str, tuple[Any, ...]]]) -> bool:
        """Run ``writes`` and any pending action rows in one transaction. False when the file
        was busy (the caller retries with its next call) or has failed."""
        db = self._db
        if db is None or self.read_only:
            return False
        actions = list(self._pending_actions)
        if not writes and not actions:
            return True
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in writes:
                    db.execute(sql, params)
                if actions:
                    db.executemany(
                        "INSERT INTO actions (at, org_id, user, job_id, action, origin, rule,"
                        " outcome, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        actions,
                    )
                db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('recorded_at', ?)",
                    (str(datetime.now(UTC).timestamp()),),
                )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            self._failed(exc)
            return False
        del self._pending_actions[: len(actions)]
        return True

    def _write_count(self, sql: str, params: tuple[Any, ...]) -> int | None:
        db = self._db
        if db is None:
            return None
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                count = db.execute(sql, params).rowcount
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            self._failed(exc)
            return None
        return int(count)

    def _failed(self, exc: sqlite3.Error) -> None:
        """A busy file is a moment's wait (retry later); anything else ends the journal for
        this run, said once."""
        code = _code(exc)
        if code in (_BUSY, _LOCKED):
            log.debug("journal busy, write deferred: %s", exc)
            return
        if code == _FULL:
            what = "the disk is full"
        elif code == _READONLY:
            what = "it became read-only"
        elif code in (_CORRUPT, _NOTADB):
            what = "it is damaged (move it aside; a new one starts next run)"
        else:
            what = f"it cannot be written ({exc})"
        self.problem = f"journal {self.path}: {what}; bulktui carries on without a journal"
        # Said once: to whoever asked to be told, else as a warning (one-shot commands echo
        # warnings to stderr; the console's log file keeps them).
        if self._on_problem is None:
            log.warning("%s", self.problem)
        else:
            log.info("%s", self.problem)
        db, self._db = self._db, None
        self.enabled = False
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.close()
        if self._on_problem is not None:
            self._on_problem(self.problem)


# --------------------------------------------------------------------------- helpers


def _connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
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


def _open_failure(path: Path, exc: sqlite3.Error) -> NullJournal:
    code = _code(exc)
    where = f"journal {path}"
    if code in (_BUSY, _LOCKED):
        return NullJournal(f"{where} is locked by another program; close it, or {_ANOTHER}", path)
    if code in (_CORRUPT, _NOTADB):
        return _moved_aside(path, "is damaged")
    if code == _READONLY:
        return NullJournal(f"{where} is read-only; make it writable or {_ANOTHER}", path)
    if code == _FULL:
        return NullJournal(f"{where}: the disk is full; {_WITHOUT}", path)
    return NullJournal(f"{where} cannot be opened ({exc}); {_WITHOUT}", path)


def _moved_aside(path: Path, why: str) -> NullJournal:
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


def _code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return _BUSY
    if "disk is full" in text:
        return _FULL
    if "readonly" in text or "read-only" in text:
        return _READONLY
    if "not a database" in text or "malformed" in text:
        return _CORRUPT
    return None


def _ts(when: datetime) -> float:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _listing_due(last_listed: float | None, now: float, job_id: str) -> bool:
    """Whether "last seen in a listing" is worth rewriting: after an hour, plus a fixed
    per-job spread of up to another hour, so the jobs of a big org are refreshed a few per
    cycle instead of all in one transaction every hour."""
    if last_listed is None:
        return True
    age = now - last_listed
    return age >= LISTED_STEP and age >= LISTED_STEP * (
        1 + (zlib.crc32(job_id.encode()) % 997) / 997
    )


def _state(job: JobInfo) -> str | None:
    return _enum_text(job.state)


def _enum_text(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def _has_counts(job: JobInfo) -> bool:
    from bulktui.api.lifecycle import has_counts

    return has_counts(job)


def _ended_at(job: JobInfo, now: float) -> float:
    """When an ended job ended: its last modification, if the server said, else now."""
    return _ts(job.system_modstamp) if job.system_modstamp is not None else now


def _json(value: Any) -> str:
    # ensure_ascii: a lone surrogate from the server becomes an escape, not an encoding error.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True, default=str)


def _json_job(job: JobInfo) -> str:
    text = _json(job.to_wire())
    if len(text) > MAX_INFO_CHARS:  # a hostile row with huge unknown elements: drop them
        text = _json(replace(job, extra={}).to_wire())
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """Server words for a TEXT column: capped, lone surrogates (which SQLite cannot store as
    UTF-8) replaced. Shown later only through bulktui.core.text."""
    if value is None:
        return None
    return _SURROGATE.sub("\ufffd", str(value)[:limit])


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError, OverflowError):
        return None


# Re-exported for callers that read one job's JSON back the same untrusting way.
__all__ += ["job_from_json"]
