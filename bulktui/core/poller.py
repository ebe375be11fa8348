"""The polling worker: discovers jobs, decides what is worth an API call, publishes snapshots.

Every HTTP request counts against the org's daily API limit (docs/wire-facts.md), so each
cycle spends: the job-list pages that can hold new jobs (``listing``: every page only every
10 minutes), one GET per job that can still change and is due (per-job
back-off while nothing moves), the selected job's JobInfo and batch list, and one-off GETs for
jobs never seen in full (their counts; a budget per cycle keeps a launch from bursting).

An optional ``ApiBudget`` (``PollerConfig.budget``) is told every request sent, by purpose,
and may hold back the listing, the back-fill and user names, never live jobs or the selected
one; ``PollStatus.budget`` carries its words for the header.

The parts, one purpose each: ``JobBook`` (what is known per job), ``planning`` (what to read),
``Lister`` (what of the listings to read),
``JobReader`` (reading it), ``LinkHealth`` (how current the data is), ``UserDirectory``
(names), ``Publisher`` (snapshots to listeners). This module runs the loop and the controls.

Cycles never overlap: ``run()`` awaits each cycle before scheduling the next. All time comes
from the injected clock and sleep, so tests drive cycles with ``await poller.cycle()``.
Thread model: call every method from the event loop that runs ``run()`` (a Textual async
worker shares the app's loop). Listeners are called synchronously in that loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bulktui.api.models import JobInfo
from bulktui.core.clock import Clock, Sleep, SystemClock, real_sleep, seconds_between
from bulktui.core.config import PollerConfig, clamp_interval
from bulktui.core.faults import FatalFault, FaultKind, classify, describe, is_bulk_error
from bulktui.core.link import LinkHealth, Tally
from bulktui.core.listing import ENDPOINTS, Lister
from bulktui.core.planning import backfill_candidates, granted, plan
from bulktui.core.ports import PollingClient
from bulktui.core.publishing import Listener, Publisher
from bulktui.core.reading import JobReader
from bulktui.core.snapshot import LinkState, PollStatus, Snapshot, Source
from bulktui.core.tracking import JobBook, JobTrack
from bulktui.core.users import UserDirectory

if TYPE_CHECKING:
    from bulktui.core.journal_preview import JournalPreview

log = logging.getLogger(__name__)

LISTINGS = len(ENDPOINTS)  # a tail read: one page of each listing


class Poller:
    def __init__(
        self,
        client: PollingClient,
        config: PollerConfig | None = None,
        *,
        clock: Clock | None = None,
        sleep: Sleep = real_sleep,
    ) -> None:
        self._client = client
        self._config = config or PollerConfig()
        self._clock: Clock = clock or SystemClock()
        self._sleep = sleep
        self._interval = self._config.interval
        # Kept as an attribute so a test harness can drop the settling pause.
        self._select_delay = self._config.select_delay

        self._book = JobBook()
        self._tracks = self._book.tracks  # the same dict; benchmarks count from it
        self._reader = JobReader(
            client, self._book, self._clock, batch_cache_size=self._config.batch_cache_size
        )
        self._link = LinkHealth(self._config, self._clock)
        self._users = UserDirectory()
        self._lister = Lister(
            client,
            self._clock,
            full_every=self._config.full_listing_seconds,
            floor_gap=self._config.listing_floor_seconds,
        )
        self._publisher = Publisher()

        self._selected: str | None = None
        self._cycle_no = 0
        self._backlog = 0  # jobs never fetched in full, left over by the last plan
        self._backlog_ok = True  # False after a failed round, until a clean cycle
        self._last_start: datetime | None = None
        self._last_end: datetime | None = None
        self._running_since: datetime | None = None  # the cycle in progress began then
        # The client's requests_sent when the poller's current request work began (a cycle,
        # the selected job, a back-fill round); None while it sends nothing.
        self._busy_mark: int | None = None
        self._visible: frozenset[str] | None = None  # None: the UI has not said; all rows
        self._source: Source = "live"
        self._source_as_of: datetime | None = None
        self._partial = False  # the journal's picture so far is its newest jobs only
        self._preview: JournalPreview | None = None  # every stored job, while partial
        self._requests_base = client.requests_reached

        self._paused = False
        self._force = False
        self._selection_dirty = False
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    # ----------------------------------------------------------------------- public controls

    @property
    def config(self) -> PollerConfig:
        return self._config

    @property
    def interval(self) -> float:
        return self._interval

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def cycling(self) -> bool:
        """A cycle, or a round between cycles, is running now."""
        return self._lock.locked()

    @property
    def busy(self) -> bool:
        """A cycle or a round between cycles is running, or a forced one is pending."""
        return self._lock.locked() or self._force

    @property
    def selected_job_id(self) -> str | None:
        return self._selected

    @property
    def snapshot(self) -> Snapshot:
        """The latest published snapshot (built now if none was published yet)."""
        return self._publisher.last or self._build()

    @property
    def status(self) -> PollStatus:
        budget = self._config.budget
        return PollStatus(
            link=self._link_state(),
            fetched_at=self._link.fetched_at,
            problem=self._problem() or self._slowed_words(),
            api_usage=self._client.api_usage,
            cycle=self._cycle_no,
            requests=self._requests(),
            next_cycle_at=None if self._paused else self.next_cycle_at(),
            source=self._source,
            source_as_of=self._source_as_of,
            budget=self._budget_words(),
            budget_compact=None if budget is None else budget.compact(),
            budget_short=None if budget is None else budget.compact(short=True),
        )

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Hear every published snapshot; returns a function that stops it."""
        return self._publisher.add_listener(listener)

    def select(self, job_id: str | None) -> None:
        """Follow this job closely: its JobInfo and batch list are fetched every cycle while it
        can change, and once (then served from cache) when it has ended."""
        if job_id == self._selected:
            return
        self._selected = job_id
        if job_id is not None:
            self._selection_dirty = True
            self._wake.set()
        self._publish()

    def refresh_now(self) -> None:
        """Run a cycle at once that ignores per-job back-off and re-reads the selected job."""
        self._force = True
        self._wake.set()

    def pause(self) -> None:
        """No requests at all until ``resume()``; the link shows paused."""
        if not self._paused:
            self._paused = True
            self._wake.set()
            self._publish()

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            self._force = True  # the data is as old as the pause: refresh at once
            self._wake.set()
            self._publish()

    def set_interval(self, seconds: float) -> float:
        """Change the refresh interval (clamped to 1 s … 1 h); returns the value applied."""
        self._interval = clamp_interval(seconds)
        self._wake.set()  # reschedule the pending wait
        return self._interval

    def invalidate(self, job_id: str) -> None:
        """Fetch this job again next cycle (after close, abort or create)."""
        track = self._book.track(job_id)
        track.invalidated = True
        track.level = 0
        track.unreadable = None

    def preload(
        self,
        jobs: Iterable[JobInfo],
        as_of: datetime,
        *,
        partial: bool = False,
        preview: JournalPreview | None = None,
    ) -> None:
        """Seed what a journal knew, before the first cycle. An ended job preloaded with its
        counts is never read again; a live one is read as usual. The snapshot published now
        says its source is the journal, as of ``as_of``, until the first listing arrives;
        ``partial``: more of the journal's jobs are still to come, and ``preview`` (every
        stored job, unparsed) goes out with the snapshots until they are in."""
        for job in jobs:
            self._book.preload(job, as_of)
        if self._cycle_no == 0:
            self._source, self._source_as_of = "journal", as_of
        self._partial = partial
        self._preview = preview if partial else None
        self._publish()

    def set_visible(self, job_ids: Iterable[str]) -> None:
        """The rows the user can see now: only these (and the selected job) are read just for
        their counts. Live jobs are read wherever they are."""
        visible = frozenset(job_ids)
        if visible == self._visible:
            return
        self._visible = visible
        if self._backfill_candidates():
            self._backlog = 1  # worth a round between cycles
            self._backlog_ok = True
            self._wake.set()

    def known_job(self, job_id: str) -> JobInfo | None:
        """The fullest JobInfo known for this id (its kind tells an action where to go)."""
        track = self._book.get(job_id)
        if track is None or (track.row is None and track.detail is None):
            return None
        return track.job

    def observe(self, job: JobInfo) -> None:
        """Take a JobInfo an action returned (close/abort/create) and publish it at once."""
        track = self._book.track(job.id)
        if track.note_detail(job, self._clock.now(), self._cycle_no, self._ceiling()):
            self._book.touch(job.id)
        self._publish()

    def _cycle_due(self) -> bool:
        # Never cycled (a launch, or a sleep that ran out): due now. Comparing "now" with a
        # next_cycle_at() that is itself "now", read a moment later, said not yet: the
        # selected job's reads went first, and a dead network held the listing back by the
        # five attempts they took.
        if self._last_start is None or self._last_end is None:
            return True
        return self._clock.now() >= self.next_cycle_at()

    def next_cycle_at(self) -> datetime:
        if self._last_start is None or self._last_end is None:
            return self._clock.now()
        delay = self._link.fault_delay if self._link.failing else self._interval
        assert delay is not None
        return max(
            self._last_start + timedelta(seconds=delay),
            self._last_end + timedelta(seconds=delay / 2),
        )

    # ------------------------------------------------------------------------------ the loop

    async def run(self) -> None:
        """Cycle until cancelled. Never raises anything but CancelledError."""
        while True:
            if self._paused:
                await self._wait(None)
                continue
            if self._force or self._cycle_due():
                force, self._force = self._force, False
                await self.cycle(force=force)
                continue
            if self._selection_dirty:
                self._selection_dirty = False
                if self._select_delay > 0:
                    await self._sleep(self._select_delay)  # let a fast-moving cursor settle
                await self.fetch_selection()
                continue
            if self._backlog and self._backlog_ok and not self._link.failing:
                # Jobs never fetched in full remain after the cycle's budget: fill their counts
                # now rather than a budget per interval, so the table completes in seconds.
                # Cycles keep priority: each round is short and the loop checks them first.
                await self.fill_backlog()
                continue
            remaining = seconds_between(self._clock.now(), self.next_cycle_at())
            if await self._wait(remaining):
                # The sleep ran out: the cycle is due even if the clock lags the sleep.
                self._last_start = self._last_end = None

    async def cycle(self, *, force: bool = False) -> None:
        """One full cycle. Public so tests and benchmarks can step the poller by hand."""
        async with self._busy():
            if self._paused:
                return
            await self._cycle(force)

    async def fill_backlog(self) -> None:
        """GET the next round of jobs never fetched in full (their counts), between cycles."""
        async with self._busy():
            if self._paused:
                return
            unknown = self._backfill_candidates()
            ids = granted(
                [t.id for t in unknown[: self._config.backfill_per_cycle]], self._allow_backfill
            )
            tally = Tally()
            before = self._client.requests_reached
            try:
                await self._read_many(ids, tally)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the next cycle reports and backs off
                log.info("filling job counts failed: %s", describe(error))
                self._backlog_ok = False
            finally:
                self._spent("backfill", self._client.requests_reached - before)
            if tally.failed:
                self._backlog_ok = False
            left = len(self._backfill_candidates())
            # Nothing granted: the budget says wait; the next cycle asks again.
            self._backlog = left if ids else 0
            self._publish()

    async def fetch_selection(self) -> None:
        """Fetch just the selected job (and its batches) if that is needed; between cycles."""
        async with self._busy():
            if self._paused or self._selected is None:
                return
            try:
                await self._read_selected(force=False, tally=Tally())
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the next full cycle reports link problems
                log.info("fetching the selected job failed: %s", describe(error))
            self._publish()

    async def _wait(self, timeout: float | None) -> bool:
        """Wait for a wake-up or ``timeout`` seconds; True when the timeout ran out."""
        self._wake.clear()
        if timeout is None:
            await self._wake.wait()
            return False
        if timeout <= 0:
            return True
        sleeper = asyncio.ensure_future(self._sleep(timeout))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
        return sleeper.done() and not sleeper.cancelled()

    # ----------------------------------------------------------------------------- a cycle

    async def _cycle(self, force: bool) -> None:
        self._cycle_no += 1
        start = self._running_since = self._clock.now()
        mark = self._client.requests_sent  # replies and retries are numbered by attempt
        tally = Tally()
        try:
            await self._discover(force)
            if self._selected is not None:
                await self._read_selected(force, tally)  # the user asked: never held back
                self._publish()
            await self._read_due(force, tally)
        except asyncio.CancelledError:
            raise
        except FatalFault as fatal:
            self._link.failed(fatal.error, self._interval, self._cycle_no)
        except Exception as error:
            if classify(error) is FaultKind.OTHER and not is_bulk_error(error):
                log.exception("poller cycle %d crashed; carrying on", self._cycle_no)
            self._link.failed(error, self._interval, self._cycle_no)
        else:
            self._backlog_ok = not tally.failed
            self._link.succeeded(
                tally,
                start,
                self._client.fastest_reply_since(mark),
                self._interval,
                self._client.retries_since(mark),
            )
        finally:
            self._observe_usage()
            self._running_since = None
            self._last_start = start
            self._last_end = self._clock.now()
            self._publish()

    async def _discover(self, force: bool = False) -> None:
        """Who-am-I (once), the job listing, and the names of new creators. A refresh the
        user asked for (``force``) reads the pages that can hold new jobs whatever the budget
        says (one a listing); a full pass still waits for the budget."""
        if self._users.needs_identity and self._allow("names", 1):
            before = self._client.requests_reached
            try:
                await self._users.load_identity(self._client)
            finally:
                self._spent("names", self._client.requests_reached - before)
        before = self._client.requests_reached
        try:
            listing = await self._lister.read(
                lambda n: (force and n <= LISTINGS) or self._allow("list", n),
                lambda job_id: job_id in self._book.tracks,
            )
        finally:
            self._spent("list", self._client.requests_reached - before)
        if listing is None:
            return  # the budget says wait: live jobs are still read below
        rows = listing.rows
        self._book.apply_listing(rows, complete=listing.complete)
        self._source, self._source_as_of = "live", None
        self._publish()  # the table fills before any per-job GET
        wanted = self._users.wanted(rows)
        if wanted and self._allow("names", 1):
            before = self._client.requests_reached
            try:
                await self._users.resolve(self._client, wanted)
            finally:
                self._spent("names", self._client.requests_reached - before)

    async def _read_due(self, force: bool, tally: Tally) -> None:
        """The live jobs that are due, then back-fill for visible rows as the budget allows."""
        todo = plan(
            self._book.tracks.values(),
            cycle=self._cycle_no,
            force=force,
            selected=self._selected,
            backfill=self._config.backfill_per_cycle,
            visible=self._visible,
            allow=self._allow_backfill,
        )
        self._backlog = todo.left if todo.backfill else 0
        before = self._client.requests_reached
        try:
            await self._read_many(todo.ids, tally)
        finally:
            # Every request that reached a server is spent (a retry, or a kind looked up,
            # too): the back-fill its share, the live jobs the rest.
            reached = self._client.requests_reached - before
            backfill = min(len(todo.backfill), reached)
            self._spent("backfill", backfill)
            self._spent("live", reached - backfill)

    async def _read_many(self, ids: list[str], tally: Tally) -> None:
        await self._reader.read_many(
            ids,
            tally,
            concurrency=self._config.concurrency,
            cycle=self._cycle_no,
            ceiling=self._ceiling(),
            stop=lambda: self._paused,
            progress=self._publish,
        )

    async def _read_selected(self, force: bool, tally: Tally) -> None:
        job_id = self._selected
        self._selection_dirty = False  # served now; a select() during the awaits sets it again
        if job_id is None:
            return
        before = self._client.requests_reached
        try:
            await self._reader.read_selected(
                job_id, tally, force=force, cycle=self._cycle_no, ceiling=self._ceiling()
            )
        finally:  # the user asked: never held back, always counted
            self._spent("live", self._client.requests_reached - before)

    # ------------------------------------------------------------------------------ snapshots

    def _backfill_candidates(self) -> list[JobTrack]:
        return backfill_candidates(
            self._book.tracks.values(), selected=self._selected, visible=self._visible
        )

    def _observe_usage(self) -> None:
        budget = self._config.budget
        if budget is not None:
            budget.observe_usage(self._client.api_usage)

    def _slowed_words(self) -> str | None:
        """Watching slowly to spare the org's daily limit is said in words in the header."""
        budget = self._config.budget
        return budget.words() if budget is not None and budget.slowed else None

    def _budget_words(self) -> str | None:
        budget = self._config.budget
        return None if budget is None else budget.words()

    @property
    def lister(self) -> Lister:
        """How the listings are read (their learnt order, the last full pass)."""
        return self._lister

    def _allow(self, purpose: str, n: int) -> bool:
        budget = self._config.budget
        return budget is None or budget.allow(purpose, n)

    def _allow_backfill(self, n: int) -> bool:
        return self._allow("backfill", n)

    def _spent(self, purpose: str, n: int) -> None:
        budget = self._config.budget
        if budget is not None and n > 0:
            budget.spent(purpose, n)

    def _link_state(self) -> LinkState:
        return self._link.effective(
            self._paused, self._running_since, self._interval, self._retrying()
        )

    def _problem(self) -> str | None:
        return self._link.current_problem(self._running_since, self._interval, self._retrying())

    def _retrying(self) -> tuple[int, str | None]:
        """Failed attempts of the request work running now, and the last reason."""
        mark = self._busy_mark
        return (0, None) if mark is None else self._client.retries_since(mark)

    @contextlib.asynccontextmanager
    async def _busy(self) -> AsyncIterator[None]:
        """The poller's lock, held while it sends requests. A retry of any of them (a dead
        network refuses each attempt at once; five attempts and their pauses take seconds)
        shows in ``status`` while it happens, not only when the work gives up."""
        async with self._lock:
            self._busy_mark = self._client.requests_sent
            try:
                yield
            finally:
                self._busy_mark = None

    def _ceiling(self) -> int:
        by_time = int(self._config.job_backoff_seconds // self._interval)
        return max(1, min(self._config.job_backoff_cycles, by_time))

    def _requests(self) -> int:
        return self._client.requests_reached - self._requests_base

    def _build(self) -> Snapshot:
        selected = self._selected
        partial = self._partial and self._source == "journal"
        return Snapshot(
            jobs=self._book.views(),
            link=self._link_state(),
            fetched_at=self._link.fetched_at,
            selected_job_id=selected,
            batches=self._reader.batches(selected),
            problem=None if self._paused else self._problem(),
            api_usage=self._client.api_usage,
            identity=self._users.identity,
            user_names=self._users.names,
            cycle=self._cycle_no,
            requests=self._requests(),
            source=self._source,
            source_as_of=self._source_as_of,
            partial=partial,
            preview=self._preview if partial else None,
        )

    def _publish(self) -> None:
        """Build a snapshot and hand it on only if something a user can see changed."""
        snapshot = self._build()
        key = (
            self._book.version,
            self._users.version,
            snapshot.link,
            snapshot.problem,
            snapshot.selected_job_id,
            snapshot.batches,
            snapshot.identity,
            snapshot.source,
            snapshot.partial,
            snapshot.preview,
        )
        if not self._publisher.same_as_last(key):
            self._publisher.publish(snapshot, key)
