"""Each resource: the request the client sends and what it makes of the answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bulktui.api import wire
from bulktui.api.client import BulkClient
from bulktui.api.enums import BatchState, ConcurrencyMode, ContentType, JobState, JobType
from bulktui.api.ids import InvalidIdError
from bulktui.api.lifecycle import JobKind
from bulktui.api.models import ApiUsage, BatchInfo, RecordError, RecordResult
from tests.api.api_fakes import BATCH_ID, JOB_ID, SESSION, Script, job, job_xml, jsn, xml

MakeClient = Callable[..., tuple[BulkClient, Script]]
BATCH = BatchInfo(id=BATCH_ID, job_id=JOB_ID, state=BatchState.QUEUED, number_records_processed=0)


async def test_get_job_sends_the_session_header_to_the_async_root(make_client: MakeClient) -> None:
    client, script = make_client(job_xml())
    async with client:
        got = await client.get_job(JOB_ID, JobKind.V1)
    assert got == job()
    (request,) = script.requests
    assert request.method == "GET"
    assert (
        str(request.url)
        == f"https://na1.example.my.salesforce.com/services/async/64.0/job/{JOB_ID}"
    )
    assert request.headers["X-SFDC-Session"] == SESSION
    assert "authorization" not in request.headers
    assert client.requests_sent == 1


async def test_create_job_writes_xsd_order_and_accepts_201(make_client: MakeClient) -> None:
    client, script = make_client(job_xml(status=201))
    async with client:
        got = await client.create_job(
            "Contact",
            "upsert",
            external_id_field_name="Legacy__c",
            concurrency_mode=ConcurrencyMode.SERIAL,
        )
    assert got.id == JOB_ID
    (request,) = script.requests
    assert request.method == "POST" and request.url.path == "/services/async/64.0/job"
    assert request.headers["Content-Type"] == "application/xml; charset=UTF-8"
    body = request.content.decode()
    order = ["operation", "object", "externalIdFieldName", "concurrencyMode", "contentType"]
    positions = [body.index(f"<{name}>") for name in order]
    assert positions == sorted(positions)
    assert "<operation>upsert</operation>" in body and "<contentType>CSV</contentType>" in body


async def test_create_json_job_sends_json(make_client: MakeClient) -> None:
    answer = jsn(wire.job_info_json(job(content_type=ContentType.JSON)))
    client, script = make_client(answer)
    async with client:
        await client.create_job("Account", "insert", content_type=ContentType.JSON)
    request = script.requests[0]
    assert request.headers["Content-Type"].startswith("application/json")
    assert json.loads(request.content) == {
        "operation": "insert",
        "object": "Account",
        "contentType": "JSON",
    }


async def test_operation_case_is_sent_as_given(make_client: MakeClient) -> None:
    """The server is the one that refuses INSERT (InvalidJob); the client must not fix it."""
    client, script = make_client(xml(wire.error_xml("InvalidJob", "Unable to parse Job"), 400))
    async with client:
        with pytest.raises(Exception, match="InvalidJob: Unable to parse Job"):
            await client.create_job("Account", "INSERT")
    assert b"<operation>INSERT</operation>" in script.requests[0].content


@pytest.mark.parametrize(
    ("method", "state"), [("close_job", JobState.CLOSED), ("abort_job", JobState.ABORTED)]
)
async def test_close_and_abort_post_only_the_state(
    make_client: MakeClient, method: str, state: JobState
) -> None:
    client, script = make_client(job_xml(state))
    async with client:
        got = await getattr(client, method)(JOB_ID)
    assert got.state is state
    body = script.requests[0].content.decode()
    assert f"<state>{state.value}</state>" in body and "<operation>" not in body


async def test_close_of_a_known_json_job_sends_json(make_client: MakeClient) -> None:
    json_job = wire.job_info_json(job(content_type=ContentType.JSON))
    client, script = make_client(jsn(json_job), jsn(json_job))
    async with client:
        await client.get_job(JOB_ID, JobKind.V1)
        await client.close_job(JOB_ID)
    assert json.loads(script.requests[1].content) == {"state": "Closed"}


@pytest.mark.parametrize(
    ("kind", "mime"),
    [
        (ContentType.CSV, "text/csv; charset=UTF-8"),
        (ContentType.XML, "application/xml; charset=UTF-8"),
        (ContentType.JSON, "application/json; charset=UTF-8"),
        (ContentType.ZIP_CSV, "zip/csv"),
        ("ZIP_JSON", "zip/json"),
        ("text/csv", "text/csv"),
    ],
)
async def test_add_batch_content_type_follows_the_job(
    make_client: MakeClient, kind: ContentType | str, mime: str
) -> None:
    client, script = make_client(xml(wire.batch_info_xml(BATCH), 201))
    async with client:
        got = await client.add_batch(JOB_ID, b"Name\nAcme\n", kind)
    assert got == BATCH
    request = script.requests[0]
    assert request.headers["Content-Type"] == mime
    assert request.content == b"Name\nAcme\n"
    assert request.url.path.endswith(f"/job/{JOB_ID}/batch")


async def test_batch_list_get_and_request(make_client: MakeClient) -> None:
    client, script = make_client(
        xml(wire.batch_info_list_xml([BATCH, BATCH])),
        jsn(wire.batch_info_json(BATCH)),
        httpx.Response(200, content=b"Name\nAcme\n", headers={"Content-Type": "text/csv"}),
    )
    async with client:
        assert await client.list_batches(JOB_ID) == (BATCH, BATCH)
        assert (await client.get_batch(JOB_ID, BATCH_ID)).state is BatchState.QUEUED
        assert await client.get_batch_request(JOB_ID, BATCH_ID) == b"Name\nAcme\n"
    paths = [r.url.path.split("/64.0")[1] for r in script.requests]
    assert paths == [
        f"/job/{JOB_ID}/batch",
        f"/job/{JOB_ID}/batch/{BATCH_ID}",
        f"/job/{JOB_ID}/batch/{BATCH_ID}/request",
    ]


RESULTS = [
    RecordResult("0018Z00000KqW3aQAF", True, True),
    RecordResult(
        None, False, False, (RecordError("REQUIRED_FIELD_MISSING", "Required", ("Name",)),)
    ),
]


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(
            200,
            content=wire.record_results_csv(RESULTS).encode(),
            headers={"Content-Type": "text/csv"},
        ),
        xml(wire.record_results_xml(RESULTS)),
        jsn(wire.record_results_json(RESULTS)),
    ],
    ids=["csv", "xml", "json"],
)
async def test_batch_results_in_every_format(
    make_client: MakeClient, answer: httpx.Response
) -> None:
    client, _ = make_client(answer)
    async with client:
        got = await client.get_batch_results(JOB_ID, BATCH_ID)
    assert got == RESULTS


async def test_query_result_ids_and_result_set(make_client: MakeClient) -> None:
    client, script = make_client(
        xml(wire.result_ids_xml(["7528Z00000AAb1cQAD", "75228000000YhJP"])),
        jsn(wire.result_ids_json(["7528Z00000AAb1cQAD"])),
        httpx.Response(200, content=b'"Id"\n"001"\n', headers={"Content-Type": "text/csv"}),
    )
    async with client:
        assert await client.get_query_result_ids(JOB_ID, BATCH_ID) == [
            "7528Z00000AAb1cQAD",
            "75228000000YhJP",
        ]
        assert await client.get_query_result_ids(JOB_ID, BATCH_ID) == ["7528Z00000AAb1cQAD"]
        data = await client.get_query_result(JOB_ID, BATCH_ID, "75228000000YhJP")
    assert data == b'"Id"\n"001"\n'
    assert script.requests[2].url.path.endswith(f"/batch/{BATCH_ID}/result/75228000000YhJP")


@pytest.mark.parametrize("bad", ["../../x", "750?x=1", "", "7508Z00000QxJb2QA/"])
async def test_ids_that_could_change_the_path_are_refused(
    make_client: MakeClient, bad: str
) -> None:
    client, script = make_client()
    async with client:
        with pytest.raises(InvalidIdError):
            await client.get_job(bad, JobKind.V1)
    assert script.requests == []


# --------------------------------------------------------------------------- job listing


def _row(i: int, **kw: Any) -> dict[str, Any]:
    from bulktui.api.ids import make_id

    return {
        "id": make_id("750", "8Z", i),
        "operation": "insert",
        "object": "Account",
        "createdById": "0058Z000009Kr4TQAS",
        "createdDate": "2026-03-02T09:14:07.000+0000",
        "systemModstamp": "2026-03-02T09:14:07.000+0000",
        "state": "Closed",
        "concurrencyMode": "Parallel",
        "contentType": "CSV",
        "apiVersion": 64.0,
        "jobType": "Classic",
        **kw,
    }


def _page(rows: list[dict[str, Any]], next_url: str | None) -> httpx.Response:
    body = {"done": next_url is None, "records": rows, "nextRecordsUrl": next_url}
    return jsn(json.dumps(body), **{"Sforce-Limit-Info": "api-usage=42/15000"})


async def test_list_jobs_reads_every_page_of_both_listings_and_dedups() -> None:
    ingest = "/services/data/v64.0/jobs/ingest"
    query = "/services/data/v64.0/jobs/query"
    pages = {
        ingest: _page([_row(1), _row(2)], f"{ingest}?queryLocator=01gA-2"),
        f"{ingest}?queryLocator=01gA-2": _page([_row(3)], None),
        query: _page(
            [_row(2), _row(4, jobType="V2Query", state="JobComplete")],
            f"https://na1.example.my.salesforce.com{query}?queryLocator=01gB-2",
        ),
        f"{query}?queryLocator=01gB-2": _page([_row(5)], None),
    }
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        key = request.url.path + (f"?{request.url.query.decode()}" if request.url.query else "")
        return pages[key]

    from bulktui.api.connection import Connection

    conn = Connection("https://na1.example.my.salesforce.com", SESSION)
    async with BulkClient(conn, transport=httpx.MockTransport(handler)) as client:
        jobs = await client.list_jobs()
        usage = client.api_usage
        sent = client.requests_sent
    from bulktui.api.ids import make_id

    assert sorted(j.id for j in jobs) == sorted(make_id("750", "8Z", i) for i in range(1, 6))
    assert all(not j.has_counts for j in jobs)
    assert usage == ApiUsage(42, 15000)
    assert sent == 4
    assert all(r.headers["Authorization"] == f"Bearer {SESSION}" for r in seen)
    assert all("x-sfdc-session" not in r.headers for r in seen)


async def test_list_jobs_type_filter_goes_only_where_it_is_accepted(
    make_client: MakeClient,
) -> None:
    client, script = make_client(_page([_row(4, jobType="V2Query")], None))
    async with client:
        jobs = await client.list_jobs(JobType.V2_QUERY)
    assert [j.job_type for j in jobs] == [JobType.V2_QUERY]
    (request,) = script.requests
    assert request.url.path.endswith("/jobs/query")
    assert request.url.params["jobType"] == "V2Query"


async def test_a_next_page_on_another_host_is_refused(make_client: MakeClient) -> None:
    client, script = make_client(
        _page([_row(1)], "https://evil.example.com/services/data/v64.0/jobs/ingest?x=1"),
        _page([], None),
    )
    async with client:
        with pytest.raises(Exception, match="another host"):
            await client.list_jobs(JobType.BIG_OBJECT_INGEST)
    assert all(r.url.host != "evil.example.com" for r in script.requests)


async def test_a_paging_loop_stops(make_client: MakeClient) -> None:
    again = "/services/data/v64.0/jobs/ingest?queryLocator=x"
    client, _ = make_client(*[_page([_row(1)], again)] * 3)
    async with client:
        with pytest.raises(Exception, match="repeats the page"):
            await client.list_jobs(JobType.BIG_OBJECT_INGEST)


# --------------------------------------------------------------------------- REST extras


async def test_whoami(make_client: MakeClient) -> None:
    info = {
        "sub": "https://login.salesforce.com/id/00D5g000004SkLTEA0/0058Z000009Kr4TQAS",
        "user_id": "0058Z000009Kr4TQAS",
        "organization_id": "00D5g000004SkLTEA0",
        "preferred_username": "ops@example.org",
        "name": "Ops User",
    }
    client, script = make_client(jsn(json.dumps(info)))
    async with client:
        me = await client.whoami()
    assert (me.user_id, me.org_id, me.username, me.display_name) == (
        "0058Z000009Kr4TQAS",
        "00D5g000004SkLTEA0",
        "ops@example.org",
        "Ops User",
    )
    assert script.requests[0].url.path == "/services/oauth2/userinfo"
    assert script.requests[0].headers["Authorization"] == f"Bearer {SESSION}"


async def test_user_names_batches_and_keys_by_the_id_given(make_client: MakeClient) -> None:
    from bulktui.api.ids import make_id

    ids = [make_id("005", "8Z", i) for i in range(150)]
    ids[0] = ids[0][:15]  # a 15-character form must come back under that form

    def answer(request: httpx.Request) -> httpx.Response:
        soql = request.url.params["q"]
        assert soql.startswith("SELECT Id, Name FROM User WHERE Id IN (")
        asked = [part.strip(" '") for part in soql.split("(", 1)[1].rstrip(")").split(",")]
        records = [
            {"attributes": {"type": "User"}, "Id": i, "Name": f"User {i[-6:]}"} for i in asked
        ]
        return jsn(json.dumps({"totalSize": len(records), "done": True, "records": records}))

    client, script = make_client(answer, answer)
    async with client:
        names = await client.user_names([*ids, "not-an-id'); DROP", ids[1]])
    assert len(script.requests) == 2  # 150 ids in batches of 100
    assert set(names) == set(ids)
    assert names[ids[0]] == f"User {make_id('005', '8Z', 0)[-6:]}"
    assert all("DROP" not in r.url.params["q"] for r in script.requests)
