"""Batch limits (docs/wire-facts.md §2.3), the rolling 24-hour batch allocation and the
7-day purge."""

from __future__ import annotations

from dataclasses import replace

from bulktui.api import wire
from bulktui.api.enums import BatchState
from bulktui.emulator import EngineConfig

from .helpers import Org, V, make_org


def _err(r: object) -> tuple[int, str, str]:
    import httpx

    assert isinstance(r, httpx.Response)
    e = wire.parse_error(r.status_code, r.content, r.headers["content-type"])
    return r.status_code, e.code, e.server_message


async def test_wrong_content_type_for_the_job(org: Org) -> None:
    job = await org.create_job(operation="insert", object="Account", contentType="CSV")
    r = await org.add_batch(job.id, "<sObjects/>", "application/xml")
    assert _err(r)[:2] == (400, "InvalidBatch")
    assert "does not match" in _err(r)[2]


async def test_over_ten_megabytes_is_refused(org: Org) -> None:
    job = await org.create_job(operation="insert", object="Account", contentType="CSV")
    body = b"Name\n" + b"x" * 10_000_001
    r = await org.add_batch(job.id, body)
    assert _err(r) == (
        400,
        "ClientInputError",
        "Failed to read request. Exceeded max size limit of 10000000",
    )


async def test_over_ten_thousand_records_fails_the_batch(org: Org) -> None:
    body = "Name\n" + "A\n" * 10_001
    job_id, batch_id = await org.csv_job_with_batch(body, operation="insert", object="Account")
    await org.tick(5)
    batch = await org.batch(job_id, batch_id)
    assert batch.state is BatchState.FAILED
    assert batch.state_message == "InvalidBatch : Maximum number of records exceeded: 10001 > 10000"


async def test_batches_only_go_to_open_jobs_but_still_count(org: Org) -> None:
    job = await org.create_job(operation="insert", object="Account", contentType="CSV")
    await org.set_state(job.id, "Closed")
    r = await org.add_batch(job.id, "Name\nA\n")
    assert _err(r) == (400, "InvalidJobState", "Unable to add a batch: the job is Closed")
    assert org.engine.batches_used() == 1


async def test_no_batches_to_a_job_older_than_a_day(org: Org) -> None:
    job = await org.create_job(operation="insert", object="Account", contentType="CSV")
    await org.tick(24 * 3600 + 1)
    assert _err(await org.add_batch(job.id, "Name\nA\n"))[1] == "InvalidJobState"


async def test_rolling_24h_batch_allocation() -> None:
    org = make_org(replace(EngineConfig(), daily_batch_limit=3))
    async with org.http:
        job = await org.create_job(operation="insert", object="Account", contentType="CSV")
        for _ in range(3):
            assert (await org.add_batch(job.id, "Name\nA\n")).status_code == 201
            await org.tick(3600)
        r = await org.add_batch(job.id, "Name\nA\n")
        assert _err(r)[:2] == (400, "ExceededQuota")
        await org.tick(21 * 3600 + 1)  # the first batch leaves the window
        fresh = await org.create_job(operation="insert", object="Account", contentType="CSV")
        assert (await org.add_batch(fresh.id, "Name\nA\n")).status_code == 201
        r = await org.http.get(f"/services/data/v{V}/limits", headers=org.bearer)
        assert r.json()["DailyBulkApiBatches"] == {"Max": 3, "Remaining": 0}


async def test_purge_seven_days_after_the_youngest_batch(org: Org) -> None:
    job_id, _ = await org.csv_job_with_batch("Name\nA\n", operation="insert", object="Account")
    idle = await org.create_job(operation="insert", object="Account", contentType="CSV")
    await org.tick(3 * 24 * 3600)
    assert (await org.add_batch(job_id, "Name\nB\n")).status_code == 400  # older than a day
    org.engine.jobs[job_id].created = org.engine.now()  # let a late batch in (test shortcut)
    r = await org.add_batch(job_id, "Name\nB\n")
    assert r.status_code == 201, r.text
    await org.tick(4 * 24 * 3600 + 1)  # idle job: 7 days after creation
    r = await org.http.get(f"/services/async/{V}/job/{idle.id}", headers=org.h)
    assert _err(r) == (400, "InvalidJob", f"Invalid job id: {idle.id}")
    assert (await org.get_job(job_id)).id == job_id  # its youngest batch is 4 days old
    await org.tick(3 * 24 * 3600)
    r = await org.http.get(f"/services/async/{V}/job/{job_id}", headers=org.h)
    assert _err(r)[1] == "InvalidJob"
    listing = await org.http.get(f"/services/data/v{V}/jobs/query", headers=org.bearer)
    assert listing.json()["records"] == []


async def test_purge_happens_whatever_the_state(org: Org) -> None:
    job = await org.create_job(operation="insert", object="Account", contentType="CSV")
    assert job.state is not None and job.state.value == "Open"
    await org.tick(7 * 24 * 3600 + 1)
    r = await org.http.get(f"/services/async/{V}/job/{job.id}", headers=org.h)
    assert _err(r)[1] == "InvalidJob"
