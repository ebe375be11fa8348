"""Journal figures: its size at 100,000 jobs and 10,000 actions, the cost of one poll cycle's
writes (20 changed jobs out of 10,000), and of loading 10,000 known jobs for the preload.

    python bench/bench_journal.py            # about 30-60 s on a small machine
    python bench/bench_journal.py --jobs 20000 --actions 2000   # quicker

Prints the figures; asserts nothing (docs/journal.md quotes them).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bulktui.api.enums import JobState, JobType, Operation
from bulktui.api.ids import JOB_PREFIX, make_id
from bulktui.api.models import Identity, JobInfo
from bulktui.core.actions import Action, ActionRefused, ActionSucceeded
from bulktui.core.journal import Journal
from bulktui.core.snapshot import JobView, LinkState, Snapshot

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
IDENTITY = Identity("005000000000001AAA", "00D000000000001AAA", "ada@example.com", "Ada")


def make_job(n: int) -> JobInfo:
    """A finished 2.0 ingest job as a full GET shows it."""
    return JobInfo(
        id=make_id(JOB_PREFIX, "00", n),
        operation=Operation.UPSERT if n % 3 else Operation.INSERT,
        object=("Account", "Contact", "Opportunity", "Custom_Object__c")[n % 4],
        created_by_id="005000000000001AAA",
        created_date=T0 - timedelta(minutes=n),
        system_modstamp=T0 - timedelta(minutes=n) + timedelta(seconds=40),
        state=JobState.JOB_COMPLETE,
        external_id_field_name="External_Id__c" if n % 3 else None,
        concurrency_mode=None,
        content_type=None,
        number_records_processed=1000 + n % 5000,
        number_records_failed=n % 17,
        retries=0,
        api_version="64.0",
        total_processing_time=1234,
        api_active_processing_time=1000,
        apex_processing_time=0,
        job_type=JobType.V2_INGEST,
        content_url=f"services/data/v64.0/jobs/ingest/{make_id(JOB_PREFIX, '00', n)}/batches",
        line_ending="LF",
        column_delimiter="COMMA",
    )


def snapshot(views: dict[str, JobView], at: datetime) -> Snapshot:
    return Snapshot(jobs=views, link=LinkState.LIVE, fetched_at=at, identity=IDENTITY)


def opened(path: Path) -> Journal:
    journal = Journal.open(path)
    if not isinstance(journal, Journal):
        raise SystemExit(journal.problem)
    return journal


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def fill(path: Path, jobs: int, actions: int) -> float:
    journal = opened(path)
    started = time.perf_counter()
    chunk = 10_000
    for first in range(0, jobs, chunk):
        views = {
            job.id: JobView(job) for job in map(make_job, range(first, min(jobs, first + chunk)))
        }
        journal.record_snapshot(snapshot(views, T0))
    for n in range(actions):
        job = make_job(n)
        if n % 2:
            journal.record_action(ActionRefused(Action.ABORT, job.id, "Job had already completed"))
        else:
            done = dataclasses.replace(job, state=JobState.ABORTED)
            journal.record_action(ActionSucceeded(Action.ABORT, done, f"Job {job.id} aborted."))
    elapsed = time.perf_counter() - started
    journal.close()
    return elapsed


def cycle_cost(path: Path, jobs: int, changed: int, cycles: int) -> tuple[float, float, float]:
    """Median ms of record_snapshot for a cycle with ``changed`` new JobInfos among ``jobs``
    (the poller keeps unchanged JobInfo objects), of an idle cycle, and of the first call."""
    journal = opened(path)
    # As the console does: preload the poller with the journal's jobs; its first snapshot
    # republishes those same objects.
    views = {job.id: JobView(job) for job in journal.known_jobs(IDENTITY.org_id)}
    started = time.perf_counter()
    journal.record_snapshot(snapshot(views, T0))
    first = (time.perf_counter() - started) * 1000
    busy: list[float] = []
    idle: list[float] = []
    for cycle in range(1, cycles + 1):
        at = T0 + timedelta(seconds=5 * cycle)
        views = dict(views)
        for k in range(changed):
            n = (cycle * changed + k) % jobs
            old = views[make_id(JOB_PREFIX, "00", n)].job
            moved = dataclasses.replace(old, number_records_processed=cycle * 1000 + k)
            views[old.id] = JobView(moved)
        started = time.perf_counter()
        journal.record_snapshot(snapshot(views, at))
        busy.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        journal.record_snapshot(snapshot(views, at + timedelta(seconds=1)))
        idle.append((time.perf_counter() - started) * 1000)
    journal.close()
    return statistics.median(busy), statistics.median(idle), first


def preload_cost(path: Path, repeats: int) -> tuple[float, int]:
    times = []
    count = 0
    for _ in range(repeats):
        started = time.perf_counter()
        journal = opened(path)
        count = len(journal.known_jobs(IDENTITY.org_id))
        times.append((time.perf_counter() - started) * 1000)
        journal.close()
    return statistics.median(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--actions", type=int, default=10_000)
    parser.add_argument("--preload-jobs", type=int, default=10_000)
    parser.add_argument("--cycles", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.sqlite3"
        took = fill(big, args.jobs, args.actions)
        size = file_size(big)
        print(
            f"journal of {args.jobs:,} jobs and {args.actions:,} actions: "
            f"{size / 1e6:.1f} MB ({size / max(1, args.jobs):,.0f} bytes a job); "
            f"written in {took:.1f} s"
        )
        org = Path(tmp) / "org.sqlite3"
        fill(org, args.preload_jobs, 0)
        busy, idle, first = cycle_cost(org, args.preload_jobs, 20, args.cycles)
        print(
            f"one cycle, 20 of {args.preload_jobs:,} jobs changed: {busy:.2f} ms (median of "
            f"{args.cycles}); an unchanged cycle: {idle:.2f} ms; the first cycle after "
            f"opening: {first:.0f} ms"
        )
        preload, count = preload_cost(org, 5)
        print(
            f"open + known_jobs() of {count:,} jobs for the preload: {preload:.0f} ms (median of 5)"
        )


if __name__ == "__main__":
    main()
