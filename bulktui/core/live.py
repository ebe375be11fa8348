"""What the console needs from the world: snapshots, the poller's status, and the actions.

The console is written against :class:`Backend`. :class:`LiveBackend` wires it to a
``BulkClient`` (or anything shaped like one), the core ``Poller`` and the core
``ActionRunner``; tests use the same class over the in-process emulator. Nothing here
imports Textual: a headless process can watch an org through the same object.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Protocol

from bulktui.api.enums import ResultSet
from bulktui.api.lifecycle import kind_of
from bulktui.api.models import JobInfo, RecordResult
from bulktui.api.results import (
    FailedRecordGroups,
    delimiter_of,
    group_failed_v1,
    group_failed_v2,
)
from bulktui.core.actions import ActionOutcome, ActionRunner
from bulktui.core.clock import Clock, Sleep, SystemClock, real_sleep
from bulktui.core.config import PollerConfig
from bulktui.core.jobspec import NewJobSpec
from bulktui.core.journal_null import JournalLike
from bulktui.core.journal_preview import JournalPreview
from bulktui.core.poller import Poller
from bulktui.core.ports import ActionClient, PollingClient
from bulktui.core.snapshot import PollStatus, Snapshot

__all__ = [
    "Backend",
    "ConsoleClient",
    "LiveBackend",
    "NewJobSpec",
    "SessionJournal",
    "SnapshotCallback",
]

log = logging.getLogger(__name__)

SnapshotCallback = Callable[[Snapshot], None]

SETTLE_AT_MOST = 1.0  # seconds the first cycle waits for the journal's picture to be shown
FIRST_SCREEN = 200  # jobs preloaded first, so a screenful paints before the rest is parsed
# Jobs the first frame shows unparsed beyond those (JournalPreview): about 25 ms at 10,000, but
# 0.4 s at 100,000, so the first frame's cost stops growing with the org here.
PREVIEW_AT_MOST = 20_000
PRUNE_EVERY = 3600.0  # seconds between the journal's (once-a-day) prune checks
FIRST_PRUNE_AFTER = 60.0  # not during the launch


def _may_be_more(first_read: int) -> bool:
    """The journal gave all the first read may take: it may hold more jobs than that."""
    return first_read == FIRST_SCREEN


class SessionJournal(JournalLike, Protocol):
    """What a watching session uses of a journal (``Journal`` and ``NullJournal`` both)."""

    def known_as_of(self) -> datetime | None: ...

    def preview(self, org_id: str | None, as_of: datetime, limit: int) -> JournalPreview | None: ...

    def maybe_prune(self, now: datetime | None = None) -> int: ...

    def record_failed_groups(
        self, job_id: str, batch_id: str | None, groups: FailedRecordGroups, at: datetime
    ) -> None: ...

    def close(self) -> None: ...


class Backend(Protocol):
    """The poller, the action runner and the client, as the console sees them."""

    @property
    def instance_url(self) -> str: ...

    @property
    def interval(self) -> float: ...

    async def run(
        self,
        on_snapshot: SnapshotCallback,
        *,
        settle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Publish snapshots until cancelled. ``settle`` is awaited between the journal's
        picture and the first request (the console paints meanwhile)."""

    def first_picture(self) -> Snapshot | None:
        """What is known before any request (the journal's newest screenful), read at once
        for the console's first frame; None when nothing is."""

    def status(self) -> PollStatus: ...

    def select(self, job_id: str | None) -> None: ...

    def set_visible(self, job_ids: Iterable[str]) -> None:
        """The rows on screen: only these are read just for their counts."""

    def refresh_now(self) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def set_interval(self, seconds: float) -> float: ...

    def invalidate(self, job_id: str) -> None: ...

    async def get_job(self, job_id: str) -> JobInfo: ...

    async def close(self, job_id: str) -> ActionOutcome: ...

    async def abort(self, job_id: str) -> ActionOutcome: ...

    async def create(self, spec: NewJobSpec) -> ActionOutcome: ...

    async def batch_results(self, job_id: str, batch_id: str) -> list[RecordResult]: ...

    async def failed_records(self, job_id: str, batch_id: str | None) -> FailedRecordGroups:
        """Failed records grouped by error: a 1.0 batch's results, or a 2.0 job's
        ``failedResults`` (``batch_id`` None), read as a stream with bounded memory."""
        ...

    async def aclose(self) -> None: ...


class ConsoleClient(PollingClient, ActionClient, Protocol):
    """The parts of ``BulkClient`` the console uses."""

    async def get_batch_results(self, job_id: str, batch_id: str) -> list[RecordResult]: ...

    def iter_results_v2(self, job_id: str, which: ResultSet) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class LiveBackend:
    """Poller + ActionRunner over one client. ``on_close`` runs after the client is closed
    (``--demo`` stops its emulator there)."""

    def __init__(
        self,
        client: ConsoleClient,
        *,
        instance_url: str,
        interval: float | None = None,
        config: PollerConfig | None = None,
        clock: Clock | None = None,
        sleep: Sleep = real_sleep,
        read_only: bool = False,
        on_close: Callable[[], Awaitable[None] | None] | None = None,
        journal: SessionJournal | None = None,
        org_id: str | None = None,
    ) -> None:
        self.client = client
        self._instance_url = instance_url
        self._listener: SnapshotCallback | None = None
        config = config or PollerConfig()
        if interval is not None:
            config = config.with_interval(interval)
        self._clock: Clock = clock or SystemClock()
        self._sleep = sleep
        self.poller = Poller(client, config, clock=self._clock, sleep=sleep)
        self.runner = ActionRunner(client, self.poller, read_only=read_only)
        budget = config.budget
        if budget is not None:
            # Actions are never held back, but they are spent: the header counts them.
            self.runner.add_listener(lambda _outcome: budget.spent("action", 1))
        # The journal hears every snapshot before the console does: a job the console shows
        # is already recorded. Its writes are one short transaction of the changed rows.
        self.journal = journal
        self._org_id = org_id
        self._preload_started = False
        self._first_read: tuple[int, datetime] | None = None  # jobs seeded, as of
        if journal is not None:
            self.poller.add_listener(journal.record_snapshot)
            self.runner.add_listener(journal.record_action)
        self.poller.add_listener(self._publish)
        self._on_close = on_close
        self._closed = False

    def _publish(self, snapshot: Snapshot) -> None:
        if self._listener is not None:
            self._listener(snapshot)

    @property
    def instance_url(self) -> str:
        return self._instance_url

    @property
    def interval(self) -> float:
        return self.poller.interval

    async def run(
        self,
        on_snapshot: SnapshotCallback,
        *,
        settle: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._listener = on_snapshot
        await self.preload()
        if settle is not None and self.poller.snapshot.source == "journal":
            # The first request loads the network stack (about 0.2 s, docs/ARCHITECTURE.md):
            # let the journal's picture reach the screen first. Bounded: polling never
            # waits long on a caller.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SETTLE_AT_MOST):
                    await settle()
        pruning = asyncio.create_task(self._prune()) if self.journal is not None else None
        try:
            await self.poller.run()
        finally:
            if pruning is not None:
                pruning.cancel()
                await asyncio.gather(pruning, return_exceptions=True)

    def first_picture(self) -> Snapshot | None:
        """The journal's newest screenful, read now (a few milliseconds, no request): the
        console's first frame shows it instead of an empty table. None when the journal
        knows no job. ``run()`` loads the rest."""
        if self._first_read is None:
            self._first_read = self._seed(*self._read_first(with_preview=True))
        return self.poller.snapshot if self._first_read[0] else None

    def _read_first(
        self, *, with_preview: bool = False
    ) -> tuple[list[JobInfo], datetime, JournalPreview | None]:
        """The journal's newest screenful, when the journal last recorded anything, and (for
        a screen, when there is more) every stored job unparsed, so that a table can show
        every row before the rest is parsed (about 20 ms at 10,000 jobs)."""
        journal = self.journal
        try:
            if journal is not None:
                as_of = journal.known_as_of() or self._clock.now()
                jobs = journal.known_jobs(self._org_id, FIRST_SCREEN)
                preview = None
                if with_preview and _may_be_more(len(jobs)):
                    preview = journal.preview(self._org_id, as_of, PREVIEW_AT_MOST)
                return jobs, as_of, preview
        except Exception:  # a journal must never stop the console from watching
            log.exception("preloading from the journal failed; watching without it")
        return [], self._clock.now(), None

    def _seed(
        self, jobs: list[JobInfo], as_of: datetime, preview: JournalPreview | None
    ) -> tuple[int, datetime]:
        if jobs:
            self.poller.preload(jobs, as_of, partial=_may_be_more(len(jobs)), preview=preview)
        return len(jobs), as_of

    async def preload(self) -> None:
        """Seed the poller with what the journal knew, before any request: the newest
        screenful first (``first_picture``, unless the console already asked for it), then
        the rest. An ended job with counts is never read again. The rest is read in a
        thread: 10,000 stored jobs take a moment to parse. Done once; ``run()`` calls it."""
        journal = self.journal
        if journal is None or self._preload_started:
            return
        self._preload_started = True
        try:
            if self._first_read is None:
                self._first_read = self._seed(*await asyncio.to_thread(self._read_first))
            count, as_of = self._first_read
            if _may_be_more(count):
                rest: list[JobInfo] = []
                try:
                    rest = await asyncio.to_thread(journal.known_jobs, self._org_id)
                finally:  # the picture is whole now, or as whole as it will get
                    self.poller.preload(rest, as_of)
        except asyncio.CancelledError:
            raise
        except Exception:  # a journal must never stop the console from watching
            log.exception("preloading from the journal failed; watching without it")

    async def _prune(self) -> None:
        """Off the poller's path: the journal prunes at most once a day across processes."""
        journal = self.journal
        assert journal is not None
        await self._sleep(FIRST_PRUNE_AFTER)
        while True:
            try:
                await asyncio.to_thread(journal.maybe_prune)
            except Exception:
                log.exception("pruning the journal failed")
            await self._sleep(PRUNE_EVERY)

    def status(self) -> PollStatus:
        return self.poller.status

    def select(self, job_id: str | None) -> None:
        self.poller.select(job_id)

    def set_visible(self, job_ids: Iterable[str]) -> None:
        self.poller.set_visible(job_ids)

    def refresh_now(self) -> None:
        self.poller.refresh_now()

    def pause(self) -> None:
        self.poller.pause()

    def resume(self) -> None:
        self.poller.resume()

    def set_interval(self, seconds: float) -> float:
        return self.poller.set_interval(seconds)

    def invalidate(self, job_id: str) -> None:
        self.poller.invalidate(job_id)

    async def get_job(self, job_id: str) -> JobInfo:
        known = self.poller.known_job(job_id)  # its kind, so one endpoint is asked
        with self._counted():
            return await self.client.get_job(job_id, kind_of(known) if known else None)

    @contextmanager
    def _counted(self, n: int = 1) -> Iterator[None]:
        """What the user asked for directly is never held back, but it is spent, so the
        header's hourly count holds it. Counted, not measured: the poller may be sending
        requests at the same moment."""
        try:
            yield
        finally:
            budget = self.poller.config.budget
            if budget is not None:
                budget.spent("live", n)

    async def close(self, job_id: str) -> ActionOutcome:
        return await self.runner.close(job_id)

    async def abort(self, job_id: str) -> ActionOutcome:
        return await self.runner.abort(job_id)

    async def create(self, spec: NewJobSpec) -> ActionOutcome:
        return await self.runner.create(
            spec.object,
            spec.operation,
            content_type=spec.content_type,
            external_id_field_name=spec.external_id_field_name,
            concurrency_mode=spec.concurrency_mode,
        )

    async def batch_results(self, job_id: str, batch_id: str) -> list[RecordResult]:
        with self._counted():
            return await self.client.get_batch_results(job_id, batch_id)

    async def failed_records(self, job_id: str, batch_id: str | None) -> FailedRecordGroups:
        """Grouped as the console shows them, and kept in the journal (code, count, first
        message: never a record), so a job's failures can be read after Salesforce purged it."""
        with self._counted():
            if batch_id is not None:
                groups = group_failed_v1(await self.client.get_batch_results(job_id, batch_id))
            else:
                job = self.poller.known_job(job_id) or await self.client.get_job(job_id)
                chunks = self.client.iter_results_v2(job_id, ResultSet.FAILED)
                groups = await group_failed_v2(chunks, delimiter=delimiter_of(job))
        if self.journal is not None:
            try:
                self.journal.record_failed_groups(job_id, batch_id, groups, self._clock.now())
            except Exception:  # a journal must never cost the user what they asked to see
                log.exception("keeping failed-record groups in the journal failed")
        return groups

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self.client.aclose()
        finally:
            if self.journal is not None:
                self.journal.close()  # flushes pending action rows
            if self._on_close is not None:
                result = self._on_close()
                if result is not None:
                    await result
