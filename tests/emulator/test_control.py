"""/_emulator control routes: stats, clock, seed."""

from __future__ import annotations

from bulktui.api import wire
from bulktui.api.enums import BatchState, JobState
from bulktui.emulator import Engine, create_app

from .helpers import Org, V


async def test_stats_count_per_route_template(org: Org) -> None:
    for _ in range(3):
        await org.http.get(f"/services/async/{V}/job/x", headers=org.h)
    await org.http.get(f"/services/async/{V}/job/x/batch/", headers=org.h)
    await org.http.get(f"/services/data/v{V}/jobs/ingest", headers=org.bearer)
    stats = (await org.http.get("/_emulator/stats")).json()
    assert stats["routes"] == {
        "GET /services/async/{v}/job/{jobId}": 3,
        "GET /services/async/{v}/job/{jobId}/batch": 1,
        "GET /services/data/v{v}/jobs/ingest": 1,
    }
    assert stats["total"] == 5


async def test_clock_control(org: Org) -> None:
    r = await org.http.post("/_emulator/clock", json={"advance_seconds": 90})
    assert r.json() == {"now": "2026-03-02T09:01:30.000+0000", "manual": True}
    assert (
        await org.http.post("/_emulator/clock", json={"advance_seconds": -1})
    ).status_code == 400


async def test_clock_control_needs_a_manual_clock() -> None:
    import httpx

    app = create_app(Engine())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post("/_emulator/clock", json={"advance_seconds": 1})
        assert r.status_code == 409


async def test_seed_jobs_and_batches_with_wire_fields(org: Org) -> None:
    hostile = "[red]x[/red] \x1b[31mred\x1b[0m"
    r = await org.http.post(
        "/_emulator/seed",
        json={
            "jobs": [
                {
                    "object": "Contact",
                    "operation": "upsert",
                    "externalIdFieldName": "Legacy_Key__c",
                    "state": "Closed",
                    "contentType": "JSON",
                    "createdDate": "2026-03-01T08:00:00.000Z",
                    "numberRecordsProcessed": 1234,
                    "batches": [
                        {"state": "Failed", "stateMessage": hostile, "numberRecordsFailed": 7},
                        {"state": "InProgress", "numberRecordsProcessed": 50},
                    ],
                }
            ]
        },
    )
    (made,) = r.json()["jobs"]
    job = await org.get_job(made["id"], "json")
    assert (job.state, job.object, job.number_records_processed) == (
        JobState.CLOSED,
        "Contact",
        1234,
    )
    assert (job.number_batches_failed, job.number_batches_in_progress) == (1, 1)
    r = await org.http.get(f"/services/async/{V}/job/{job.id}/batch", headers=org.h)
    first, second = wire.parse_batch_info_list(r.content, "json")
    assert (first.state, first.state_message, first.number_records_failed) == (
        BatchState.FAILED,
        hostile,
        7,
    )
    assert [b["id"] for b in [first.to_wire(), second.to_wire()]] == made["batches"]
    await org.tick(600)
    assert (await org.batch(job.id, second.id, "json")).state is BatchState.IN_PROGRESS  # static


async def test_seed_ten_thousand_jobs(org: Org) -> None:
    r = await org.http.post(
        "/_emulator/seed", json={"jobs": [{"state": "Closed", "copies": 10_000}]}
    )
    assert len(r.json()["jobs"]) == 10_000
    assert len({j["id"] for j in r.json()["jobs"]}) == 10_000
    assert (await org.http.get("/_emulator/stats")).json()["jobs"] == 10_000


async def test_seed_refuses_unknown_fields(org: Org) -> None:
    r = await org.http.post("/_emulator/seed", json={"jobs": [{"colour": "red"}]})
    assert r.status_code == 400 and "colour" in r.json()["error"]
