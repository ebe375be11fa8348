"""Bulk API 2.0 jobs end to end: the real client, poller and live backend on the emulator.

A 2.0 job is read through the 2.0 endpoint for its kind, polled only while it can change, never
called purged while a listing still returns it, stopped the 2.0 way, and its failed records are
grouped from ``failedResults``.
"""

from __future__ import annotations

from pathlib import Path

from bulktui.api.enums import JobState, Operation
from bulktui.api.lifecycle import JobKind, Liveness
from bulktui.core.actions import ActionRefused, ActionSucceeded
from bulktui.core.journal import Journal
from bulktui.core.live import LiveBackend

from .emulated import URL, make_org

V2_GET = "GET /services/data/v{v}/jobs/ingest/{jobId}"
V1_GET = "GET /services/async/{v}/job/{jobId}"


async def test_a_v2_load_is_watched_closed_and_its_failures_grouped() -> None:
    org = make_org()
    client = org.client
    job = await client.create_ingest_job_v2("Account", Operation.INSERT)
    await client.upload_job_data_v2(job.id, b"Name,Industry\nAcme,Energy\n,Retail\nGlobex,Bank\n")
    backend = LiveBackend(client, instance_url=URL, clock=org.clock)
    poller = backend.poller

    await poller.cycle()
    view = poller.snapshot.jobs[job.id]
    assert view.kind is JobKind.V2_INGEST and view.liveness is Liveness.LIVE
    assert not view.purged
    assert org.requests(V1_GET) == 0  # never read through the 1.0 endpoint

    # "close" on an Open 2.0 ingest job is upload complete: processing starts.
    outcome = await backend.close(job.id)
    assert isinstance(outcome, ActionSucceeded), outcome
    assert outcome.job.state is JobState.UPLOAD_COMPLETE

    for _ in range(60):
        org.clock.advance(5)
        await poller.cycle()
        if poller.snapshot.jobs[job.id].job.state is JobState.JOB_COMPLETE:
            break
    done = poller.snapshot.jobs[job.id]
    assert done.job.state is JobState.JOB_COMPLETE and not done.purged
    assert (done.job.number_records_processed, done.job.number_records_failed) == (3, 1)

    # An ended 2.0 job is never read again.
    reads = org.requests(V2_GET)
    for _ in range(5):
        org.clock.advance(5)
        await poller.cycle()
    assert org.requests(V2_GET) == reads
    assert org.requests(V1_GET) == 0
    assert not poller.snapshot.jobs[job.id].purged

    groups = await backend.failed_records(job.id, None)
    assert groups.failed == 1 and len(groups.groups) == 1
    (group,) = groups.groups
    assert group.code == "REQUIRED_FIELD_MISSING" and group.count == 1
    assert group.header[:2] == ("sf__Id", "sf__Error")


async def test_a_v2_job_is_aborted_the_2_0_way_and_a_finished_one_is_refused() -> None:
    org = make_org()
    client = org.client
    job = await client.create_ingest_job_v2("Account", Operation.INSERT)
    await client.upload_job_data_v2(job.id, b"Name\n" + b"".join(b"A%d\n" % i for i in range(50)))
    backend = LiveBackend(client, instance_url=URL, clock=org.clock)
    await backend.poller.cycle()
    await backend.close(job.id)  # UploadComplete: 2.0 can still abort it
    outcome = await backend.abort(job.id)
    assert isinstance(outcome, ActionSucceeded), outcome
    assert outcome.job.state is JobState.ABORTED
    again = await backend.abort(job.id)
    assert isinstance(again, ActionRefused), again
    assert "nothing was aborted" in again.reason


async def test_failures_the_console_reads_are_kept_in_the_journal(tmp_path: Path) -> None:
    """Issue 13: per job viewed, its failed-record groups (code, count, first message; never
    a record) stay in the journal, for after Salesforce purged the job."""
    org = make_org()
    client = org.client
    job = await client.create_ingest_job_v2("Account", Operation.INSERT)
    await client.upload_job_data_v2(job.id, b"Name,Industry\nAcme,Energy\n,Retail\n")
    journal = Journal.open(tmp_path / "org.sqlite3")
    assert isinstance(journal, Journal)
    backend = LiveBackend(client, instance_url=URL, clock=org.clock, journal=journal)
    await backend.poller.cycle()
    await backend.close(job.id)
    for _ in range(60):
        org.clock.advance(5)
        await backend.poller.cycle()
        if backend.poller.snapshot.jobs[job.id].job.state is JobState.JOB_COMPLETE:
            break
    await backend.failed_records(job.id, None)
    record = journal.job_record(job.id)
    assert record is not None
    assert [(g.code, g.count) for g in record.error_groups] == [("REQUIRED_FIELD_MISSING", 1)]
    assert "Retail" not in repr(record)  # a record's data is never kept
    journal.close()
