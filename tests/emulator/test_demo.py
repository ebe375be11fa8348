"""The demo org: believable, complete, alive, and deterministic under a manual clock."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest

from bulktui.api.enums import BatchState, JobState
from bulktui.emulator import Engine, ManualClock
from bulktui.emulator.demo import seed_demo


@pytest.fixture(scope="module")
def demo() -> tuple[Engine, ManualClock]:
    clock = ManualClock()
    engine = Engine(clock)
    seed_demo(engine, random.Random(7))
    return engine, clock


def _snapshot(engine: Engine) -> list[tuple[str, str, str, int, int]]:
    out = []
    for job in engine.jobs.values():
        info = engine.job_info(job)
        out.append(
            (
                job.object_name,
                job.operation.value,
                job.state.value,
                info.number_records_processed or 0,
                info.number_records_failed or 0,
            )
        )
    return out


def test_a_week_of_jobs_from_several_users(demo: tuple[Engine, ManualClock]) -> None:
    engine, _ = demo
    jobs = list(engine.jobs.values())
    assert 35 <= len(jobs) <= 45
    now = engine.now()
    assert min(j.created for j in jobs) < now - timedelta(days=6)
    assert len({j.created_by for j in jobs}) >= 5
    assert all(engine.users[j.created_by].name for j in jobs)
    assert len({j.object_name for j in jobs}) >= 10
    assert {j.operation.value for j in jobs} >= {
        "insert",
        "update",
        "upsert",
        "delete",
        "hardDelete",
        "query",
        "queryAll",
    }
    assert {j.state for j in jobs if not j.is_v2} == {
        JobState.OPEN,
        JobState.CLOSED,
        JobState.ABORTED,
        JobState.FAILED,
    }
    assert {b.state for b in engine.batches.values()} == set(BatchState)
    messages = {b.state_message for b in engine.batches.values() if b.state_message}
    assert all(m.startswith("InvalidBatch : ") for m in messages) and len(messages) >= 3


def test_bulk2_jobs_among_them(demo: tuple[Engine, ManualClock]) -> None:
    engine, _ = demo
    v2 = [j for j in engine.jobs.values() if j.is_v2]
    seen = {(j.job_type.value, j.operation.value, j.state.value) for j in v2}
    assert seen >= {
        ("V2Ingest", "upsert", "InProgress"),
        ("V2Ingest", "insert", "Open"),
        ("V2Ingest", "insert", "JobComplete"),
        ("V2Ingest", "insert", "Failed"),
        ("V2Query", "query", "InProgress"),
    }
    left_open = next(j for j in v2 if j.state is JobState.OPEN)
    assert left_open.uploads and not left_open.batches
    failed = next(j for j in v2 if j.state is JobState.FAILED)
    assert failed.error_message == "InvalidBatch : Field name not found : ContactId__c"
    done = next(j for j in v2 if j.state is JobState.JOB_COMPLETE)
    assert (engine.v2.job_info(done).number_records_failed or 0) > 0


def test_bulk2_upsert_failures_climb() -> None:
    clock = ManualClock()
    engine = Engine(clock)
    seed_demo(engine, random.Random(7))
    (job,) = [j for j in engine.jobs.values() if j.is_v2 and j.operation.value == "upsert"]
    shares = []
    for _ in range(3):
        info = engine.v2.job_info(job)
        shares.append(
            (info.number_records_failed or 0) / max(1, info.number_records_processed or 0)
        )
        clock.advance(120)
        engine.advance()
    assert shares[0] < shares[1] < shares[2]


def test_deterministic() -> None:
    def build() -> list[tuple[str, str, str, int, int]]:
        engine = Engine(ManualClock())
        seed_demo(engine, random.Random(7))
        return _snapshot(engine)

    assert build() == build()


def test_it_moves_and_new_jobs_arrive(demo: tuple[Engine, ManualClock]) -> None:
    engine, clock = demo
    running = [
        j for j in engine.jobs.values() if any(b.state is BatchState.IN_PROGRESS for b in j.batches)
    ]
    assert len(running) >= 3
    before = {j.id: engine.job_info(j).number_records_processed for j in running}
    climbing = next(j for j in running if j.object_name == "Invoice__c")
    rate_before = _failure_rate(engine, climbing.id)
    count = len(engine.jobs)
    clock.advance(180)
    engine.advance()
    assert all((engine.job_info(j).number_records_processed or 0) > before[j.id] for j in running)
    assert 180 // 40 <= len(engine.jobs) - count <= 180 // 20 + 1
    clock.advance(400)
    engine.advance()
    assert _failure_rate(engine, climbing.id) > rate_before


def _failure_rate(engine: Engine, job_id: str) -> float:
    info = engine.job_info(engine.jobs[job_id])
    return (info.number_records_failed or 0) / max(1, info.number_records_processed or 0)


def test_a_job_left_open_days_ago(demo: tuple[Engine, ManualClock]) -> None:
    engine, _ = demo
    old_open = [
        j
        for j in engine.jobs.values()
        if j.state is JobState.OPEN and (engine.now() - j.created).days >= 2
    ]
    assert old_open
    assert Counter(b.state for b in old_open[0].batches) == {BatchState.COMPLETED: 2}


def test_a_demo_left_running_keeps_a_bounded_number_of_records() -> None:
    """Its background loads add about 45,000 records an hour; unbounded, a demo left running
    for a day grew by a gigabyte. Each object keeps its newest RECORDS_PER_OBJECT."""
    from bulktui.emulator.demo import RECORDS_PER_OBJECT

    clock = ManualClock()
    engine = Engine(clock)
    seed_demo(engine, random.Random(7))
    assert engine.store.max_per_object == RECORDS_PER_OBJECT
    clock.advance(3 * 3600)
    engine.advance()
    counts = engine.store.counts()
    assert max(counts.values()) == RECORDS_PER_OBJECT  # some object reached it in 3 hours
    assert all(n <= RECORDS_PER_OBJECT for n in counts.values())


def test_the_record_store_drops_the_oldest_past_its_limit() -> None:
    from bulktui.emulator.objects import find_object
    from bulktui.emulator.store import RecordStore

    account = find_object("Account")
    assert account is not None
    store = RecordStore(max_per_object=3)
    ids = [store.new_id(account) for _ in range(5)]
    for record_id in ids[:3]:
        store.put(account, {"Id": record_id})
    store.put(account, {"Id": ids[0], "Name": "updated"})  # an update keeps its place
    store.put(account, {"Id": ids[3]})
    assert [r["Id"] for r in store.rows(account)] == ids[1:4]
    assert store.get(account, ids[0]) is None and not store.was_deleted(account, ids[0])
    assert RecordStore().max_per_object is None  # Salesforce's way: no limit
