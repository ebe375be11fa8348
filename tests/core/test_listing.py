"""Listing adapts to the org: the pages that can hold new jobs each cycle, a full pass less
often. On the real emulator (pages of 10 rows, so a small org is many pages)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.models import JobInfo
from bulktui.core.budget import ApiBudget
from bulktui.core.config import PollerConfig
from bulktui.core.listing import Lister, page_order
from bulktui.core.poller import Poller
from bulktui.emulator import Engine, EngineConfig, ManualClock, create_app
from bulktui.emulator.seeding import seed_jobs
from bulktui.emulator.state import Job

URL = "http://127.0.0.1"
LISTS = ("GET /services/data/v{v}/jobs/ingest", "GET /services/data/v{v}/jobs/query")
GET_JOB = "GET /services/async/{v}/job/{jobId}"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def row(n: int, minutes: int) -> JobInfo:
    return JobInfo(id=f"750{n:015d}", created_date=T0 + timedelta(minutes=minutes))


def test_the_order_of_pages_is_learnt_from_their_dates() -> None:
    up = [[row(1, 0), row(2, 1)], [row(3, 1), row(4, 5)], [row(5, 9)]]
    assert page_order(up) == "ascending"
    assert page_order(list(reversed([list(reversed(p)) for p in up]))) == "descending"
    assert page_order([[row(1, 0), row(2, 9)], [row(3, 5)]]) == "unknown"
    assert page_order([[row(1, 3), row(2, 1)]]) == "single"
    assert page_order([[JobInfo(id="750000000000000001")], [JobInfo(id="750000000000000002")]]) == (
        "unknown"
    )


@dataclass
class Org:
    engine: Engine
    clock: ManualClock
    client: BulkClient
    poller: Poller

    def requests(self) -> int:
        return sum(self.engine.stats.values())

    def list_pages(self) -> int:
        return sum(self.engine.stats.get(r, 0) for r in LISTS)

    async def cycle(self, seconds: float = 5.0) -> None:
        await self.poller.cycle()
        self.clock.advance(seconds)

    def new_job(self) -> Job:
        user = self.engine.default_user
        return self.engine.create_job(
            user, {"operation": "insert", "object": "Lead", "contentType": "CSV"}, "64.0"
        )


def make_org(ended: int, **config: object) -> Org:
    clock = ManualClock()
    engine = Engine(clock=clock, config=EngineConfig(list_page_size=10))
    batch = {"state": "Completed", "numberRecordsProcessed": 20}
    start = clock.now() - timedelta(days=2)
    seed_jobs(
        engine,
        [
            {
                "state": "Closed",
                "createdDate": (start + timedelta(minutes=i)).isoformat(),
                "batches": [batch],
            }
            for i in range(ended)
        ],
    )
    client = BulkClient(
        Connection(URL, engine.issue_session()),
        transport=httpx.ASGITransport(app=create_app(engine)),
    )
    poller = Poller(client, PollerConfig(**config), clock=clock)  # type: ignore[arg-type]
    return Org(engine, clock, client, poller)


async def test_cycles_read_only_the_last_pages_and_new_jobs_appear_at_once() -> None:
    org = make_org(95)  # ten pages in each listing
    await org.cycle()
    assert org.list_pages() == 20
    assert org.poller.lister.orders == {"ingest": "ascending", "query": "ascending"}
    before = org.list_pages()
    await org.cycle()
    assert org.list_pages() - before == 2  # one page of each listing
    job = org.new_job()
    await org.cycle()
    assert job.id in org.poller.snapshot.jobs
    for _ in range(12):  # a new page opens: the tail follows it, and starts there next time
        org.new_job()
        await org.cycle()
    before = org.list_pages()
    await org.cycle()
    assert org.list_pages() - before == 2
    assert len(org.poller.snapshot.jobs) == 95 + 13
    await org.client.aclose()


async def test_a_purged_job_is_found_by_the_next_full_pass_and_confirmed_with_one_get() -> None:
    org = make_org(45, full_listing_seconds=60.0)
    for _ in range(3):
        await org.cycle()
    gone = next(iter(org.engine.jobs.values()))
    org.engine.remove_job(gone)
    await org.cycle()  # a tail read: the first page is not read, nothing is concluded
    assert not org.poller.snapshot.jobs[gone.id].purged
    org.clock.advance(60)
    before = org.list_pages()
    await org.cycle()  # the full pass, and the GET that confirms
    assert org.list_pages() - before == 10
    await org.cycle()
    assert org.poller.snapshot.jobs[gone.id].purged
    await org.client.aclose()


async def test_a_tight_budget_slows_listing_but_a_new_job_appears_within_60_seconds() -> None:
    org = make_org(95)
    budget = ApiBudget(30, org.clock)  # far less than the listing alone would cost
    org.poller = Poller(org.client, PollerConfig(budget=budget), clock=org.clock)
    for _ in range(70):  # about six minutes: the floor's share of the hour is used up
        await org.cycle()
    job = org.new_job()
    cycles = 0
    while job.id not in org.poller.snapshot.jobs:
        await org.cycle()
        cycles += 1
        assert cycles <= 12, "a new job did not appear within 60 s"
    listed = org.list_pages()
    for _ in range(72):  # six more minutes at the floor: a tail read every 30 s
        await org.cycle()
    assert org.list_pages() - listed <= 2 * 13
    assert "watching slowly" in (org.poller.status.budget or "")
    await org.client.aclose()


@dataclass(frozen=True)
class Page:
    endpoint: str
    link: str | None
    rows: tuple[JobInfo, ...]
    next_link: str | None


class NewestFirst:
    """A listing whose pages hold the newest jobs first, and whose old page links fail."""

    def __init__(self, jobs: list[JobInfo]) -> None:
        self.jobs = jobs
        self.reads: list[tuple[str, str | None]] = []

    async def list_job_pages(
        self,
        endpoint: str,
        *,
        start: str | None = None,
        job_type: str | None = None,
        more: Callable[[Page], bool] | None = None,
    ) -> Sequence[Page]:
        rows = sorted(self.jobs, key=lambda j: j.created_date or T0, reverse=True)
        size = 10
        chunks = [tuple(rows[i : i + size]) for i in range(0, len(rows), size)]
        pages = []
        for i, chunk in enumerate(chunks):
            link = None if i == 0 else f"p{i}"
            nxt = f"p{i + 1}" if i + 1 < len(chunks) else None
            page = Page(endpoint, link, chunk, nxt)
            self.reads.append((endpoint, link))
            pages.append(page)
            if nxt is None or (more is not None and not more(page)):
                break
        return pages


async def test_newest_first_pages_read_the_first_page_and_more_only_while_all_new() -> None:
    jobs = [row(n, n) for n in range(1, 36)]
    client = NewestFirst(jobs)
    clock = ManualClock()
    lister = Lister(client, clock)
    known: set[str] = set()
    listing = await lister.read(lambda n: True, known.__contains__)
    assert listing is not None and listing.complete and listing.pages == 8
    known |= {j.id for j in listing.rows}
    assert lister.orders == {"ingest": "descending", "query": "descending"}
    client.reads.clear()
    jobs += [row(n, n) for n in range(100, 112)]  # twelve new jobs: more than a page
    listing = await lister.read(lambda n: True, known.__contains__)
    assert listing is not None and not listing.complete
    assert {j.id for j in listing.rows} >= {row(n, n).id for n in range(100, 112)}
    assert client.reads == [("ingest", None), ("ingest", "p1"), ("query", None), ("query", "p1")]


async def test_a_budget_with_no_room_skips_the_listing_until_the_floor_is_due() -> None:
    client = NewestFirst([row(n, n) for n in range(1, 36)])
    clock = ManualClock()
    lister = Lister(client, clock)
    assert await lister.read(lambda n: False, lambda _: False) is not None  # the first: always
    clock.advance(5)
    assert await lister.read(lambda n: False, lambda _: False) is None
    clock.advance(25)
    assert await lister.read(lambda n: False, lambda _: False) is not None


def test_a_client_without_pages_is_listed_in_full() -> None:
    lister = Lister(object(), ManualClock())
    assert lister.full_due(T0) and lister.estimate(False) == 2


class SnapshotLinks(NewestFirst):
    """Oldest first, and a page link remembers the listing as it was when it was made (as a
    Salesforce query locator may): asked again, it never shows a newer job."""

    def __init__(self, jobs: list[JobInfo]) -> None:
        super().__init__(jobs)
        self.frozen: dict[str, list[JobInfo]] = {}

    async def list_job_pages(
        self,
        endpoint: str,
        *,
        start: str | None = None,
        job_type: str | None = None,
        more: Callable[[Page], bool] | None = None,
    ) -> Sequence[Page]:
        rows = (
            self.frozen[start]
            if start is not None
            else sorted(self.jobs, key=lambda j: j.created_date or T0)
        )
        size = 10
        first = int(start.split(":")[1]) if start is not None else 0
        pages = []
        for i in range(first, (len(rows) + size - 1) // size):
            link = None if i == 0 else f"{endpoint}{len(self.frozen)}:{i}"
            if link is not None:
                self.frozen.setdefault(link, rows)
            nxt = f"next:{i + 1}" if (i + 1) * size < len(rows) else None
            pages.append(Page(endpoint, link, tuple(rows[i * size : (i + 1) * size]), nxt))
        return pages


async def test_a_tail_that_misses_new_jobs_is_caught_by_the_full_pass() -> None:
    jobs = [row(n, n - 100) for n in range(1, 36)]  # created before the clock's now (T0)
    client = SnapshotLinks(jobs)
    clock = ManualClock()
    lister = Lister(client, clock, full_every=600)
    known: set[str] = set()

    async def read() -> set[str]:
        listing = await lister.read(lambda n: True, known.__contains__)
        assert listing is not None
        ids = {j.id for j in listing.rows}
        known.update(ids)
        return ids

    await read()
    assert lister.orders["ingest"] == "ascending"
    assert not lister.full_due(clock.now())
    late = JobInfo(id="750000000000000099", created_date=clock.now() + timedelta(seconds=30))
    jobs.append(late)
    clock.advance(120)
    assert late.id not in await read()  # the stale link does not show it
    clock.advance(600)
    assert late.id in await read()  # the full pass does ...
    clock.advance(5)
    assert lister.full_due(clock.now())  # ... and the tail is not trusted again


async def test_an_org_past_80_percent_of_its_limit_is_watched_slowly() -> None:
    clock = ManualClock()
    engine = Engine(clock=clock, config=EngineConfig(list_page_size=10, daily_api_limit=200))
    seed_jobs(engine, [{"state": "Closed", "copies": 30}])
    engine.create_job(
        engine.default_user,
        {"operation": "insert", "object": "Lead", "contentType": "CSV"},
        "64.0",
    )
    client = BulkClient(
        Connection(URL, engine.issue_session()),
        transport=httpx.ASGITransport(app=create_app(engine)),
    )
    budget = ApiBudget(None, clock)
    poller = Poller(client, PollerConfig(budget=budget), clock=clock)
    org = Org(engine, clock, client, poller)
    while not budget.slowed:  # the org's own usage climbs past 160 of 200
        engine.count_api_request()
        await org.cycle()
    assert (poller.status.budget or "").endswith("of its daily API limit: watching slowly")
    backfilled = sum(1 for v in poller.snapshot.jobs.values() if v.detail_at is not None)
    reads, pages = engine.stats.get(GET_JOB, 0), org.list_pages()
    for _ in range(12):  # a minute
        await org.cycle()
    assert sum(1 for v in poller.snapshot.jobs.values() if v.detail_at is not None) == backfilled
    assert org.list_pages() - pages <= 2 * 2 + 2  # the 30 s floor, no more
    assert engine.stats.get(GET_JOB, 0) - reads >= 1  # the live job is still read
    await client.aclose()


async def test_a_one_page_listing_that_grows_learns_its_order_again() -> None:
    org = make_org(5)
    await org.cycle()
    assert org.poller.lister.orders == {"ingest": "single", "query": "single"}
    for _ in range(12):
        org.new_job()
    before = org.list_pages()
    await org.cycle()  # the whole listing: two pages now
    assert org.list_pages() - before == 4 and len(org.poller.snapshot.jobs) == 17
    assert org.poller.lister.orders == {"ingest": "ascending", "query": "ascending"}
    before = org.list_pages()
    await org.cycle()
    assert org.list_pages() - before == 2
    await org.client.aclose()


async def test_a_refresh_the_user_asks_for_lists_new_jobs_whatever_the_budget() -> None:
    org = make_org(45)
    budget = ApiBudget(1, org.clock)
    org.poller = Poller(org.client, PollerConfig(budget=budget), clock=org.clock)
    for _ in range(70):  # past the floor's 120 listing requests: every 30 s from now on
        await org.cycle()
    pages = org.list_pages()
    await org.cycle()
    while org.list_pages() == pages:  # until the 30 s floor lists
        pages = org.list_pages()
        await org.cycle()
    job = org.new_job()
    await org.poller.cycle()  # 5 s after the floor's listing: the budget says wait
    assert job.id not in org.poller.snapshot.jobs
    await org.poller.cycle(force=True)  # the user pressed refresh
    assert job.id in org.poller.snapshot.jobs
    await org.client.aclose()
