"""``Poller.run()``: wake-ups, pause, interval changes, selection between cycles, bounded
concurrency and cancellation. The sleep is a gate the test opens, so nothing waits for real."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from bulktui.api.enums import JobState
from bulktui.api.errors import TransportError
from bulktui.api.lifecycle import JobKind
from bulktui.api.models import JobInfo
from bulktui.core.config import PollerConfig
from bulktui.core.poller import Poller
from bulktui.core.snapshot import LinkState

from .fakes import FakeClient, ManualClock, job, job_id


class Gate:
    """A sleep that records what was asked and returns only when the test opens it."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.asked: list[float] = []
        self.waiting = asyncio.Event()
        self._open = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        self.waiting.set()
        await self._open.wait()
        self._open.clear()
        self.clock.advance(seconds)

    async def parked(self) -> None:
        """Until the poller sits in a sleep (or a wake-up wait)."""
        await asyncio.wait_for(self.waiting.wait(), 2)
        self.waiting.clear()
        for _ in range(5):
            await asyncio.sleep(0)

    def open(self) -> None:
        self._open.set()


@pytest.fixture
async def loop() -> AsyncIterator[tuple[Poller, FakeClient, Gate]]:
    client = FakeClient([job(1), job(2, JobState.OPEN, queued=1)])
    clock = ManualClock()
    gate = Gate(clock)
    poller = Poller(client, PollerConfig(select_delay=0), clock=clock, sleep=gate.sleep)
    task = asyncio.create_task(poller.run())
    yield poller, client, gate
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_cycles_follow_the_interval(loop: tuple[Poller, FakeClient, Gate]) -> None:
    _poller, client, gate = loop
    await gate.parked()
    assert client.calls["list_jobs"] == 1 and gate.asked == [5.0]
    gate.open()
    await gate.parked()
    assert client.calls["list_jobs"] == 2


async def test_refresh_now_runs_a_cycle_at_once(loop: tuple[Poller, FakeClient, Gate]) -> None:
    poller, client, gate = loop
    await gate.parked()
    poller.refresh_now()
    await gate.parked()
    assert client.calls["list_jobs"] == 2  # without the sleep having ended


async def test_set_interval_reschedules(loop: tuple[Poller, FakeClient, Gate]) -> None:
    poller, _client, gate = loop
    await gate.parked()
    assert poller.set_interval(30) == 30
    await gate.parked()
    assert gate.asked[-1] == 30.0
    assert poller.set_interval(0.01) == 1.0  # clamped


async def test_pause_stops_requests_and_resume_refreshes(
    loop: tuple[Poller, FakeClient, Gate],
) -> None:
    poller, client, gate = loop
    await gate.parked()
    poller.pause()
    await settle()
    sent = client.requests_sent
    poller.select(job_id(2))
    poller.refresh_now()
    await settle()
    assert client.requests_sent == sent
    assert poller.status.link is LinkState.PAUSED and poller.status.next_cycle_at is None
    poller.resume()
    await gate.parked()
    assert client.requests_sent > sent and poller.status.link is LinkState.LIVE


async def test_selection_is_fetched_between_cycles(
    loop: tuple[Poller, FakeClient, Gate],
) -> None:
    poller, client, gate = loop
    await gate.parked()
    poller.select(job_id(1))
    await gate.parked()
    assert client.calls["list_jobs"] == 1  # no full cycle for a selection
    assert client.batch_lists[job_id(1)] == 1
    assert poller.snapshot.batches is not None


async def test_per_job_gets_are_bounded_and_cycles_never_overlap() -> None:
    client = SlowClient([job(n, JobState.OPEN, queued=1) for n in range(1, 21)])
    clock = ManualClock()
    poller = Poller(client, PollerConfig(concurrency=4), clock=clock)
    first = asyncio.create_task(poller.cycle())
    second = asyncio.create_task(poller.cycle())  # waits for the first
    await settle()
    assert client.in_flight == 4 and client.calls["list_jobs"] == 1
    client.release.set()
    await asyncio.gather(first, second)
    assert client.peak == 4 and client.calls["list_jobs"] == 2


class SlowClient(FakeClient):
    def __init__(self, jobs: list[JobInfo]) -> None:
        super().__init__(jobs)
        self.release = asyncio.Event()
        self.in_flight = 0
        self.peak = 0

    async def get_job(self, job_id: str, kind: JobKind | None = None) -> JobInfo:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await self.release.wait()
            return await super().get_job(job_id, kind)
        finally:
            self.in_flight -= 1


async def test_counts_are_filled_between_cycles_not_one_budget_per_interval() -> None:
    client = FakeClient([job(n) for n in range(1, 11)])
    clock = ManualClock()
    gate = Gate(clock)
    poller = Poller(client, PollerConfig(backfill_per_cycle=3), clock=clock, sleep=gate.sleep)
    task = asyncio.create_task(poller.run())
    try:
        await gate.parked()
        assert client.calls["list_jobs"] == 1
        assert sum(client.gets.values()) == 10  # 3 in the cycle, then rounds of 3, 3, 1
        assert all(v.detail_at is not None for v in poller.snapshot.jobs.values())
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_failed_fill_round_waits_for_the_next_clean_cycle() -> None:
    client = FakeClient([job(n) for n in range(1, 11)])
    client.fail_get[job_id(5)] = TransportError("reset")
    clock = ManualClock()
    gate = Gate(clock)
    poller = Poller(client, PollerConfig(backfill_per_cycle=3), clock=clock, sleep=gate.sleep)
    task = asyncio.create_task(poller.run())
    try:
        await gate.parked()
        fetched = sum(client.gets.values())
        assert fetched == 6  # 3 in the cycle, 3 in a round that failed once; then it waits
        del client.fail_get[job_id(5)]
        gate.open()
        await gate.parked()
        assert all(v.detail_at is not None for v in poller.snapshot.jobs.values())
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_hung_cycle_makes_the_link_degraded_then_stale_in_words() -> None:
    client = SlowClient([job(1, JobState.OPEN, queued=1)])
    clock = ManualClock()
    poller = Poller(client, PollerConfig(), clock=clock)
    client.release.set()
    await poller.cycle()
    client.release.clear()
    poller.invalidate(job_id(1))
    task = asyncio.create_task(poller.cycle())
    await settle()
    assert client.in_flight == 1 and poller.status.link is LinkState.LIVE
    clock.advance(11)  # two intervals and then some: late
    status = poller.status
    assert status.link is LinkState.DEGRADED
    assert status.problem is not None and "running now has taken 11 s" in status.problem
    clock.advance(60)
    assert poller.status.link is LinkState.STALE
    client.release.set()
    await task
    assert poller.status.link is LinkState.STALE  # its data is as old as its start: 71 s
    assert "running late" in (poller.status.problem or "")
    await poller.cycle()
    assert poller.status.link is LinkState.LIVE and poller.status.problem is None


class TickingClock(ManualClock):
    """A clock that moves on every reading, as a real one does between two calls."""

    def now(self) -> datetime:
        self.advance(0.000_001)
        return super().now()


async def test_the_first_cycle_goes_before_the_selected_job_on_a_real_clock() -> None:
    """At launch the cursor's job is selected before the first cycle. "Due" compared one
    reading of the clock with next_cycle_at(), itself "now" read a moment later: never due,
    so the selected job's reads went first (with a dead network, five attempts before the
    listing even began). A manual clock that stands still hid it."""
    client = FakeClient([job(1), job(2, JobState.OPEN, queued=1)])
    clock = TickingClock()
    gate = Gate(clock)
    poller = Poller(client, PollerConfig(select_delay=0), clock=clock, sleep=gate.sleep)
    poller.select(job_id(2))
    task = asyncio.create_task(poller.run())
    try:
        await gate.parked()
        assert client.order[0] in ("whoami", "list_jobs"), client.order
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
