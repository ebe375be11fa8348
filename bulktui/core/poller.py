"""The polling worker: discovers jobs, decides what is worth an API call, publishes snapshots.

Every HTTP request counts against the org's daily API limit (reference §4.3), so each cycle
spends: the job-list pages, one GET per job that can still change and is due (per-job
back-off while nothing moves), the selected job's JobInfo and batch list, and one-off GETs for
jobs never seen in full (their counts; a budget per cycle keeps a launch from bursting).

Cycles never overlap: ``run()`` awaits each cycle before scheduling the next, and per-job GETs
go through a small worker pool. All time comes from the injected clock and sleep, so tests
drive cycles deterministically with ``await poller.cycle()`` or a fake sleep.

Thread model: call every method from the event loop that runs ``run()`` (a Textual async
worker shares the app's loop). ``on_snapshot`` is called synchronously in that loop and must
be cheap (post a message).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TypeVar

from bulktui.api.errors import BulkError
from bulktui.api.ids import InvalidIdError
from bulktui.api.lifecycle import JobKind, is_live, kind_of
from bulktui.api.models import BatchInfo, Identity, JobInfo
from bulktui.core.clock import Clock, Sleep, SystemClock, real_sleep, seconds_between
from bulktui.core.faults import FaultKind, classify, describe, is_missing_job, problem_text
from bulktui.core.ports import PollingClient
from bulktui.core.snapshot import JobView, LinkState, PollStatus, Snapshot
from bulktui.core.tracking import JobTrack

log = logging.getLogger(__name__)
_T = TypeVar("_T")

MIN_INTERVAL = 1.0
MAX_INTERVAL = 3600.0


class _Fatal(Exception):
    """Carries a quota or authentication error out of the worker pool: the cycle stops."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(slots=True)
class _Tally:
    attempted: int = 0
    failed: int = 0
    last_error: BaseException | None = None

    def fail(self, error: BaseException) -> None:
        self.failed += 1
        self.last_error = error


class Poller:
    def __init__(
        self,
        client: PollingClient,
        *,
        clock: Clock | None = None,
        interval: float = 5.0,
        on_snapshot: Callable[[Snapshot], None] | None = None,
        sleep: Sleep = real_sleep,
        concurrency: int = 4,
        job_backoff_cycles: int = 12,
        job_backoff_seconds: float = 60.0,
        fault_backoff_max: float = 60.0,
        stale_after_failures: int = 3,
        stale_after_seconds: float = 60.0,
        quota_probe_seconds: float = 300.0,
        auth_retry_seconds: float = 300.0,
        backfill_per_cycle: int = 250,
        select_delay: float = 0.2,
        batch_cache_size: int = 32,
        slow_reply_seconds: float = 2.0,
    ) -> None:
        self._client = client
        self._clock: Clock = clock or SystemClock()
        self._interval = _clamp_interval(interval)
        self._on_snapshot = on_snapshot
        self._sleep = sleep
        self._concurrency = max(1, concurrency)
        self._job_backoff_cycles = max(1, job_backoff_cycles)
        self._job_backoff_seconds = job_backoff_seconds
        self._fault_backoff_max = fault_backoff_max
        self._stale_after_failures = stale_after_failures
        self._stale_after_seconds = stale_after_seconds
        self._quota_probe = quota_probe_seconds
        self._auth_retry = auth_retry_seconds
        self._backfill = max(1, backfill_per_cycle)
        self._backlog = 0  # jobs never fetched in full, left over by the last plan
        self._backlog_ok = True  # False after a failed round, until a clean cycle
        self._select_delay = select_delay
        self._batch_cache_size = max(1, batch_cache_size)
        self._slow_reply = slow_reply_seconds

        self._tracks: dict[str, JobTrack] = {}
        self._views: dict[str, JobView] = {}
        self._touched: set[str] = set()
        self._jobs_version = 0
        self._selected: str | None = None
        self._batch_cache: OrderedDict[str, tuple[BatchInfo, ...]] = OrderedDict()
        self._identity: Identity | None = None
        self._identity_refused = False
        self._names: dict[str, str] = {}
        self._names_tried: set[str] = set()
        self._names_version = 0

        self._cycle_no = 0
        self._link = LinkState.LIVE
        self._problem: str | None = None
        self._fetched_at: datetime | None = None
        self._failures = 0  # consecutive failed cycles
        self._fault_delay: float | None = None  # overrides the interval while failing
        self._last_start: datetime | None = None
        self._last_end: datetime | None = None
        self._own_requests = 0
        self._requests_base = _requests_sent(client)

        self._paused = False
        self._force = False
        self._selection_dirty = False
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._last: Snapshot | None = None
        self._published_key: tuple[object, ...] | None = None

    # ----------------------------------------------------------------------- public controls

    @property
    def interval(self) -> float:
        return self._interval

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def selected_job_id(self) -> str | None:
        return self._selected

    @property
    def snapshot(self) -> Snapshot:
        """The latest published snapshot (built now if none was published yet)."""
        return self._last or self._build()

    @property
    def status(self) -> PollStatus:
        return PollStatus(
            link=self._effective_link(),
            fetched_at=self._fetched_at,
            problem=self._problem,
            api_usage=self._client.api_usage,
            cycle=self._cycle_no,
            requests=self._requests(),
            next_cycle_at=None if self._paused else self.next_cycle_at(),
        )

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
        self._interval = _clamp_interval(seconds)
        self._wake.set()  # reschedule the pending wait
        return self._interval

    def invalidate(self, job_id: str) -> None:
        """Fetch this job again next cycle (after close, abort or create)."""
        track = self._track(job_id)
        track.invalidated = True
        track.level = 0
        track.unreadable = None

    def observe(self, job: JobInfo) -> None:
        """Take a JobInfo an action returned (close/abort/create) and publish it at once."""
        track = self._track(job.id)
        if track.note_detail(job, self._clock.now(), self._cycle_no, self._ceiling()):
            self._touched.add(job.id)
        self._publish()

    def next_cycle_at(self) -> datetime:
        if self._last_start is None or self._last_end is None:
            return self._clock.now()
        delay = self._fault_delay if self._fault_delay is not None else self._interval
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
            if self._force or self._clock.now() >= self.next_cycle_at():
                force, self._force = self._force, False
                await self.cycle(force=force)
                continue
            if self._selection_dirty:
                self._selection_dirty = False
                if self._select_delay > 0:
                    await self._sleep(self._select_delay)  # let a fast-moving cursor settle
                await self.fetch_selection()
                continue
            if self._backlog and self._backlog_ok and self._fault_delay is None:
                # Jobs never fetched in full remain after the cycle's budget: fill their counts
                # now rather than a budget per interval, so the table completes in seconds.
                # Cycles keep priority: each round is short and the loop checks them first.
                await self.fill_backlog()
                continue
            remaining = seconds_between(self._clock.now(), self.next_cycle_at())
            if await self._wait(remaining):
                # The sleep ran out: the cycle is due even if the clock lags the sleep.
                self._force_due()

    async def cycle(self, *, force: bool = False) -> None:
        """One full cycle. Public so tests and benchmarks can step the poller by hand."""
        async with self._lock:
            if self._paused:
                return
            await self._cycle(force)

    async def fill_backlog(self) -> None:
        """GET the next round of jobs never fetched in full (their counts), between cycles."""
        async with self._lock:
            if self._paused:
                return
            unknown = self._unknown()
            tally = _Tally()
            try:
                await self._fetch_jobs([t.id for t in unknown[: self._backfill]], tally)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the next cycle reports and backs off
                log.info("filling job counts failed: %s", describe(error))
                self._backlog_ok = False
            if tally.failed:
                self._backlog_ok = False
            self._backlog = len(self._unknown())
            self._publish()

    async def fetch_selection(self) -> None:
        """Fetch just the selected job (and its batches) if that is needed; between cycles."""
        async with self._lock:
            if self._paused or self._selected is None:
                return
            try:
                await self._fetch_selected(force=False, tally=_Tally())
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

    def _force_due(self) -> None:
        self._last_start = self._last_end = None

    # ----------------------------------------------------------------------------- a cycle

    async def _cycle(self, force: bool) -> None:
        self._cycle_no += 1
        start = self._clock.now()
        mark = _requests_sent(self._client)
        tally = _Tally()
        try:
            await self._load_identity()
            rows = await self._call(self._client.list_jobs())
            self._apply_listing(rows)
            self._publish()  # the table fills before any per-job GET
            await self._resolve_names(rows)
            if self._selected is not None:
                await self._fetch_selected(force, tally)
                self._publish()
            await self._fetch_jobs(self._plan(force), tally)
        except asyncio.CancelledError:
            raise
        except _Fatal as fatal:
            self._cycle_failed(fatal.error)
        except Exception as error:
            if classify(error) is FaultKind.OTHER and not _is_bulk_error(error):
                log.exception("poller cycle %d crashed; carrying on", self._cycle_no)
            self._cycle_failed(error)
        else:
            self._cycle_succeeded(tally, start, mark)
        finally:
            self._last_start = start
            self._last_end = self._clock.now()
            self._publish()

    def _cycle_succeeded(self, tally: _Tally, start: datetime, mark: int | None) -> None:
        # The data is at least as fresh as the cycle's start; on a slow link the job list is
        # seconds older than the cycle's end, and the header's age must not flatter it.
        self._fetched_at = start
        self._failures = 0
        self._fault_delay = None
        self._backlog_ok = not tally.failed
        fastest = _fastest_reply(self._client, mark)
        if tally.failed and tally.last_error is not None:
            self._link = LinkState.DEGRADED
            self._problem = (
                f"{tally.failed} of {tally.attempted} job requests failed "
                f"({describe(tally.last_error)}); they are retried next cycle."
            )
        elif fastest is not None and fastest >= self._slow_reply:
            took = seconds_between(start, self._clock.now())
            self._link = LinkState.DEGRADED
            self._problem = (
                f"Salesforce is answering slowly: the quickest request took {fastest:.0f} s "
                f"and this refresh {took:.0f} s."
            )
        else:
            self._link = LinkState.LIVE
            self._problem = None

    def _cycle_failed(self, error: BaseException) -> None:
        kind = classify(error)
        self._failures += 1
        if kind is FaultKind.QUOTA:
            delay = self._quota_probe
        elif kind is FaultKind.AUTH:
            delay = self._auth_retry
        else:
            delay = min(
                self._interval * 2**self._failures, max(self._fault_backoff_max, self._interval)
            )
        self._fault_delay = delay
        age = (
            seconds_between(self._fetched_at, self._clock.now())
            if self._fetched_at is not None
            else None
        )
        stale = (
            kind is FaultKind.AUTH
            or self._failures >= self._stale_after_failures
            or (age is not None and age >= self._stale_after_seconds)
        )
        self._link = LinkState.STALE if stale else LinkState.DEGRADED
        self._problem = problem_text(kind, error, delay)
        log.warning("poller cycle %d failed: %s", self._cycle_no, describe(error))

    # ----------------------------------------------------------------------------- discovery

    async def _load_identity(self) -> None:
        if self._identity is not None or self._identity_refused:
            return
        try:
            self._identity = await self._call(self._client.whoami())
        except Exception as error:
            kind = classify(error)
            if kind in (FaultKind.QUOTA, FaultKind.AUTH):
                raise _Fatal(error) from error
            if kind is FaultKind.OTHER:
                self._identity_refused = True  # e.g. no access to userinfo: do without
            log.info("who-am-I failed: %s", describe(error))
            return
        identity = self._identity
        if identity.user_id not in self._names and identity.display_name:
            self._names[identity.user_id] = identity.display_name
            self._names_version += 1

    def _apply_listing(self, rows: Iterable[JobInfo]) -> None:
        seen: set[str] = set()
        for row in rows:
            seen.add(row.id)
            track = self._tracks.get(row.id)
            if track is None:
                track = self._tracks[row.id] = JobTrack(row.id)
            old = track.row
            # Only state and stamp move on a listed job; comparing them is cheaper than rows.
            if (
                old is None
                or old.state != row.state
                or old.system_modstamp != row.system_modstamp
                or not track.listed
                or track.purged
            ):
                track.note_row(row)
                self._touched.add(row.id)
        for job_id, track in self._tracks.items():
            # Only a job seen in an earlier complete listing can be declared purged: a job
            # just created by an action may not be listed yet.
            if track.listed and not track.purged and job_id not in seen:
                track.purged = True
                track.throughput = None
                self._touched.add(job_id)

    async def _resolve_names(self, rows: Iterable[JobInfo]) -> None:
        wanted = sorted(
            {r.created_by_id for r in rows if r.created_by_id}
            - self._names.keys()
            - self._names_tried
        )
        if not wanted:
            return
        try:
            names = await self._call(self._client.user_names(wanted))
        except Exception as error:
            kind = classify(error)
            if kind in (FaultKind.QUOTA, FaultKind.AUTH):
                raise _Fatal(error) from error
            if kind is FaultKind.OTHER:
                self._names_tried.update(wanted)  # refused for good: show ids
            log.info("user names failed: %s", describe(error))
            return
        self._names_tried.update(wanted)  # ids the server did not name stay ids, unasked
        self._names.update(names)
        self._names_version += 1

    # -------------------------------------------------------------------------------- fetches

    def _plan(self, force: bool) -> list[str]:
        """Job ids to GET this cycle, most useful first; the selected job is done apart."""
        known: list[JobTrack] = []
        unknown: list[JobTrack] = []
        for track in self._tracks.values():
            if track.id == self._selected or not track.wants_fetch(self._cycle_no, force=force):
                continue
            (known if track.invalidated or track.has_detail else unknown).append(track)
        # Never-fetched jobs: live ones first, then newest first; at most a budget per cycle.
        unknown.sort(key=_backfill_order)
        known.extend(unknown[: self._backfill])
        self._backlog = max(0, len(unknown) - self._backfill)
        return [t.id for t in known]

    def _unknown(self) -> list[JobTrack]:
        """Jobs never fetched in full that a GET could fill, in back-fill order."""
        unknown = [
            t
            for t in self._tracks.values()
            if not t.has_detail and not t.purged and t.unreadable is None and t.id != self._selected
        ]
        unknown.sort(key=_backfill_order)
        return unknown

    async def _fetch_jobs(self, ids: list[str], tally: _Tally) -> None:
        queue = deque(ids)
        fatal: list[BaseException] = []
        done = 0

        async def worker() -> None:
            nonlocal done
            while queue and not fatal and not self._paused:
                job_id = queue.popleft()
                try:
                    await self._fetch_job(job_id, tally)
                except _Fatal as error:
                    fatal.append(error.error)
                done += 1
                if done % 100 == 0:
                    self._publish()  # a long back-fill shows progress

        await asyncio.gather(*(worker() for _ in range(min(self._concurrency, len(queue)))))
        if fatal:
            raise _Fatal(fatal[0])

    async def _fetch_job(self, job_id: str, tally: _Tally) -> bool:
        """GET one job; returns False if it failed. Raises _Fatal on quota/auth errors."""
        track = self._tracks[job_id]
        tally.attempted += 1
        try:
            job = await self._call(self._client.get_job(job_id))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._job_failed(track, error, tally)
            return False
        if track.note_detail(job, self._clock.now(), self._cycle_no, self._ceiling()):
            self._touched.add(job_id)
        return True

    def _job_failed(self, track: JobTrack, error: BaseException, tally: _Tally) -> None:
        kind = classify(error)
        if kind in (FaultKind.QUOTA, FaultKind.AUTH):
            raise _Fatal(error) from error
        if is_missing_job(error):
            track.purged = True  # gone from the server: the list will agree shortly
            track.throughput = None
        elif kind is FaultKind.OTHER:
            if not _is_bulk_error(error):
                log.exception("unexpected error fetching job %s", track.id)
                tally.fail(error)
                return
            track.unreadable = describe(error)  # e.g. InvalidUser: retrying won't help
        else:
            track.invalidated = True  # retry next cycle, whatever the back-off said
            tally.fail(error)
            return
        self._touched.add(track.id)

    async def _fetch_selected(self, force: bool, tally: _Tally) -> None:
        job_id = self._selected
        self._selection_dirty = False  # served now; a select() during the awaits sets it again
        if job_id is None:
            return
        track = self._track(job_id)
        if track.purged or track.unreadable is not None:
            return
        moving = force or track.invalidated or not track.has_detail or track.can_change
        if moving and not await self._fetch_job(job_id, tally):
            return
        if not _has_batches(track.job) or (not moving and job_id in self._batch_cache):
            return
        tally.attempted += 1
        try:
            batches = await self._call(self._client.list_batches(job_id))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._job_failed(track, error, tally)
            return
        self._batch_cache[job_id] = batches
        self._batch_cache.move_to_end(job_id)
        while len(self._batch_cache) > self._batch_cache_size:
            self._batch_cache.popitem(last=False)

    async def _call(self, awaitable: Awaitable[_T]) -> _T:
        """Await one client call; counts it when the client keeps no request counter."""
        self._own_requests += 1
        return await awaitable

    # ------------------------------------------------------------------------------ snapshots

    def _track(self, job_id: str) -> JobTrack:
        track = self._tracks.get(job_id)
        if track is None:
            track = self._tracks[job_id] = JobTrack(job_id)
            self._touched.add(job_id)
        return track

    def _ceiling(self) -> int:
        by_time = int(self._job_backoff_seconds // self._interval)
        return max(1, min(self._job_backoff_cycles, by_time))

    def _effective_link(self) -> LinkState:
        if self._paused:
            return LinkState.PAUSED
        if self._link is LinkState.DEGRADED and self._fetched_at is not None:
            # A slow retry (quota probe) can leave "degraded" up for minutes: age decides too.
            age = seconds_between(self._fetched_at, self._clock.now())
            if age >= self._stale_after_seconds:
                return LinkState.STALE
        return self._link

    def _requests(self) -> int:
        sent = _requests_sent(self._client)
        if sent is None or self._requests_base is None:
            return self._own_requests
        return sent - self._requests_base

    def _refresh_views(self) -> None:
        for job_id in self._touched:
            track = self._tracks.get(job_id)
            if track is None:
                continue
            # A track made only by select()/invalidate() has no data yet: nothing to show.
            if track.row is None and track.detail is None:
                continue
            view = track.make_view()
            if view != self._views.get(job_id):
                self._views[job_id] = view
                self._jobs_version += 1
        self._touched.clear()

    def _build(self) -> Snapshot:
        self._refresh_views()
        last = self._last
        jobs: Mapping[str, JobView] = (
            last.jobs
            if last is not None
            and self._published_key is not None
            and self._published_key[0] == self._jobs_version
            else MappingProxyType(dict(self._views))
        )
        names: Mapping[str, str] = (
            last.user_names
            if last is not None
            and self._published_key is not None
            and self._published_key[1] == self._names_version
            else MappingProxyType(dict(self._names))
        )
        selected = self._selected
        return Snapshot(
            jobs=jobs,
            link=self._effective_link(),
            fetched_at=self._fetched_at,
            selected_job_id=selected,
            batches=self._batch_cache.get(selected) if selected is not None else None,
            problem=None if self._paused else self._problem,
            api_usage=self._client.api_usage,
            identity=self._identity,
            user_names=names,
            cycle=self._cycle_no,
            requests=self._requests(),
        )

    def _publish(self) -> None:
        """Build a snapshot and hand it on only if something a user can see changed."""
        snapshot = self._build()
        key = (
            self._jobs_version,
            self._names_version,
            snapshot.link,
            snapshot.problem,
            snapshot.selected_job_id,
            snapshot.batches,
            snapshot.identity,
        )
        if key == self._published_key:
            return
        self._published_key = key
        self._last = snapshot
        if self._on_snapshot is not None:
            try:
                self._on_snapshot(snapshot)
            except Exception:  # a broken listener must not stop polling
                log.exception("on_snapshot listener failed")


# ---------------------------------------------------------------------------------- helpers


def _clamp_interval(seconds: float) -> float:
    return min(MAX_INTERVAL, max(MIN_INTERVAL, float(seconds)))


def _requests_sent(client: object) -> int | None:
    value = getattr(client, "requests_sent", None)
    return value if isinstance(value, int) else None


def _fastest_reply(client: object, mark: int | None) -> float | None:
    """The quickest answer since ``mark``, from clients that time their requests."""
    method = getattr(client, "fastest_reply_since", None)
    if mark is None or not callable(method):
        return None
    value = method(mark)
    return float(value) if isinstance(value, int | float) else None


def _is_bulk_error(error: BaseException) -> bool:
    """An error the API layer raises on purpose (as opposed to a bug)."""
    return isinstance(error, BulkError | InvalidIdError)


def _has_batches(job: JobInfo) -> bool:
    """Only Bulk 1.0 ("Classic") jobs have a batch list; 2.0 jobs hide their batches."""
    return kind_of(job) is JobKind.V1


def _backfill_order(track: JobTrack) -> tuple[int, float]:
    job = track.job
    live = 0 if is_live(job) else 1
    created = job.created_date.timestamp() if job.created_date is not None else 0.0
    return (live, -created)
