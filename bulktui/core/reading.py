"""Reading jobs: per-job GETs through a small worker pool, and the selected job's batches.

What each answer means for the job is decided here: a missing job, a job the user may not
read, a transient failure (retried next cycle). Quota and authentication errors stop the
whole round (``FatalFault``): the cycle reports them.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from collections.abc import Callable

from bulktui.api.lifecycle import JobKind, kind_of
from bulktui.api.models import BatchInfo, JobInfo
from bulktui.core.clock import Clock
from bulktui.core.faults import (
    FatalFault,
    FaultKind,
    classify,
    describe,
    is_bulk_error,
    is_missing_job,
)
from bulktui.core.link import Tally
from bulktui.core.ports import PollingClient
from bulktui.core.tracking import JobBook, JobTrack

log = logging.getLogger(__name__)


class JobReader:
    def __init__(
        self, client: PollingClient, book: JobBook, clock: Clock, *, batch_cache_size: int
    ) -> None:
        self._client = client
        self._book = book
        self._clock = clock
        self._batches: OrderedDict[str, tuple[BatchInfo, ...]] = OrderedDict()
        self._batch_cache_size = batch_cache_size

    def batches(self, job_id: str | None) -> tuple[BatchInfo, ...] | None:
        return self._batches.get(job_id) if job_id is not None else None

    async def read_many(
        self,
        ids: list[str],
        tally: Tally,
        *,
        concurrency: int,
        cycle: int,
        ceiling: int,
        stop: Callable[[], bool],
        progress: Callable[[], None],
    ) -> None:
        """GET these jobs, ``concurrency`` at a time, until done or ``stop()`` says so."""
        queue = deque(ids)
        fatal: list[BaseException] = []
        done = 0

        async def worker() -> None:
            nonlocal done
            while queue and not fatal and not stop():
                job_id = queue.popleft()
                try:
                    await self.read(job_id, tally, cycle=cycle, ceiling=ceiling)
                except FatalFault as error:
                    fatal.append(error.error)
                done += 1
                if done % 100 == 0:
                    progress()  # a long back-fill shows progress

        await asyncio.gather(*(worker() for _ in range(min(concurrency, len(queue)))))
        if fatal:
            raise FatalFault(fatal[0])

    async def read(self, job_id: str, tally: Tally, *, cycle: int, ceiling: int) -> bool:
        """GET one job; False if that failed. Raises FatalFault on quota/auth errors."""
        track = self._book.track(job_id)
        tally.attempted += 1
        # The kind from the list row (jobType) picks the endpoint; None lets the client find it.
        kind = kind_of(track.job) if track.row is not None or track.detail is not None else None
        try:
            job = await self._client.get_job(job_id, kind)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._failed(track, error, tally)
            return False
        if track.note_detail(job, self._clock.now(), cycle, ceiling):
            self._book.touch(job_id)
        return True

    async def read_selected(
        self, job_id: str, tally: Tally, *, force: bool, cycle: int, ceiling: int
    ) -> None:
        """The selected job's JobInfo and batch list while it can change; once when ended."""
        track = self._book.track(job_id)
        if not track.readable:
            return
        moving = force or track.invalidated or not track.has_detail or track.can_change
        if moving and not await self.read(job_id, tally, cycle=cycle, ceiling=ceiling):
            return
        if not _has_batches(track.job) or (not moving and job_id in self._batches):
            return
        tally.attempted += 1
        try:
            batches = await self._client.list_batches(job_id)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self._failed(track, error, tally)
            return
        self._batches[job_id] = batches
        self._batches.move_to_end(job_id)
        while len(self._batches) > self._batch_cache_size:
            self._batches.popitem(last=False)

    def _failed(self, track: JobTrack, error: BaseException, tally: Tally) -> None:
        kind = classify(error)
        if kind in (FaultKind.QUOTA, FaultKind.AUTH):
            raise FatalFault(error) from error
        if is_missing_job(error):
            self._book.missing(track)
            return
        if kind is FaultKind.OTHER:
            if not is_bulk_error(error):
                log.exception("unexpected error fetching job %s", track.id)
                tally.fail(error)
                return
            track.unreadable = describe(error)  # e.g. InvalidUser: retrying won't help
        else:
            track.invalidated = True  # retry next cycle, whatever the back-off said
            tally.fail(error)
            return
        self._book.touch(track.id)


def _has_batches(job: JobInfo) -> bool:
    """Only Bulk 1.0 jobs have a batch list; 2.0 jobs hide their batches."""
    return kind_of(job) is JobKind.V1
