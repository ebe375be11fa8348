"""What a launch costs: a journal's preload, back-fill only for visible rows, and a budget."""

from __future__ import annotations

from collections import Counter

from bulktui.api.enums import JobState
from bulktui.core.config import PollerConfig
from bulktui.core.poller import Poller
from bulktui.core.snapshot import Snapshot

from .fakes import T0, FakeClient, ManualClock, job, job_id, row_of


def make(client: FakeClient, **kw: object) -> tuple[Poller, ManualClock, list[Snapshot]]:
    clock = ManualClock()
    published: list[Snapshot] = []
    poller = Poller(client, PollerConfig(**kw), clock=clock)  # type: ignore[arg-type]
    poller.add_listener(published.append)
    return poller, clock, published


async def step(poller: Poller, clock: ManualClock, n: int = 1) -> None:
    for _ in range(n):
        await poller.cycle()
        clock.advance(5.0)


class Budget:
    def __init__(self, backfill: int) -> None:
        self.backfill = backfill
        self.asked: Counter[str] = Counter()
        self.spent_on: Counter[str] = Counter()

    def allow(self, purpose: str, n: int) -> bool:
        self.asked[purpose] += 1
        return purpose != "backfill" or n <= self.backfill

    def spent(self, purpose: str, n: int) -> None:
        self.spent_on[purpose] += n
        if purpose == "backfill":
            self.backfill -= n

    def observe_usage(self, usage: object) -> None:
        self.usage = usage

    def words(self) -> str:
        return f"spent {sum(self.spent_on.values())}"

    def compact(self, *, short: bool = False) -> str:
        return self.words()

    @property
    def slowed(self) -> bool:
        return False


async def test_preloaded_ended_jobs_are_never_read_and_the_first_snapshot_says_journal() -> None:
    ended = [job(n) for n in range(1, 51)]
    live = job(99, JobState.OPEN, queued=1)
    client = FakeClient([*ended, live])
    poller, clock, published = make(client)
    as_of = T0.replace(hour=8)
    poller.preload([*ended, row_of(live)], as_of)
    first = published[0]
    assert first.source == "journal" and first.source_as_of == as_of
    assert len(first.jobs) == 51 and poller.status.source == "journal"
    assert first.jobs[job_id(99)].loading and not first.jobs[job_id(1)].loading
    await step(poller, clock, 5)
    assert sum(client.gets.values()) == client.gets[job_id(99)] > 0  # only the live job
    assert poller.snapshot.source == "live" and poller.status.source_as_of is None


async def test_a_preloaded_job_the_server_has_moved_on_is_read_again() -> None:
    old = job(1, JobState.CLOSED, queued=1, total=2)
    client = FakeClient([old])
    client.update(
        1, state=JobState.ABORTED, number_batches_queued=0, system_modstamp=T0.replace(hour=10)
    )
    poller, clock, _ = make(client)
    poller.preload([old], T0)
    await step(poller, clock)
    assert client.gets[job_id(1)] == 1
    assert poller.snapshot.jobs[job_id(1)].job.state is JobState.ABORTED


async def test_a_preloaded_job_gone_from_the_listing_is_confirmed_then_purged() -> None:
    client = FakeClient([job(1)])
    poller, clock, _ = make(client)
    poller.preload([job(1), job(2)], T0)
    await step(poller, clock, 2)
    assert poller.snapshot.jobs[job_id(2)].purged and not poller.snapshot.jobs[job_id(1)].purged
    assert client.gets == {job_id(2): 1}


async def test_backfill_only_for_visible_rows_newest_first_and_bounded() -> None:
    client = FakeClient([job(n) for n in range(1, 1001)] + [job(5000, JobState.OPEN, queued=1)])
    poller, clock, _ = make(client, backfill_per_cycle=10)
    poller.set_visible(job_id(n) for n in range(1, 31))  # the first screenful
    await step(poller, clock)
    assert client.gets[job_id(5000)] == 1  # live: read wherever it is
    read = {i for i in client.gets if i != job_id(5000)}
    assert read == {job_id(n) for n in range(1, 11)}  # newest first (job 1 is the newest)
    await step(poller, clock, 5)
    assert {i for i in client.gets if i != job_id(5000)} == {job_id(n) for n in range(1, 31)}
    poller.set_visible([job_id(500)])
    await step(poller, clock)
    assert client.gets[job_id(500)] == 1
    assert sum(1 for i in client.gets if i != job_id(5000)) == 31  # never a burst


async def test_a_job_new_in_this_session_is_read_even_when_not_visible() -> None:
    client = FakeClient([job(1)])
    poller, clock, _ = make(client)
    poller.set_visible([])
    await step(poller, clock)
    assert client.gets[job_id(1)] == 0
    client.jobs[job_id(2)] = job(2, JobState.CLOSED)
    await step(poller, clock)
    assert client.gets[job_id(2)] == 1 and client.gets[job_id(1)] == 0


async def test_the_budget_holds_back_backfill_but_never_live_jobs() -> None:
    budget = Budget(backfill=3)
    client = FakeClient([job(n) for n in range(1, 21)] + [job(99, JobState.OPEN, queued=1)])
    poller, clock, _ = make(client, budget=budget)
    for n in range(5):
        client.update(99, number_records_processed=n + 1)
        await step(poller, clock)
    assert client.gets[job_id(99)] == 5  # every cycle
    assert sum(v for k, v in client.gets.items() if k != job_id(99)) == 3
    assert budget.spent_on["backfill"] == 3 and budget.spent_on["live"] >= 5
    assert budget.spent_on["list"] == 5 and budget.spent_on["names"] >= 1
    assert "live" not in budget.asked  # never asked: live reads are not held back
