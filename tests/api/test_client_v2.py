"""The Bulk API 2.0 client: each resource's request, what it makes of the documented answers,
and ids given to the path of the wrong kind, which must never mis-state a job."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.enums import JobState, JobType, Operation, ResultSet
from bulktui.api.errors import (
    AmbiguousResultError,
    ApiError,
    BulkError,
    InvalidSessionError,
    JobNotFoundError,
    ResponseFormatError,
    TransportError,
)
from bulktui.api.lifecycle import JobKind, kind_of
from bulktui.api.retry import RetryPolicy
from bulktui.api.streams import PIECE_BYTES
from bulktui.api.v2 import V2Jobs
from tests.api.api_fakes import INSTANCE, SESSION, FakeClock
from tests.api.v2_fakes import (
    UNKNOWN,
    V1_JOB,
    V2_JOB,
    V2_QUERY,
    V2Org,
    json_response,
    streamed,
    v1_job,
    v2_job,
    v2_wire,
)

DATA = "/services/data/v64.0"


def client_for(handler: httpx.MockTransport, clock: FakeClock | None = None) -> BulkClient:
    clock = clock or FakeClock()
    policy = RetryPolicy(sleep=clock.sleep, clock=clock.clock, random=lambda: 0.5)
    return BulkClient(Connection(INSTANCE, SESSION), transport=handler, retry=policy)


def paths(org: V2Org) -> list[str]:
    return [f"{r.method} {r.url.path}" for r in org.requests]


async def collect(pieces: AsyncIterator[bytes]) -> bytes:
    return b"".join([piece async for piece in pieces])


# --------------------------------------------------------------------------- reading jobs


async def test_a_captured_v2_job_info_lands_in_every_field(captured: Path) -> None:
    body = (
        captured / "felixlindstrom_python-salesforce-api__tests_data_bulk_v2_info.txt__"
        "v2_jobInfo_JobComplete.json"
    ).read_bytes()
    data = json.loads(body)
    data["id"] = V2_JOB
    data |= {"errorMessage": "InvalidBatch : Field name not found : ContactId__c"}
    data |= {"numberRecordsProcessed": 1200, "numberRecordsFailed": 7, "retries": 2}
    data |= {"totalProcessingTime": 9, "apiActiveProcessingTime": 8, "apexProcessingTime": 3}
    data |= {"contentUrl": f"services/data/v64.0/jobs/ingest/{V2_JOB}/batches"}
    transport = httpx.MockTransport(lambda request: json_response(data))
    async with client_for(transport) as client:
        job = await client.get_job(V2_JOB, JobKind.V2_INGEST)
    assert job.job_type is JobType.V2_INGEST and kind_of(job) is JobKind.V2_INGEST
    assert job.state is JobState.JOB_COMPLETE
    assert (job.number_records_processed, job.number_records_failed, job.retries) == (1200, 7, 2)
    assert (job.total_processing_time, job.api_active_processing_time) == (9, 8)
    assert job.apex_processing_time == 3
    assert job.error_message == "InvalidBatch : Field name not found : ContactId__c"
    assert (job.line_ending, job.column_delimiter) == ("LF", "COMMA")
    assert job.content_url == f"services/data/v64.0/jobs/ingest/{V2_JOB}/batches"
    assert job.api_version == "44.0"
    # The recording's createdById was scrubbed to "123": kept as sent, and marked.
    assert dict(job.extra) == {"_bulktui_invalid": "created_by_id is not a Salesforce id"}


async def test_get_job_by_kind_asks_that_endpoint_once_with_a_bearer_token() -> None:
    org = V2Org(query={V2_QUERY: v2_job(V2_QUERY, "query", JobState.IN_PROGRESS)})
    async with client_for(org.transport) as client:
        job = await client.get_job(V2_QUERY, JobKind.V2_QUERY)
    assert paths(org) == [f"GET {DATA}/jobs/query/{V2_QUERY}"]
    request = org.requests[0]
    assert request.headers["Authorization"] == f"Bearer {SESSION}"
    assert "x-sfdc-session" not in request.headers
    assert kind_of(job) is JobKind.V2_QUERY and job.state is JobState.IN_PROGRESS


async def test_a_v2_answer_without_job_type_gets_it_from_the_resource() -> None:
    job = v2_job(V2_QUERY, "query", JobState.ABORTED)  # an Aborted state says nothing of kind
    transport = httpx.MockTransport(
        lambda request: json_response(v2_wire(job, with_job_type=False))
    )
    async with client_for(transport) as client:
        got = await client.get_job(V2_QUERY, JobKind.V2_QUERY)
    assert got.job_type is JobType.V2_QUERY and kind_of(got) is JobKind.V2_QUERY


@pytest.mark.parametrize(
    ("job_id", "kind", "asked"),
    [
        (V2_JOB, JobKind.V2_INGEST, ["ingest"]),
        (V2_QUERY, JobKind.V2_QUERY, ["ingest", "query"]),
        (V1_JOB, JobKind.V1, ["ingest", "query", "async"]),
    ],
)
async def test_find_job_asks_ingest_then_query_then_1_0(
    job_id: str, kind: JobKind, asked: list[str]
) -> None:
    org = V2Org(
        ingest={V2_JOB: v2_job(V2_JOB, "ingest", JobState.OPEN)},
        query={V2_QUERY: v2_job(V2_QUERY, "query", JobState.JOB_COMPLETE)},
        classic={V1_JOB: v1_job()},
    )
    async with client_for(org.transport) as client:
        job = await client.find_job(job_id)
        assert await client.get_job(job_id) == job  # no kind: a search, its kind now known
    assert job.id == job_id and kind_of(job) is kind
    where = ["async" if "/async/" in p else p.split("/jobs/")[1].split("/")[0] for p in paths(org)]
    assert where == [*asked, asked[-1]]  # the second time, the endpoint that knew it first


async def test_a_listed_job_is_found_with_one_request_whatever_its_kind() -> None:
    org = V2Org(classic={V1_JOB: v1_job()})
    row = v2_wire(v1_job()) | {"jobType": "Classic"}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(("/jobs/ingest", "/jobs/query")):
            return json_response({"done": True, "records": [row], "nextRecordsUrl": None})
        return org.handle(request)

    async with client_for(httpx.MockTransport(handler)) as client:
        await client.list_jobs()
        org.requests.clear()
        job = await client.find_job(V1_JOB)
    assert kind_of(job) is JobKind.V1
    assert paths(org) == [f"GET /services/async/64.0/job/{V1_JOB}"]


async def test_a_job_remembered_under_one_kind_but_gone_there_is_still_looked_for() -> None:
    org = V2Org(ingest={V2_JOB: v2_job(V2_JOB, "ingest", JobState.OPEN)})
    async with client_for(org.transport) as client:
        await client.find_job(V2_JOB)
        del org.ingest[V2_JOB]
        with pytest.raises(JobNotFoundError):
            await client.find_job(V2_JOB)
    assert len(org.requests) == 1 + 3


async def test_an_id_no_endpoint_knows_is_not_found_after_asking_all_three() -> None:
    org = V2Org(classic={V1_JOB: v1_job()})
    async with client_for(org.transport) as client:
        with pytest.raises(JobNotFoundError) as caught:
            await client.find_job(UNKNOWN)
    assert len(org.requests) == 3
    assert isinstance(caught.value, ApiError) and caught.value.code == "NOT_FOUND"
    assert "neither Bulk API 1.0 nor 2.0 knows it" in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_an_endpoint_that_cannot_answer_means_could_not_tell_never_not_found() -> None:
    org = V2Org()

    def handler(request: httpx.Request) -> httpx.Response:
        if "/jobs/query/" in request.url.path:  # a proxy's page, not the API's answer
            return httpx.Response(
                404, content=b"<html>nope</html>", headers={"Content-Type": "text/html"}
            )
        return org.handle(request)

    async with client_for(httpx.MockTransport(handler)) as client:
        with pytest.raises(BulkError) as caught:
            await client.find_job(UNKNOWN)
    assert not isinstance(caught.value, JobNotFoundError)
    assert str(caught.value).startswith(f"could not tell what job {UNKNOWN} is:")


async def test_an_expired_session_stops_the_search_at_once() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        error = {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
        return json_response([error], 401)

    async with client_for(httpx.MockTransport(handler)) as client:
        with pytest.raises(InvalidSessionError):
            await client.find_job(V2_JOB)
    assert len(calls) == 1


async def test_a_v2_id_given_for_a_1_0_job_comes_back_as_the_v2_job_it_is() -> None:
    org = V2Org(ingest={V2_JOB: v2_job(V2_JOB, "ingest", JobState.IN_PROGRESS)})
    async with client_for(org.transport) as client:
        job = await client.get_job(V2_JOB, JobKind.V1)
    assert kind_of(job) is JobKind.V2_INGEST and job.state is JobState.IN_PROGRESS
    assert paths(org)[0] == f"GET /services/async/64.0/job/{V2_JOB}"  # asked as told first


async def test_a_1_0_id_given_for_a_v2_job_comes_back_as_the_1_0_job_it_is() -> None:
    org = V2Org(classic={V1_JOB: v1_job()})
    async with client_for(org.transport) as client:
        job = await client.get_job(V1_JOB, JobKind.V2_INGEST)
    assert kind_of(job) is JobKind.V1 and job.number_batches_total == 1
    assert paths(org) == [
        f"GET {DATA}/jobs/ingest/{V1_JOB}",
        f"GET {DATA}/jobs/query/{V1_JOB}",
        f"GET /services/async/64.0/job/{V1_JOB}",
    ]


async def test_a_classic_job_answered_by_a_2_0_resource_is_read_again_for_its_counts() -> None:
    row = v2_wire(v1_job()) | {"jobType": "Classic"}
    org = V2Org(classic={V1_JOB: v1_job()})

    def handler(request: httpx.Request) -> httpx.Response:
        if "/jobs/ingest/" in request.url.path:
            return json_response(row)
        return org.handle(request)

    async with client_for(httpx.MockTransport(handler)) as client:
        job = await client.get_job(V1_JOB, JobKind.V2_INGEST)
    assert kind_of(job) is JobKind.V1 and job.number_batches_completed == 1


# --------------------------------------------------------------------------- state changes


async def test_close_of_a_v2_ingest_job_patches_upload_complete() -> None:
    org = V2Org(ingest={V2_JOB: v2_job(V2_JOB, "ingest", JobState.OPEN)})
    async with client_for(org.transport) as client:
        job = await client.close_job(V2_JOB, JobKind.V2_INGEST)
    assert job.state is JobState.UPLOAD_COMPLETE and kind_of(job) is JobKind.V2_INGEST
    (request,) = org.requests
    assert (request.method, request.url.path) == ("PATCH", f"{DATA}/jobs/ingest/{V2_JOB}")
    assert json.loads(request.content) == {"state": "UploadComplete"}
    assert request.headers["Content-Type"].startswith("application/json")


async def test_abort_of_a_v2_query_patches_aborted_on_the_query_resource() -> None:
    org = V2Org(query={V2_QUERY: v2_job(V2_QUERY, "query", JobState.IN_PROGRESS)})
    async with client_for(org.transport) as client:
        job = await client.abort_job(V2_QUERY, JobKind.V2_QUERY)
    assert job.state is JobState.ABORTED
    assert paths(org) == [f"PATCH {DATA}/jobs/query/{V2_QUERY}"]


async def test_abort_of_a_finished_v2_job_is_the_servers_refusal_in_plain_words(
    captured: Path,
) -> None:
    body = captured / "restforce_restforce__issue905__bulk2_abort_completed_job_error.json"
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            400, content=body.read_bytes(), headers={"Content-Type": "application/json"}
        )
    )
    async with client_for(transport) as client:
        with pytest.raises(ApiError) as caught:
            await client.abort_job(V2_JOB, JobKind.V2_INGEST)
    assert caught.value.code == "INVALIDJOBSTATE" and caught.value.status == 400
    assert str(caught.value) == "INVALIDJOBSTATE: Aborting already Completed Job not allowed"


async def test_a_query_job_has_nothing_to_close_and_nothing_is_sent() -> None:
    org = V2Org()
    async with client_for(org.transport) as client:
        with pytest.raises(BulkError, match="nothing to close"):
            await client.close_job(V2_QUERY, JobKind.V2_QUERY)
    assert org.requests == []


async def test_an_abort_resent_after_a_reset_is_judged_by_a_fresh_get() -> None:
    org = V2Org(ingest={V2_JOB: v2_job(V2_JOB, "ingest", JobState.IN_PROGRESS)})
    first = True

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal first
        if request.method == "PATCH" and first:
            first = False
            org.handle(request)  # the server aborted the job, then the line dropped
            raise httpx.ReadError("connection reset")
        return org.handle(request)

    async with client_for(httpx.MockTransport(handler)) as client:
        job = await client.abort_job(V2_JOB, JobKind.V2_INGEST)
    assert job.state is JobState.ABORTED
    assert [r.method for r in org.requests] == ["PATCH", "PATCH", "GET"]


# --------------------------------------------------------------------------- creating and loading


async def test_create_ingest_upload_close() -> None:
    org = V2Org()
    async with client_for(org.transport) as client:
        job = await client.create_ingest_job_v2(
            "Contact", Operation.UPSERT, external_id_field_name="Legacy_Key__c", line_ending="CRLF"
        )
        await client.upload_job_data_v2(job.id, b"Name,Legacy_Key__c\r\nAda,K1\r\n")
        closed = await client.close_job(job.id, JobKind.V2_INGEST)
    assert job.state is JobState.OPEN and kind_of(job) is JobKind.V2_INGEST
    assert job.content_url is not None and closed.state is JobState.UPLOAD_COMPLETE
    create, upload, _ = org.requests
    assert json.loads(create.content) == {
        "object": "Contact",
        "operation": "upsert",
        "contentType": "CSV",
        "externalIdFieldName": "Legacy_Key__c",
        "lineEnding": "CRLF",
    }
    assert (upload.method, upload.url.path) == ("PUT", f"{DATA}/jobs/ingest/{V2_JOB}/batches")
    assert upload.headers["Content-Type"] == "text/csv"
    assert org.uploaded == [b"Name,Legacy_Key__c\r\nAda,K1\r\n"]


async def test_an_upload_to_a_job_that_is_not_open_is_refused_in_plain_words() -> None:
    org = V2Org(ingest={V2_JOB: v2_job(V2_JOB, "ingest", JobState.UPLOAD_COMPLETE)})
    async with client_for(org.transport) as client:
        with pytest.raises(ApiError, match="INVALIDJOBSTATE: Job is not Open"):
            await client.upload_job_data_v2(V2_JOB, b"Name\nAda\n")
    assert org.uploaded == []


async def test_a_create_that_may_have_arrived_is_never_sent_twice() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("no answer")

    async with client_for(httpx.MockTransport(handler)) as client:
        with pytest.raises(AmbiguousResultError, match="may or may not have been created"):
            await client.create_ingest_job_v2("Account", "insert")
        with pytest.raises(AmbiguousResultError, match="may or may not have been uploaded"):
            await client.upload_job_data_v2(V2_JOB, b"Name\nAda\n")
    assert len(calls) == 2


async def test_create_query_job() -> None:
    org = V2Org()
    async with client_for(org.transport) as client:
        job = await client.create_query_job_v2("SELECT Id FROM Account", Operation.QUERY_ALL)
    assert kind_of(job) is JobKind.V2_QUERY
    assert json.loads(org.requests[0].content) == {
        "operation": "queryAll",
        "query": "SELECT Id FROM Account",
        "contentType": "CSV",
    }


# --------------------------------------------------------------------------- results


@pytest.mark.parametrize(
    ("which", "path"),
    [
        (ResultSet.SUCCESSFUL, "successfulResults/"),
        (ResultSet.FAILED, "failedResults/"),
        (ResultSet.UNPROCESSED, "unprocessedrecords/"),
    ],
)
async def test_results_stream_from_the_documented_resource(which: ResultSet, path: str) -> None:
    csv_body = b'"sf__Id","sf__Error","Name"\n"","REQUIRED_FIELD_MISSING:x:Name --","A"\n'
    org = V2Org(
        ingest={V2_JOB: v2_job(V2_JOB, "ingest", JobState.JOB_COMPLETE)},
        results={f"{V2_JOB}/{which.value}": csv_body},
    )
    async with client_for(org.transport) as client:
        got = await collect(client.iter_results_v2(V2_JOB, which))
    assert got == csv_body
    (request,) = org.requests
    assert request.url.path == f"{DATA}/jobs/ingest/{V2_JOB}/{path}"
    assert request.headers["Accept"] == "text/csv"


async def test_results_of_an_unknown_job_are_the_servers_not_found() -> None:
    async with client_for(V2Org().transport) as client:
        with pytest.raises(ApiError) as caught:
            await collect(client.iter_results_v2(UNKNOWN, ResultSet.FAILED))
    assert caught.value.status == 404 and caught.value.code == "NOT_FOUND"


async def test_gzip_results_come_out_in_bounded_pieces_however_they_expand() -> None:
    plain = b"x" * (20 * 1024 * 1024)
    body = gzip.compress(gzip.compress(plain))  # gzip, gzip: each layer inflated with a limit
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200,
            content=body,
            headers={"Content-Type": "text/csv", "Content-Encoding": "gzip, gzip"},
        )
    )
    sizes = []
    async with client_for(transport) as client:
        async for piece in client.iter_results_v2(V2_JOB, ResultSet.FAILED):
            sizes.append(len(piece))
    assert sum(sizes) == len(plain) and max(sizes) <= PIECE_BYTES


async def test_three_layers_of_compression_are_refused() -> None:
    body = gzip.compress(gzip.compress(gzip.compress(b"a,b\n")))
    transport = httpx.MockTransport(
        lambda request: streamed(body, **{"Content-Encoding": "gzip, gzip, gzip"})
    )
    async with client_for(transport) as client:
        with pytest.raises(ResponseFormatError, match="encoded 3 times"):
            await collect(client.iter_results_v2(V2_JOB, ResultSet.FAILED))


async def test_a_stream_that_breaks_midway_says_so() -> None:
    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b'"sf__Id","sf__Error"\n'
            raise httpx.ReadError("connection reset by peer")

    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=Broken()))
    async with client_for(transport) as client:
        with pytest.raises(TransportError, match="stream broke after 21 bytes"):
            await collect(client.iter_results_v2(V2_JOB, ResultSet.FAILED))


async def test_a_truncated_gzip_stream_is_a_broken_stream() -> None:
    body = gzip.compress(b"a,b\n" * 1000)[:-20]
    transport = httpx.MockTransport(lambda request: streamed(body, **{"Content-Encoding": "gzip"}))
    async with client_for(transport) as client:
        with pytest.raises(TransportError, match="ended in the middle"):
            await collect(client.iter_results_v2(V2_JOB, ResultSet.FAILED))


async def test_an_expired_session_before_the_stream_is_renewed_once() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["Authorization"])
        if len(calls) == 1:
            error = {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
            return json_response([error], 401)
        return streamed(b"a\n1\n", **{"Content-Type": "text/csv"})

    async def reauthenticate() -> Connection:
        return Connection(INSTANCE, SESSION + "fresh")

    clock = FakeClock()
    policy = RetryPolicy(sleep=clock.sleep, clock=clock.clock, random=lambda: 0.5)
    client = BulkClient(
        Connection(INSTANCE, SESSION),
        transport=httpx.MockTransport(handler),
        retry=policy,
        reauthenticate=reauthenticate,
    )
    async with client:
        assert await collect(client.iter_results_v2(V2_JOB, ResultSet.SUCCESSFUL)) == b"a\n1\n"
    assert calls == [f"Bearer {SESSION}", f"Bearer {SESSION}fresh"]


async def test_query_results_follow_the_locator_and_keep_one_header() -> None:
    org = V2Org(
        query={V2_QUERY: v2_job(V2_QUERY, "query", JobState.JOB_COMPLETE)},
        pages=[
            (b'"Id","Name"\n"001A","Ada"\n', "MTAwMDA-1"),
            (b'"Id","Name"\n"001B","Multi\nline"\n', "MTAwMDA-2"),
            (b'"Id","Name"\n"001C","Cy"\n', "null"),
        ],
    )
    async with client_for(org.transport) as client:
        got = await collect(client.iter_query_results_v2(V2_QUERY, max_records=1))
    assert got == b'"Id","Name"\n"001A","Ada"\n"001B","Multi\nline"\n"001C","Cy"\n'
    params = [dict(r.url.params) for r in org.requests]
    assert params == [
        {"maxRecords": "1"},
        {"maxRecords": "1", "locator": "MTAwMDA-1"},
        {"maxRecords": "1", "locator": "MTAwMDA-2"},
    ]
    assert {r.url.path for r in org.requests} == {f"{DATA}/jobs/query/{V2_QUERY}/results"}


async def test_a_locator_that_repeats_is_refused() -> None:
    org = V2Org(
        query={V2_QUERY: v2_job(V2_QUERY, "query", JobState.JOB_COMPLETE)},
        pages=[(b'"Id"\n"001A"\n', "L-1"), (b'"Id"\n"001B"\n', "L-1")],
    )
    async with client_for(org.transport) as client:
        with pytest.raises(ResponseFormatError, match="repeat the page"):
            await collect(client.iter_query_results_v2(V2_QUERY))
    assert len(org.requests) == 2  # the second page names itself again: not asked a third time


async def test_query_pages_are_capped() -> None:
    pages = [(b'"Id"\n"001"\n', f"L-{i + 1}") for i in range(10)]
    org = V2Org(query={V2_QUERY: v2_job(V2_QUERY, "query", JobState.JOB_COMPLETE)}, pages=pages)
    async with client_for(org.transport) as client:
        v2 = V2Jobs(client._x)
        with pytest.raises(ResponseFormatError, match="past 3 pages"):
            await collect(v2.query_results(V2_QUERY, max_pages=3))
    assert len(org.requests) == 3


async def test_list_rows_keep_their_job_type() -> None:
    rows = [
        v2_wire(v1_job()) | {"jobType": "Classic"},
        v2_wire(v2_job(V2_JOB, "ingest", JobState.OPEN)),
    ]
    transport = httpx.MockTransport(
        lambda request: json_response({"done": True, "records": rows, "nextRecordsUrl": None})
    )
    async with client_for(transport) as client:
        jobs = {j.id: j for j in await client.list_jobs()}
    assert kind_of(jobs[V1_JOB]) is JobKind.V1 and jobs[V1_JOB].job_type is JobType.CLASSIC
    assert kind_of(jobs[V2_JOB]) is JobKind.V2_INGEST


async def test_a_transient_answer_before_the_stream_is_retried_like_any_get() -> None:
    answers = [
        httpx.Response(
            503, content=b"<html>maintenance</html>", headers={"Content-Type": "text/html"}
        ),
        httpx.Response(200, content=b"<html>still</html>", headers={"Content-Type": "text/html"}),
        streamed(b'"sf__Id","sf__Error"\n', **{"Content-Type": "text/csv"}),
    ]
    clock = FakeClock()
    transport = httpx.MockTransport(lambda request: answers.pop(0))
    async with client_for(transport, clock) as client:
        got = await collect(client.iter_results_v2(V2_JOB, ResultSet.FAILED))
    assert got == b'"sf__Id","sf__Error"\n' and answers == []
    assert len(clock.sleeps) == 2  # two waits: the maintenance pages are not results


async def test_an_empty_404_is_not_the_apis_not_found() -> None:
    org = V2Org()

    def handler(request: httpx.Request) -> httpx.Response:
        if "/jobs/ingest/" in request.url.path:
            return httpx.Response(404)  # no body: a gateway's, not Salesforce's
        return org.handle(request)

    async with client_for(httpx.MockTransport(handler)) as client:
        with pytest.raises(BulkError, match="could not tell what job") as caught:
            await client.find_job(UNKNOWN)
    assert not isinstance(caught.value, JobNotFoundError)
