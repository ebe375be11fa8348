"""Guard rules: how fast an armed rule stops a failing load, and what the watcher costs.

    python bench/bench_guards.py                  # both parts
    python bench/bench_guards.py --cycles 24      # a shorter steady state for part (b)

(a) Reaction. The demo's failing load (``bulktui/emulator/demo.py``: Invoice__c, 1.0, serial,
10 batches of 900 rows at 15 records/s, 3 % bad rows in the first batch and 7 points more in
each next one) runs on the emulator on a manual clock. The console's poller runs one cycle
every 5 s of that clock (the default interval) with the rule
``failure_rate > 10% and processed >= 500`` armed through a ``GuardSession`` over a
``LiveBackend``, exactly as ``bulktui watch --arm`` wires it. Printed: the cycle in which a
snapshot first shows the crossing, the cycle of the abort request (target: the same one, i.e.
0 cycles, at most 1), and the records processed after the crossing: from the moment the load
truly crossed the line (found by stepping an identical replica of the load 0.1 s at a time)
to the abort, and from the crossing snapshot to the abort (the manual clock stands still in a
cycle, so the wall-clock time from the snapshot to the abort's answer is printed too).

(b) Cost. An org of 1,000 jobs, 20 of them running (the seeding of
``bench/bench_api_economy.py``). The console's poller alone, and the watcher (the same poller
told which jobs the rules want, plus a GuardSession with four rules, fed every snapshot and
ticked once a cycle as its ticker does), each from a cold start for the same number of cycles
of the 5 s manual clock. Printed: requests per minute (warm-up included, and steady state) and
the CPU time of the thread that runs the poller and the rules (the emulator serves from
another thread, so its work is not counted). The console's poller is measured twice: never
told which rows are visible (every row's counts read once, as ``bench_api_economy.py``), and
told that the newest 40 rows are on screen (what the console does). The watcher reads every
job a rule could look at: live ones, 1.0 jobs listed as Closed (one read tells whether they
still run), and new ones; never the counts of jobs known to have ended.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

import httpx

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.enums import JobState
from bulktui.api.models import JobInfo
from bulktui.core.config import PollerConfig
from bulktui.core.guard_rules import parse_rules
from bulktui.core.guard_session import GuardSession, build_guards
from bulktui.core.guards import EventKind, GuardEvent, Outcome
from bulktui.core.live import LiveBackend
from bulktui.core.poller import Poller
from bulktui.core.snapshot import Snapshot
from bulktui.emulator import EmulatorServer, Engine, EngineConfig, ManualClock
from bulktui.emulator.demo import _csv, _Demo, _plan
from bulktui.emulator.state import Job

sys.path.insert(0, str(Path(__file__).parent))
from bench_api_economy import seed, stats, total

INTERVAL = 5.0
LINE = 10.0  # percent
FLOOR = 500  # records
RULE = (
    '[[rule]]\nname = "failing invoice load"\nobject = "Invoice__c"\n'
    f'when = "failure_rate > {LINE:g}% and processed >= {FLOOR}"\naction = "abort"\n'
)
WATCH_RULES = RULE + (
    '[[rule]]\nname = "forgotten"\nwhen = "open_for > 2h"\naction = "close"\n'
    '[[rule]]\nname = "stalled"\nwhen = "stalled_for > 10m"\naction = "flag"\n'
    '[[rule]]\nname = "hard delete"\nobject = "Account"\noperation = "hardDelete"\n'
    'when = "always"\naction = "flag"\n'
)


# ------------------------------------------------------------------------------ (a) reaction


def failing_load(engine: Engine) -> Job:
    """The demo's Invoice__c load, started now on ``engine``'s clock."""
    (load,) = [x for x in _plan() if x.obj == "Invoice__c" and x.climb > 0]
    demo = _Demo(engine, random.Random(7))
    user = engine.default_user
    fields = {"operation": load.operation, "object": load.obj, "contentType": "CSV"}
    fields["concurrencyMode"] = "Serial"
    job = engine.create_job(user, fields, engine.config.api_version)
    job.records_per_second = load.rate
    for k in range(load.batches):
        engine.add_batch(job, user, _csv(demo.rows(load, k)), "text/csv")
    engine.update_job(job, user, {"state": "Closed"})
    return job


def crossed(info: JobInfo) -> bool:
    processed = info.number_records_processed or 0
    failed = info.number_records_failed or 0
    return processed >= FLOOR and 100.0 * failed / processed > LINE


def true_crossing() -> tuple[float, int, float]:
    """Seconds after the start when the load crosses the line, its processed count then, and
    its rate (records/s), from a replica stepped 0.1 s at a time."""
    clock = ManualClock()
    engine = Engine(clock=clock)
    job = failing_load(engine)
    for step in range(1, 100_000):
        clock.advance(0.1)
        engine.advance()
        info = engine.job_info(job)
        if crossed(info):
            return step * 0.1, info.number_records_processed or 0, job.records_per_second or 0.0
    raise SystemExit("the replica load never crossed the line")


async def reaction() -> int:
    cross_at, cross_processed, rate = true_crossing()
    clock = ManualClock()
    engine = Engine(clock=clock)
    job = failing_load(engine)
    start = clock.now()
    server = EmulatorServer(engine).start()
    events: list[GuardEvent] = []
    walls: dict[str, float] = {}
    try:
        client = BulkClient(Connection(server.url, engine.issue_session()))
        backend = LiveBackend(client, instance_url=server.url, clock=clock)
        guards = build_guards(
            parse_rules(RULE), backend, arm=True, read_only=False, dry_run=False, clock=clock
        )
        guards.add_listener(events.append)
        backend.poller.add_listener(guards.runner.feed)
        snapshot_cycle = abort_cycle = None
        processed_seen = 0
        for cycle in range(1, 400):
            await backend.poller.cycle()
            while (snapshot := _next(guards)) is not None:
                view = snapshot.jobs.get(job.id)
                if snapshot_cycle is None and view is not None and crossed(view.job):
                    snapshot_cycle = cycle
                    processed_seen = view.job.number_records_processed or 0
                    walls["snapshot"] = time.perf_counter()
                await guards.runner.handle(snapshot)
            if abort_cycle is None and any(e.event is EventKind.ACTION for e in events):
                abort_cycle = cycle
                walls["answer"] = time.perf_counter()
                break
            clock.advance(INTERVAL)
        await backend.aclose()
    finally:
        server.stop()
    action = next((e for e in events if e.event is EventKind.ACTION), None)
    if action is None or snapshot_cycle is None or abort_cycle is None:
        print("(a) FAIL: the rule never acted")
        return 1
    final = engine.job_info(engine.jobs[job.id])
    at_abort = final.number_records_processed or 0
    abort_after = (clock.now() - start).total_seconds()
    wall_ms = 1000 * (walls["answer"] - walls["snapshot"])
    lag = abort_cycle - snapshot_cycle
    print(
        f"(a) the demo's failing load: {rate:g} records/s, rule "
        f"'failure_rate > {LINE:g}% and processed >= {FLOOR}', interval {INTERVAL:g} s"
    )
    print(
        f"    the load crossed the line {cross_at:.1f} s after it started, "
        f"at {cross_processed:,} records processed"
    )
    print(
        f"    first snapshot showing it: cycle {snapshot_cycle} "
        f"({processed_seen:,} processed); abort request: cycle {abort_cycle} "
        f"-> {lag} cycle(s) (target <= 1); outcome {action.outcome}"
    )
    print(
        f"    records processed after the crossing: {at_abort - cross_processed:,} "
        f"(abort at {abort_after:.0f} s, {at_abort:,} processed; bound: interval x rate "
        f"= {INTERVAL * rate:.0f}); after the crossing snapshot: {at_abort - processed_seen:,}"
    )
    print(f"    wall time from the crossing snapshot to the abort's answer: {wall_ms:.1f} ms")
    ok = lag <= 1 and action.outcome is Outcome.SUCCEEDED and final.state is JobState.ABORTED
    print("    PASS" if ok else "    FAIL")
    return 0 if ok else 1


def _next(guards: GuardSession) -> Snapshot | None:
    queue = guards.runner._queue
    return queue.get_nowait() if not queue.empty() else None


# ------------------------------------------------------------------------------ (b) cost


async def cost(jobs: int, running: int, cycles: int) -> int:
    results: dict[str, tuple[int, int, float]] = {}
    for who in ("console poller", "console, 40 rows", "watcher"):
        clock = ManualClock()
        engine = Engine(clock=clock, config=EngineConfig(daily_batch_limit=10 * jobs + 1000))
        seed(engine, clock, jobs, running, False)
        server = EmulatorServer(engine).start()
        try:
            connection = Connection(server.url, engine.issue_session())
            async with (
                BulkClient(connection) as client,
                httpx.AsyncClient(base_url=server.url) as control,
            ):
                results[who] = await _measure(who, server.url, client, clock, control, cycles)
        finally:
            server.stop()
    print(
        f"(b) {jobs:,} jobs, {running} running; {cycles} cycles of {INTERVAL:g} s "
        f"({cycles * INTERVAL / 60:g} min of the manual clock) from a cold start"
    )
    for who, (all_requests, steady, cpu) in results.items():
        minutes = cycles * INTERVAL / 60
        steady_minutes = (cycles // 2) * INTERVAL / 60
        print(
            f"    {who:16s} {all_requests / minutes:7.1f} requests/min overall, "
            f"{steady / steady_minutes:6.1f}/min in the second half; CPU {cpu:.2f} s "
            f"({1000 * cpu / cycles:.1f} ms per cycle)"
        )
    watcher, console = results["watcher"], results["console poller"]
    steady_ok = watcher[1] <= min(r[1] for r in results.values())
    ok = steady_ok and watcher[0] <= console[0]
    print(
        "    PASS: the watcher's steady state asks no more than the console's; its warm-up reads "
        "each 1.0 job listed as Closed once (no screen decides which)"
        if ok
        else "    FAIL"
    )
    return 0 if ok else 1


async def _measure(
    who: str,
    url: str,
    client: BulkClient,
    clock: ManualClock,
    control: httpx.AsyncClient,
    cycles: int,
) -> tuple[int, int, float]:
    if who == "watcher":
        backend = LiveBackend(client, instance_url=url, clock=clock)
        guards: GuardSession | None = build_guards(
            parse_rules(WATCH_RULES), backend, arm=True, read_only=False, dry_run=False, clock=clock
        )
        poller = backend.poller
        poller.set_visible(())  # as Watcher.run does
        assert guards is not None
        session = guards
        poller.add_listener(lambda s: poller.set_visible(session.wanted_job_ids(s)))
        poller.add_listener(session.runner.feed)
    else:
        poller = Poller(client, PollerConfig(interval=INTERVAL), clock=clock)
        guards = None
        if who.endswith("rows"):  # as the console tells it: the newest 40 rows are on screen

            def shown(snapshot: Snapshot) -> None:
                views = sorted(snapshot.jobs.values(), key=lambda v: v.id, reverse=True)
                poller.set_visible(v.id for v in views[:40])

            poller.add_listener(shown)
    start = await stats(control)
    half = start
    cpu = 0.0
    for cycle in range(cycles):
        if cycle == cycles - cycles // 2:
            half = await stats(control)  # the bench's own request, outside the CPU figure
        began = time.thread_time()
        await poller.cycle()
        for _ in range(50):  # the run loop's back-fill rounds between cycles
            sent = client.requests_sent
            await poller.fill_backlog()
            if client.requests_sent == sent:
                break
        if guards is not None:
            guards.runner.tick()
            while (snapshot := _next(guards)) is not None:
                await guards.runner.handle(snapshot)
        cpu += time.thread_time() - began
        clock.advance(INTERVAL)
    end = await stats(control)
    return total(start, end), total(half, end), cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--running", type=int, default=20)
    parser.add_argument("--cycles", type=int, default=48)
    parser.add_argument("--only", choices=("a", "b"))
    args = parser.parse_args()
    code = 0
    if args.only in (None, "a"):
        code |= asyncio.run(reaction())
    if args.only in (None, "b"):
        code |= asyncio.run(cost(args.jobs, args.running, args.cycles))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
