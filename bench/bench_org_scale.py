"""What watching costs as the org grows: a warm relaunch, a first launch, and the launch paint.

    python bench/bench_org_scale.py                       # all parts, default sizes
    python bench/bench_org_scale.py --part a --jobs 1000,10000
    python bench/bench_org_scale.py --part b --jobs 1000,20000,100000
    python bench/bench_org_scale.py --part c --jobs 10000

The emulator (``EmulatorServer``, a uvicorn thread on 127.0.0.1, pages of 1,000 rows, the
smallest daily limit: 15,000 requests) runs on a manual clock that the console's core shares:
each 5 s cycle runs at once (``Poller.cycle()``, then the run loop's back-fill rounds), and the
clock then advances 5 s, so an hour of watching takes seconds to minutes, not an hour.
Ended jobs are seeded Closed with finished batches, created over the last 6 days (the
listing is then in creation order, as the emulator lists); the 20 live jobs are Open with no
batches: they can change but nothing happens (the back-off at work). Requests are counted by
the emulator (``engine.stats``), so every request the client sent is in the figures.

(a) Relaunch with a warm journal (every ended job recorded with its counts): requests in the
    first 60 s, against the target: the list pages + the live jobs' GETs.
(b) First launch with an empty journal, the console showing its first 40 rows: requests in
    the first 5 minutes, then per hour once settled (minutes 5 to 65), and the worst time a
    new job took to appear (probes during that hour). Default budget (``ApiBudget``).
(c) Launch to the first full table from a warm journal of N jobs, emulator stopped: opening
    the journal, preloading the poller, the first snapshot with every job (target ≤ 0.5 s).

Figures (2-core machine shared with other work; the default budget at a 15,000 daily limit
is 469 an hour, so the listing runs at its 30 s floor once live jobs have spent it):

    (a) warm relaunch, first 60 s   requests  list pages  job GETs (20 live)  other
        1,000 ended                       87          26                  60  1 (who-am-I)
        10,000 ended                     105          44                  60  1
        before (issue 13): about 1,070 at 1,000 and 10,000+ at 10,000

    (b) first launch, empty journal   first 5 min   per hour   new job seen within
        1,000 ended                           303      1,533   15 s
        20,000 ended                          341      1,557   15 s
        100,000 ended (15-min "hour")         487     ~1,724   25 s
        before (issue 13) at 20,000: about 21,000 in 5.5 min, 15,000 an hour
        The hour is mostly the 20 idle live jobs (a GET each a minute: 1,200); listing is
        2 pages every 30 s plus a full pass at least hourly (42 pages at 20,000, 200 at
        100,000). 100,000 ran a 15-minute "hour" (``--hour-minutes 15``, 133 s wall):
        1,524 × 4 plus the hourly full pass it did not contain (200 pages).

    (c) warm journal of 10,000, emulator stopped: first rows 0.03 s, every row 0.39 s,
        0 requests.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.core.journal import Journal
from bulktui.core.live import LiveBackend
from bulktui.core.session import open_live_backend
from bulktui.core.snapshot import JobView, LinkState, Snapshot
from bulktui.emulator import EmulatorServer, Engine, EngineConfig, ManualClock
from bulktui.emulator.seeding import seed_jobs
from bulktui.emulator.state import Job

INTERVAL = 5.0
LIVE = 20
VISIBLE = 40
LISTS = ("GET /services/data/v{v}/jobs/ingest", "GET /services/data/v{v}/jobs/query")
GET_JOB = "GET /services/async/{v}/job/{jobId}"


def make_org(ended: int) -> tuple[Engine, ManualClock]:
    clock = ManualClock()
    engine = Engine(clock=clock, config=EngineConfig(daily_batch_limit=2 * ended + 1000))
    start = clock.now() - timedelta(days=6)
    step = timedelta(days=6) / max(1, ended)
    batch = {"state": "Completed", "numberRecordsProcessed": 2000, "numberRecordsFailed": 3}
    specs = [
        {
            "state": "Aborted" if i % 17 == 0 else "Closed",
            "object": ("Account", "Contact", "Lead")[i % 3],
            "createdDate": (start + step * i).isoformat(),
            "batches": [batch],
        }
        for i in range(ended)
    ]
    seed_jobs(engine, specs)
    for _ in range(LIVE):
        live_job(engine)
    return engine, clock


def live_job(engine: Engine) -> Job:
    return engine.create_job(
        engine.default_user,
        {"operation": "insert", "object": "Account", "contentType": "CSV"},
        "64.0",
    )


def warm_journal(engine: Engine, clock: ManualClock, path: Path) -> None:
    """Every job recorded as a full GET would show it (one snapshot, one transaction)."""
    journal = Journal.open(path)
    assert isinstance(journal, Journal), journal.problem
    views = {job.id: JobView(engine.job_info(job)) for job in engine.jobs.values()}
    journal.record_snapshot(Snapshot(jobs=views, link=LinkState.LIVE, fetched_at=clock.now()))
    journal.close()


def requests_since(engine: Engine, base: Counter[str]) -> Counter[str]:
    now = Counter(engine.stats)
    now.subtract(base)
    return now


async def step(backend: LiveBackend, clock: ManualClock) -> None:
    """One interval of the console's run loop: the cycle, then back-fill rounds."""
    poller = backend.poller
    await poller.cycle()
    for _ in range(20):
        sent = backend.client.requests_sent
        await poller.fill_backlog()
        if backend.client.requests_sent == sent:
            break
    clock.advance(INTERVAL)


def console_rows(backend: LiveBackend) -> Callable[[Snapshot], None]:
    """As the console does: the rows on its first screen, newest first, are the visible ones."""
    told: list[bool] = []

    def shown(snapshot: Snapshot) -> None:
        if told or not snapshot.jobs:
            return
        told.append(True)
        newest = sorted(
            snapshot.jobs.values(),
            key=lambda v: v.job.created_date.timestamp() if v.job.created_date else 0.0,
            reverse=True,
        )
        backend.set_visible(v.id for v in newest[:VISIBLE])

    return shown


def session(server: EmulatorServer, engine: Engine, clock: ManualClock, path: Path) -> LiveBackend:
    client = BulkClient(Connection(server.url, engine.issue_session()))
    journal = Journal.open(path)
    assert isinstance(journal, Journal), journal.problem
    return open_live_backend(client, instance_url=server.url, journal=journal, clock=clock)


# --------------------------------------------------------------------------- (a)


async def part_a(ended: int) -> tuple[int, int, int, int]:
    engine, clock = make_org(ended)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "org.sqlite3"
        warm_journal(engine, clock, path)
        server = EmulatorServer(engine).start()
        try:
            backend = session(server, engine, clock, path)
            await backend.preload()
            base = Counter(engine.stats)
            for _ in range(int(60 / INTERVAL)):
                await step(backend, clock)
            spent = requests_since(engine, base)
            await backend.aclose()
        finally:
            server.stop()
    pages = sum(spent[r] for r in LISTS)
    total = sum(spent.values())
    return total, pages, spent[GET_JOB], total - pages - spent[GET_JOB]


# --------------------------------------------------------------------------- (b)


async def part_b(ended: int, hour_minutes: int) -> dict[str, float]:
    engine, clock = make_org(ended)
    wall = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        server = EmulatorServer(engine).start()
        try:
            backend = session(server, engine, clock, Path(tmp) / "org.sqlite3")
            backend.poller.add_listener(console_rows(backend))
            await backend.preload()  # an empty journal: nothing
            base = Counter(engine.stats)
            for _ in range(int(300 / INTERVAL)):
                await step(backend, clock)
            first5 = sum(requests_since(engine, base).values())
            base = Counter(engine.stats)
            probes: list[float] = []
            cycles = int(hour_minutes * 60 / INTERVAL)
            probe_every = max(1, cycles // 7)
            probe: tuple[Job, float] | None = None
            for n in range(cycles):
                if probe is None and n % probe_every == probe_every // 2:
                    probe = (live_job(engine), clock.now().timestamp())
                await step(backend, clock)
                if probe is not None and probe[0].id in backend.poller.snapshot.jobs:
                    # Seen as of the cycle that just ran (the clock has moved on since).
                    probes.append(clock.now().timestamp() - INTERVAL - probe[1])
                    engine.update_job(probe[0], engine.default_user, {"state": "Aborted"})
                    probe = None
            hour = sum(requests_since(engine, base).values()) * 60 / hour_minutes
            words = backend.status().budget or ""
            full = backend.poller.lister.full_at
            await backend.aclose()
        finally:
            server.stop()
    return {
        "first5": first5,
        "hour": hour,
        "appear": max(probes) if probes else float("nan"),
        "probes": len(probes),
        "wall": time.perf_counter() - wall,
        "words": words,  # type: ignore[dict-item]
        "full": full is not None,
    }


# --------------------------------------------------------------------------- (c)


async def part_c(ended: int) -> tuple[float, float, int]:
    engine, clock = make_org(ended)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "org.sqlite3"
        warm_journal(engine, clock, path)
        # The emulator is never started: nothing answers on this port.
        client = BulkClient(Connection("http://127.0.0.1:9", engine.issue_session()))
        painted: list[float] = []
        began = time.perf_counter()
        journal = Journal.open(path)
        assert isinstance(journal, Journal)
        backend = open_live_backend(
            client, instance_url="http://127.0.0.1:9", journal=journal, clock=clock
        )
        first_screen: list[float] = []

        def seen(snapshot: Snapshot) -> None:
            if not first_screen and snapshot.jobs:
                first_screen.append(time.perf_counter() - began)
            if len(snapshot.jobs) >= ended + LIVE and not painted:
                painted.append(time.perf_counter() - began)

        backend.poller.add_listener(seen)
        await backend.preload()
        requests = client.requests_sent
        await backend.aclose()
    return first_screen[0], painted[0], requests


# --------------------------------------------------------------------------- main


async def main_async(parts: str, sizes: dict[str, list[int]], hour_minutes: int) -> None:
    if "a" in parts:
        print("(a) relaunch, warm journal, first 60 s (target: list pages + live GETs)")
        print(f"{'ended jobs':>12} {'requests':>9} {'list pages':>11} {'job GETs':>9} {'other':>6}")
        for n in sizes["a"]:
            total, pages, gets, other = await part_a(n)
            print(f"{n:>12,} {total:>9,} {pages:>11,} {gets:>9,} {other:>6,}", flush=True)
    if "b" in parts:
        print(f"\n(b) first launch, empty journal, {LIVE} live jobs idle, {VISIBLE} rows shown")
        print(
            f"{'ended jobs':>12} {'first 5 min':>12} {'per hour':>9} "
            f"{'new job seen':>13} {'wall s':>7}  header"
        )
        for n in sizes["b"]:
            r = await part_b(n, hour_minutes)
            print(
                f"{n:>12,} {r['first5']:>12,.0f} {r['hour']:>9,.0f} "
                f"{r['appear']:>11.0f} s {r['wall']:>7.1f}  {r['words']}",
                flush=True,
            )
    if "c" in parts:
        print("\n(c) launch → first full table from a warm journal, emulator stopped")
        print(f"{'jobs':>12} {'first rows':>11} {'every row':>10} {'requests':>9}")
        for n in sizes["c"]:
            first, full, sent = await part_c(n)
            print(f"{n:>12,} {first:>9.2f} s {full:>8.2f} s {sent:>9}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--part", default="abc", help="which parts: a, b, c (default all)")
    parser.add_argument("--jobs", help="ended-job counts, comma-separated, for the parts run")
    parser.add_argument(
        "--hour-minutes", type=int, default=60, help="length of the settled 'hour' (b)"
    )
    args = parser.parse_args()
    defaults = {"a": [1_000, 10_000], "b": [1_000, 20_000], "c": [10_000]}
    if args.jobs:
        chosen = [int(x.replace("_", "")) for x in args.jobs.split(",")]
        defaults = dict.fromkeys(defaults, chosen)
    asyncio.run(main_async(args.part, defaults, args.hour_minutes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
