"""The client against the real emulator, in process (httpx.ASGITransport), on a manual clock."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.enums import BatchState, ContentType, JobState, JobType
from bulktui.api.errors import (
    AmbiguousResultError,
    ApiError,
    InvalidSessionError,
    QuotaExceededError,
    ResponseFormatError,
    TransportError,
)
from bulktui.api.ids import make_id
from bulktui.api.lifecycle import JobKind
from bulktui.emulator.app import create_app
from bulktui.emulator.clock import ManualClock
from bulktui.emulator.engine import Engine
from bulktui.emulator.seeding import seed_jobs
from tests.support.emulator import URL, bulk_client, fault_spec

NO_SUCH_JOB = make_id("750", "5g", 987654321)
Make = Callable[..., BulkClient]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def engine(clock: ManualClock) -> Engine:
    return Engine(clock=clock)


@pytest.fixture
async def make(engine: Engine) -> AsyncIterator[Make]:
    made: list[BulkClient] = []

    def factory(faults: str | None = None, **kw: Any) -> BulkClient:
        app = create_app(engine, fault_spec(faults))
        client = bulk_client(engine, app, **kw)
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.aclose()


async def test_csv_insert_lifecycle(make: Make, clock: ManualClock) -> None:
    client = make()
    job = await client.create_job("Account", "insert")
    assert job.state is JobState.OPEN and job.content_type is ContentType.CSV
    batch = await client.add_batch(job.id, b"Name,Phone\nAcme,1\n,2\nGlobex,3\n", "CSV")
    assert batch.state is BatchState.QUEUED and batch.job_id == job.id
    closed = await client.close_job(job.id)
    assert closed.state is JobState.CLOSED and closed.number_batches_total == 1
    clock.advance(60)
    done = await client.get_batch(job.id, batch.id)
    assert done.state is BatchState.COMPLETED
    assert (done.number_records_processed, done.number_records_failed) == (3, 1)
    results = await client.get_batch_results(job.id, batch.id)
    assert [(r.success, r.created) for r in results] == [(True, True), (False, False), (True, True)]
    assert results[1].status_code == "REQUIRED_FIELD_MISSING" and results[1].id is None
    assert all(r.id and r.id.startswith("001") for r in (results[0], results[2]))
    job = await client.get_job(job.id, JobKind.V1)
    assert (job.number_batches_completed, job.number_records_failed) == (1, 1)
    assert await client.get_batch_request(job.id, batch.id) == b"Name,Phone\nAcme,1\n,2\nGlobex,3\n"
    assert await client.list_batches(job.id) == (done,)


async def test_json_job_speaks_json(make: Make, clock: ManualClock) -> None:
    client = make()
    job = await client.create_job("Contact", "insert", content_type=ContentType.JSON)
    assert job.content_type is ContentType.JSON
    records = [{"LastName": "Ng"}, {"FirstName": "NoLastName"}]
    batch = await client.add_batch(job.id, json.dumps(records).encode(), ContentType.JSON)
    await client.close_job(job.id)  # sent as JSON: the client remembers the job's type
    clock.advance(60)
    results = await client.get_batch_results(job.id, batch.id)
    assert [r.success for r in results] == [True, False]


async def test_query_job_reads_back_inserted_rows(make: Make, clock: ManualClock) -> None:
    client = make()
    load = await client.create_job("Account", "insert")
    await client.add_batch(load.id, b"Name\nAcme\nGlobex\n", "CSV")
    await client.close_job(load.id)
    clock.advance(60)
    query = await client.create_job("Account", "query")
    batch = await client.add_batch(query.id, b"SELECT Id, Name FROM Account", "CSV")
    await client.close_job(query.id)
    clock.advance(60)
    (result_id,) = await client.get_query_result_ids(query.id, batch.id)
    assert result_id.startswith("752")
    rows = list(
        csv.DictReader(
            io.StringIO((await client.get_query_result(query.id, batch.id, result_id)).decode())
        )
    )
    assert sorted(r["Name"] for r in rows) == ["Acme", "Globex"]


async def test_state_changes_as_the_server_rules(make: Make, clock: ManualClock) -> None:
    client = make()
    job = await client.create_job("Account", "insert")
    await client.add_batch(job.id, b"Name\nAcme\n", "CSV")
    await client.close_job(job.id)
    clock.advance(60)
    aborted = await client.abort_job(job.id)  # Closed and done → Aborted is allowed
    assert aborted.state is JobState.ABORTED
    with pytest.raises(ApiError) as caught:
        await client.close_job(job.id)
    assert caught.value.code == "InvalidJobState"
    assert caught.value.server_message == "Closing already aborted Job not allowed"


async def test_create_job_validation_errors(make: Make) -> None:
    client = make()
    with pytest.raises(ApiError, match="InvalidJob: Unable to parse Job"):
        await client.create_job("Account", "INSERT")
    with pytest.raises(ApiError, match="External ID was blank for Contact"):
        await client.create_job("Contact", "upsert")
    with pytest.raises(ApiError, match="Unable to find object: Foo__c"):
        await client.create_job("Foo__c", "insert")


async def test_list_jobs_every_page_each_id_once(make: Make, engine: Engine) -> None:
    seeded = seed_jobs(engine, [{"state": "Closed", "copies": 2345}, {"state": "Open"}])
    client = make()
    jobs = await client.list_jobs()
    assert sorted(j.id for j in jobs) == sorted(j.id for j in seeded)
    assert client.requests_sent >= 3  # 2,346 rows are three 1,000-row pages at least
    assert all(not j.has_counts and j.job_type is JobType.CLASSIC for j in jobs)
    assert client.api_usage is not None and client.api_usage.used >= client.requests_sent
    classic = await client.list_jobs(JobType.CLASSIC)
    assert len(classic) == len(seeded)


async def test_five_concurrent_expiries_one_reauthentication(make: Make, engine: Engine) -> None:
    calls = 0

    async def hook() -> Connection:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        return Connection(URL, engine.issue_session())

    client = make(reauthenticate=hook)
    job = await client.create_job("Account", "insert")
    engine.sessions.expire_all()
    jobs = await asyncio.gather(*(client.get_job(job.id, JobKind.V1) for _ in range(5)))
    listed = await client.list_jobs()
    assert calls == 1 and {j.id for j in jobs} == {job.id} and len(listed) == 1


async def test_expiry_without_a_hook(make: Make, engine: Engine) -> None:
    client = make()
    engine.sessions.expire_all()
    with pytest.raises(InvalidSessionError, match="InvalidSessionId"):
        await client.get_job(NO_SUCH_JOB, JobKind.V1)
    with pytest.raises(InvalidSessionError, match="INVALID_SESSION_ID"):
        await client.list_jobs()


async def test_whoami_and_user_names(make: Make, engine: Engine) -> None:
    client = make()
    me = await client.whoami()
    assert me.username == engine.login.username and me.user_id.startswith("005")
    assert await client.user_names([me.user_id, me.user_id[:15]]) == {
        me.user_id: me.display_name,
        me.user_id[:15]: me.display_name,
    }


@pytest.mark.parametrize(
    ("faults", "error", "match"),
    [
        ("http503=1", TransportError, "HTTP 503"),
        ("html=1", ResponseFormatError, "HTML page"),
    ],
)
async def test_persistent_faults_end_in_typed_errors(
    make: Make, faults: str, error: type[Exception], match: str
) -> None:
    client = make(faults)
    with pytest.raises(error, match=match):
        await client.list_jobs()


async def test_malformed_bodies_are_format_errors(make: Make) -> None:
    job = await make().create_job("Account", "insert")
    client = make("malformed=1")
    with pytest.raises(ResponseFormatError, match="malformed XML"):
        await client.get_job(job.id, JobKind.V1)  # a success body, cut short
    with pytest.raises(ResponseFormatError, match="HTTP 400 with an unreadable error body"):
        await client.get_job(NO_SUCH_JOB, JobKind.V1)  # an error body, cut short


async def test_quota(make: Make) -> None:
    client = make()
    job = await client.create_job("Account", "insert")
    quota = make("quota=1")
    with pytest.raises(QuotaExceededError):
        await quota.add_batch(job.id, b"Name\nAcme\n", "CSV")


async def test_intermittent_503s_are_ridden_out(make: Make, engine: Engine) -> None:
    seed_jobs(engine, [{"state": "Closed", "copies": 5}])
    client = make("http503=0.5,seed=3")
    jobs = await client.list_jobs()
    assert len(jobs) == 5 and client.requests_sent > 2


async def test_connection_resets_in_process_are_typed(make: Make, engine: Engine) -> None:
    client = make("reset=1")
    with pytest.raises(TransportError, match="ConnectionAborted"):
        await client.list_jobs()
    with pytest.raises(AmbiguousResultError):
        await client.create_job("Account", "insert")
