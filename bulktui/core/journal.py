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
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bulktui.api.lifecycle import JobKind, kind_of
from bulktui.api.models import BatchInfo, JobInfo
from bulktui.core import journal_files as files
from bulktui.core.actions import ActionOutcome, ActionRefused, ActionSucceeded
from bulktui.core.journal_files import JournalChoice
from bulktui.core.journal_null import ErrorGroupLike, FailedGroupsLike, JournalLike, NullJournal
from bulktui.core.journal_open import (
    ANOTHER,
    BUSY,
    CORRUPT,
    FULL,
    LOCKED,
    NOTADB,
    OPEN_WAIT,
    READONLY,
    WITHOUT,
    connect,
    error_code,
    moved_aside,
    open_failure,
)
from bulktui.core.journal_queries import (
    ActionEntry,
    HistoryEntry,
    JobRecord,
    JournalInfo,
    JournalReader,
)
from bulktui.core.journal_rows import (
    Known,
    Sighting,
    as_int,
    json_text,
    listing_due,
    plan,
    safe_text,
    to_ts,
)
from bulktui.core.journal_schema import SchemaError, check_identity, migrate, write_transaction

if TYPE_CHECKING:  # a one-shot command never builds a snapshot: not loaded for it
    from bulktui.core.journal_preview import JournalPreview
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
WRITE_WAIT = 0.2  # seconds: a write on the poller's path waits no longer, then retries later
MAX_REFRESHES = 300  # "last listed"-only rewrites per write: no hourly burst on a big org
MAX_PENDING_ACTIONS = 1_000  # action rows waiting for a busy file, at most
PRUNE_EVERY = timedelta(days=1)
PRUNE_CHUNK = 500


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
        self._known: dict[str, Known] | None = None
        self._preloaded: dict[str, JobInfo] = {}  # known_jobs' answer, until _known loads
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
                return NullJournal(f"{where} is a directory; {WITHOUT}", path)
            if not path.exists():
                if not create:
                    return NullJournal(f"no journal yet at {path}", path)
                files.create_private(path)
            if not path.is_file():  # a FIFO or a device: never opened, never waited on
                return NullJournal(f"{where} is not a regular file; {WITHOUT}", path)
            files.tighten_mode(path)
        except OSError as exc:
            return NullJournal(
                f"{where} cannot be created ({exc.strerror or exc}); {WITHOUT}",
                path,
            )
        why = files.damage(path)
        if why is not None:
            return moved_aside(path, why)
        read_only = not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)
        if read_only and create:
            return NullJournal(
                f"{where} is read-only; make it writable (chmod u+w) or {ANOTHER}",
                path,
            )
        try:
            db = connect(path, read_only=read_only)
        except sqlite3.Error as exc:
            return open_failure(path, exc)
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
            return NullJournal(f"{where} is not usable: {exc}; {WITHOUT}", path)
        except sqlite3.Error as exc:
            db.close()
            return open_failure(path, exc)
        return cls(db, path, retention=retention, on_problem=on_problem, read_only=read_only)

    # ----------------------------------------------------------------------- writing

    def record_snapshot(self, snapshot: Snapshot) -> None:
        """A poller listener: keep what changed since the last snapshot, in one transaction.
        A snapshot made from the journal's own rows (``source`` "journal", at launch) holds
        nothing new, and recording it would count as a sighting in a listing that never
        happened."""
        if snapshot.source == "journal":
            return
        if snapshot.identity is not None:
            self._org_id = snapshot.identity.org_id or self._org_id
            self._user = snapshot.identity.username or self._user
        now = to_ts(snapshot.fetched_at or datetime.now(UTC))
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
                    if view.purged or not listing_due(k.last_listed, now, view.job.id):
                        continue
                    if refreshes >= MAX_REFRESHES:
                        continue  # only "last listed" is due: next cycle
                    refreshes += 1
                sightings.append(Sighting(view.job, view.purged, True))
            self._record(sightings, now, batches=batches, listing=True)

    def record_listing(self, jobs: Iterable[JobInfo], at: datetime) -> list[str]:
        """A complete listing (the ``jobs`` command): record it, and return the ids the
        journal knew as listed that it lacks. Confirm each is gone (one GET) before calling
        ``mark_purged``."""
        listed = list(jobs)
        self._record((Sighting(j, False, True) for j in listed), to_ts(at), listing=True)
        with self._lock:
            known = self._known or {}
            ids = {j.id for j in listed}
            return sorted(i for i, k in known.items() if not k.purged and i not in ids)

    def record_job(self, job: JobInfo, at: datetime) -> None:
        """A JobInfo read on its own (``show``, an action's answer)."""
        self._record([Sighting(job, False, False)], to_ts(at))

    def mark_purged(self, job_id: str, at: datetime) -> None:
        with self._lock:
            known = self._load_known()
            k = known.get(job_id) if known is not None else None
            if k is None or k.purged:
                return
            if self._write(
                [("UPDATE jobs SET purged_at = ? WHERE job_id = ?", (to_ts(at), job_id))]
            ):
                k.purged = True

    def record_batches(self, job_id: str, batches: Sequence[BatchInfo], at: datetime) -> None:
        self._record([], to_ts(at), batches={job_id: tuple(batches)})

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
                    (job_id, as_int(processed), as_int(failed), as_int(unprocessed), to_ts(at)),
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
            code = safe_text(group.code, 200) or ""
            count, message = merged.get(code, (0, safe_text(group.first_message) or ""))
            merged[code] = (count + (as_int(group.count) or 0), message)
        for code, (count, message) in merged.items():
            writes.append(
                (
                    "INSERT INTO failure_groups VALUES (?, ?, ?, ?, ?, ?)",
                    (job_id, key, code, count, message, to_ts(at)),
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
            to_ts(at),
            org_id or self._org_id,
            safe_text(user or self._user, 200),
            safe_text(job_id, 40),
            safe_text(action, 60),
            safe_text(origin, 20),
            safe_text(rule, 200),
            word,
            safe_text(message) or "",
        )
        with self._lock:
            if self._db is None or self.read_only:
                return
            if len(self._pending_actions) >= MAX_PENDING_ACTIONS:
                log.warning("journal busy for long: an action row was not recorded")
                del self._pending_actions[0]
            self._pending_actions.append(row)
            if isinstance(outcome, ActionSucceeded):
                self._record([Sighting(outcome.job, False, False)], to_ts(at))
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
            # identity test per job, not a JSON comparison. The light state of every job is
            # loaded with the first recording, not here: a launch paints sooner without it.
            if limit is not None and self._known is None:
                return jobs
            if self._known is None:
                self._preloaded = {job.id: job for job in jobs}
            else:
                self._link_known(self._known, jobs)
            return jobs

    def preview(self, org_id: str | None, as_of: datetime, limit: int) -> JournalPreview | None:
        """The newest ``limit`` jobs not purged, unparsed, for a table to show at once
        (JournalPreview; ``complete`` when that is every one); None when the journal cannot
        be read."""
        from bulktui.core.journal_preview import JournalPreview  # the console's only

        with self._lock:
            if self._db is None:
                return None
            try:
                rows = self._reader.preview_rows(org_id, limit + 1)
            except sqlite3.Error as exc:
                self._failed(exc)
                return None
        return JournalPreview(rows[:limit], as_of, complete=len(rows) <= limit)

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
        cutoff = to_ts(now - self.retention)
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

    def _load_known(self) -> dict[str, Known] | None:
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
                r[0]: Known(
                    None, r[1], bool(r[2]), r[3], r[4] or "", bool(r[5]), r[6] is not None, r[7]
                )
                for r in rows
            }
            self._link_known(self._known, self._preloaded.values())
            self._preloaded = {}
        return self._known

    @staticmethod
    def _link_known(known: dict[str, Known], jobs: Iterable[JobInfo]) -> None:
        """Remember the objects ``known_jobs`` handed out, as the ones last recorded."""
        for job in jobs:
            k = known.get(job.id)
            if k is not None:
                k.job = job

    def _record(
        self,
        sightings: Iterable[Sighting],
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
            updated: dict[str, Known] = {}
            for seen in sightings:
                k = known.get(seen.job.id)
                change = plan(seen, k, now, org_id=self._org_id, last_listing=self._last_listing)
                if change is None:
                    continue
                if change.refresh_only:  # a few hundred a write; the rest next time
                    if self._refreshes >= MAX_REFRESHES:
                        if k is not None:
                            k.job = seen.job
                        continue
                    self._refreshes += 1
                updated[seen.job.id] = change.new
                if change.statement is not None:
                    writes.append(change.statement)
            for job_id, tup in (batches or {}).items():
                if self._batches.get(job_id) == tup:
                    continue
                writes.append(("DELETE FROM batches WHERE job_id = ?", (job_id,)))
                for batch in tup:
                    writes.append(
                        (
                            "INSERT OR REPLACE INTO batches VALUES (?, ?, ?, ?)",
                            (job_id, batch.id, json_text(batch.to_wire()), now),
                        )
                    )
            if self._write(writes):
                known.update(updated)
                for job_id, tup in (batches or {}).items():
                    self._batches = {job_id: tup}  # only the selected job's list is kept
                if listing:
                    self._last_listing = now

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
            with write_transaction(db):
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
            with write_transaction(db):
                count = db.execute(sql, params).rowcount
        except sqlite3.Error as exc:
            self._failed(exc)
            return None
        return int(count)

    def _failed(self, exc: sqlite3.Error) -> None:
        """A busy file is a moment's wait (retry later); anything else ends the journal for
        this run, said once."""
        code = error_code(exc)
        if code in (BUSY, LOCKED):
            log.debug("journal busy, write deferred: %s", exc)
            return
        if code == FULL:
            what = "the disk is full"
        elif code == READONLY:
            what = "it became read-only"
        elif code in (CORRUPT, NOTADB):
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
