"""Real answers from the emulator go into the journal and come back as the same jobs."""

from __future__ import annotations

import random
from pathlib import Path

from bulktui.api.lifecycle import has_counts
from bulktui.core.journal import Journal
from bulktui.emulator import seed_demo
from tests.support.emulator import emulated_org


async def test_listed_and_read_jobs_round_trip(tmp_path: Path) -> None:
    org = emulated_org()
    clock = org.clock
    seed_demo(org.engine, random.Random(7))
    client = org.client(reauth=False)
    async with client:
        listed = await client.list_jobs()
        read = [await client.get_job(job.id) for job in listed[:5]]
    assert listed and all(has_counts(job) for job in read)
    path = tmp_path / "org.sqlite3"
    journal = Journal.open(path)
    assert isinstance(journal, Journal)
    now = clock.now()
    assert journal.record_listing(listed, now) == []
    for job in read:
        journal.record_job(job, now)
    vanished = journal.record_listing(listed[1:], now)  # one job gone from the listing
    assert vanished == [listed[0].id]
    journal.mark_purged(listed[0].id, now)
    journal.close()

    again = Journal.open(path)
    assert isinstance(again, Journal)
    known = {job.id: job for job in again.known_jobs()}
    assert set(known) == {job.id for job in listed[1:]}
    for job in read[1:]:
        # The full GET was kept over the later list row; times come back to the millisecond.
        assert known[job.id].to_wire() == job.to_wire()
    for job in listed[5:]:
        assert known[job.id].to_wire() == job.to_wire()
    (purged,) = [e for e in again.history() if e.purged_at is not None]
    assert purged.job.to_wire() == read[0].to_wire()
    again.close()
