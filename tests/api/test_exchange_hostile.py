"""Issue 12 items 4, 5, 8, 9 and 10 (transport side): what a hostile server cannot do to an
exchange. Scripted answers through MockTransport; streamed bodies are async generators, so
httpx hands them over undecoded, as a socket would."""

from __future__ import annotations

import asyncio
import gzip
import json
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from bulktui.api import wire
from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.enums import JobState
from bulktui.api.errors import (
    AmbiguousResultError,
    ApiError,
    ResponseFormatError,
    TransportError,
)
from bulktui.api.ids import make_id
from bulktui.api.lifecycle import JobKind
from bulktui.api.paging import PageGuard
from bulktui.api.retry import RetryPolicy, parse_retry_after
from tests.api.api_fakes import JOB_ID, FakeClock, Script, error_xml, job, job_xml, jsn, xml

MakeClient = Callable[..., tuple[BulkClient, Script]]
HUGE_LIMIT = "api-usage=" + "9" * 5000 + "/15000"


def _streamed(body: bytes, chunk: int = 16 * 1024) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        for start in range(0, len(body), chunk):
            yield body[start : start + chunk]

    return gen()


def _encoded(body: bytes, encoding: str, ctype: str = "application/xml") -> httpx.Response:
    return httpx.Response(
        200,
        content=_streamed(body),
        headers={"Content-Type": ctype, "Content-Encoding": encoding},
    )


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    "headers",
    [
        {"Sforce-Limit-Info": HUGE_LIMIT},
        {"Sforce-Limit-Info": "api-usage=\u0663/\u0663"},  # Arabic-Indic digits
        {"Retry-After": "\u00b2"},
        {"Content-Length": "\u00b2"},
    ],
    ids=["limit-5000-digits", "limit-unicode-digits", "retry-after-superscript", "length"],
)
async def test_an_unreadable_header_never_fails_an_exchange(
    make_client: MakeClient, headers: dict[str, str]
) -> None:
    body = wire.job_info_xml(job()).encode()
    raw = {
        b"Content-Type": b"application/xml",
        **{k.encode(): v.encode() for k, v in headers.items()},
    }
    client, _ = make_client(httpx.Response(201, content=_streamed(body), headers=raw))
    async with client:
        created = await client.create_job("Account", "insert")
    assert created.id == JOB_ID and client.api_usage is None


async def test_retry_after_superscript_two_is_no_opinion_on_a_retried_get(
    make_client: MakeClient, fake_clock: FakeClock
) -> None:
    busy = httpx.Response(503, headers={b"Retry-After": "\u00b2".encode()})
    client, _ = make_client(busy, job_xml())
    async with client:
        assert (await client.get_job(JOB_ID, JobKind.V1)).id == JOB_ID
    assert fake_clock.sleeps == [0.25]


@pytest.mark.parametrize("value", ["\u00b2", "9" * 5000, "Fri, 31 Dec 9999 23:59:59 GMT", "x" * 99])
def test_parse_retry_after_never_raises(value: str) -> None:
    got = parse_retry_after(value)
    assert got is None or 0 <= got <= 24 * 3600


# --------------------------------------------------------------------------- actions


@pytest.mark.parametrize(
    "answer",
    [
        jsn(f'{{"id":"{JOB_ID}","state":"Open","numberBatchesTotal":Infinity}}', 201),
        xml("<jobInfo><id>" + JOB_ID, 201),  # truncated
        httpx.Response(
            201,
            content=_streamed(b"\x1f\x8bnot gzip"),
            headers={"Content-Type": "application/xml", "Content-Encoding": "gzip"},
        ),
    ],
    ids=["infinity", "truncated", "bad-gzip"],
)
async def test_a_created_job_whose_answer_cannot_be_read_is_ambiguous(
    make_client: MakeClient, answer: httpx.Response
) -> None:
    client, script = make_client(answer)
    async with client:
        with pytest.raises(AmbiguousResultError, match="may or may not have been created"):
            await client.create_job("Account", "insert")
    assert len(script.requests) == 1


@pytest.mark.parametrize("method", ["close_job", "abort_job"])
async def test_a_state_change_whose_answer_cannot_be_read_is_ambiguous(
    make_client: MakeClient, method: str
) -> None:
    client, _ = make_client(xml("<jobInfo><id>" + JOB_ID, 200))
    async with client:
        with pytest.raises(AmbiguousResultError, match="may or may not have been"):
            await getattr(client, method)(JOB_ID)


async def test_an_abort_reset_after_sending_every_time_is_ambiguous_not_unreachable(
    make_client: MakeClient,
) -> None:
    reset = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    client, script = make_client(*[reset] * 5)
    async with client:
        with pytest.raises(AmbiguousResultError, match="may or may not have been aborted"):
            await client.abort_job(JOB_ID)
    assert len(script.requests) == 5  # idempotent: still retried


async def test_an_abort_that_never_left_is_still_could_not_reach(make_client: MakeClient) -> None:
    client, _ = make_client(*[httpx.ConnectError("refused")] * 5)
    async with client:
        with pytest.raises(TransportError, match="could not reach"):
            await client.abort_job(JOB_ID)


async def test_the_servers_own_refusal_stays_a_definite_answer(make_client: MakeClient) -> None:
    client, _ = make_client(error_xml("InvalidJob", "no such job"))
    async with client:
        with pytest.raises(ApiError, match="InvalidJob") as caught:
            await client.abort_job(JOB_ID)
    assert not isinstance(caught.value, AmbiguousResultError)


# --------------------------------------------------------------------------- decoded size cap


def _bomb(decoded: int) -> bytes:
    return gzip.compress(gzip.compress(b"\0" * decoded, 9), 9)


async def test_a_gzip_gzip_bomb_is_stopped_at_the_cap_while_decoding(
    make_client: MakeClient,
) -> None:
    bomb = _bomb(200 * 1024 * 1024)  # 200 MiB of zeros in a few kB
    assert len(bomb) < 64 * 1024
    client, _ = make_client(_encoded(bomb, "gzip, gzip"), max_body_bytes=1024 * 1024)
    tracemalloc.start()
    try:
        async with client:
            with pytest.raises(ResponseFormatError, match="over the 1,048,576-byte cap"):
                await client.get_job(JOB_ID, JobKind.V1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024, peak  # httpx alone decodes all 200 MiB at once


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
        ("gzip, deflate", lambda b: zlib.compress(gzip.compress(b))),
        ("identity", lambda b: b),
    ],
    ids=["gzip", "deflate", "raw-deflate", "gzip-then-deflate", "identity"],
)
async def test_encoded_bodies_still_decode(
    make_client: MakeClient, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    body = wire.job_info_xml(job()).encode()
    client, _ = make_client(_encoded(encode(body), encoding))
    async with client:
        assert (await client.get_job(JOB_ID, JobKind.V1)).id == JOB_ID


async def test_an_encoding_we_did_not_ask_for_is_refused(make_client: MakeClient) -> None:
    client, script = make_client(_encoded(b"whatever", "br"))
    async with client:
        with pytest.raises(ResponseFormatError, match="unsupported Content-Encoding"):
            await client.get_job(JOB_ID, JobKind.V1)
    assert script.requests[0].headers["accept-encoding"] == "gzip, deflate"


# --------------------------------------------------------------------------- deadline


def _trickle(request: httpx.Request) -> httpx.Response:
    async def slowly() -> AsyncIterator[bytes]:
        yield b"<jobInfo>"
        while True:
            await asyncio.sleep(0.05)  # never a read timeout: a byte keeps arriving
            yield b" "

    return httpx.Response(200, content=slowly(), headers={"Content-Type": "application/xml"})


async def test_a_trickling_server_meets_the_exchange_deadline(fake_clock: FakeClock) -> None:
    policy = RetryPolicy(exchange_deadline=0.3, sleep=fake_clock.sleep, clock=fake_clock.clock)
    script = Script([_trickle])
    client = BulkClient(Connection("https://x.example.com", "s"), script.transport, retry=policy)
    async with client:
        with pytest.raises(TransportError, match="no complete answer within"):
            await client.get_job(JOB_ID, JobKind.V1)


async def test_a_trickling_answer_to_a_create_is_ambiguous(fake_clock: FakeClock) -> None:
    policy = RetryPolicy(exchange_deadline=0.3, sleep=fake_clock.sleep, clock=fake_clock.clock)
    script = Script([_trickle])
    client = BulkClient(Connection("https://x.example.com", "s"), script.transport, retry=policy)
    async with client:
        with pytest.raises(AmbiguousResultError, match="may or may not have been created"):
            await client.create_job("Account", "insert")


# --------------------------------------------------------------------------- pages


def _endless_pages(request: httpx.Request) -> httpx.Response:
    n = len(request.url.query) + len(request.url.path)
    row = {"id": make_id("750", "5g", n), "state": "Open"}
    nxt = f"/services/data/v64.0/jobs/ingest?page={request.url.params.get('page', '0')}1"
    return jsn(json.dumps({"done": False, "records": [row], "nextRecordsUrl": nxt}))


async def test_endless_distinct_job_list_pages_stop_at_the_cap(make_client: MakeClient) -> None:
    client, script = make_client(*[_endless_pages] * 5, max_pages=5)
    async with client:
        with pytest.raises(ResponseFormatError, match="did not end after 5 pages"):
            await client.list_jobs(job_type="BigObjectIngest")
    assert len(script.requests) == 5


async def test_a_query_that_never_says_done_stops_at_the_cap(make_client: MakeClient) -> None:
    def page(request: httpx.Request) -> httpx.Response:
        nxt = f"/services/data/v64.0/query/01g-{len(script.requests)}"
        return jsn(json.dumps({"done": False, "records": [], "nextRecordsUrl": nxt}))

    client, script = make_client(*[page] * 3, max_pages=3)
    async with client:
        with pytest.raises(ResponseFormatError, match="query result did not end after 3"):
            await client.user_names([make_id("005", "5g", 1)])
    assert len(script.requests) == 3


def test_the_page_guard_refuses_a_repeat_and_counts_pages() -> None:
    guard = PageGuard("the 2.0 query results", max_pages=3)
    assert guard.next("locator-1") == "locator-1"
    with pytest.raises(ResponseFormatError, match="repeats the page locator-1"):
        guard.next("locator-1")
    guard.next("locator-2")
    with pytest.raises(ResponseFormatError, match="did not end after 3 pages"):
        guard.next("locator-3")


async def test_a_job_list_row_with_bad_values_does_not_fail_the_listing(
    make_client: MakeClient,
) -> None:
    rows = (
        '[{{"id":"{}","state":"Open","createdDate":"9999-12-31T00:00:00.000+0000"}},'
        '{{"id":"{}","state":"Open"}}]'.format(make_id("750", "5g", 1), make_id("750", "5g", 2))
    )
    client, _ = make_client(jsn(f'{{"done":true,"records":{rows}}}'))
    async with client:
        jobs = await client.list_jobs(job_type="BigObjectIngest")
    assert len(jobs) == 2 and "createdDate" in jobs[0].extra[wire.INVALID_MARK]
    assert jobs[1].state is JobState.OPEN


async def test_a_json_job_closed_by_its_15_character_id_is_closed_in_json(
    make_client: MakeClient,
) -> None:
    from bulktui.api.enums import ContentType

    opened = jsn(wire.job_info_json(job(content_type=ContentType.JSON)))
    closed = jsn(wire.job_info_json(job(JobState.CLOSED, content_type=ContentType.JSON)))
    client, script = make_client(opened, closed)
    async with client:
        await client.get_job(JOB_ID, JobKind.V1)
        await client.close_job(JOB_ID[:15])
    assert script.requests[1].headers["content-type"].startswith("application/json")


async def test_a_streamed_answer_is_left_unread_and_decodes_in_bounded_pieces(
    make_client: MakeClient,
) -> None:
    from bulktui.api.decoding import decoded_pieces

    body = b"Id,Name\n" + b"001,A\n" * 200_000
    client, script = make_client(
        _encoded(gzip.compress(gzip.compress(body)), "gzip, gzip", "text/csv")
    )
    async with client:
        reply = await client._x.exchange(
            "GET", "data", "/jobs/ingest/X/failedResults", stream=True, accept="text/csv"
        )
        assert reply.stream is not None and reply.body == b""
        pieces = [piece async for piece in decoded_pieces(reply.stream)]
        await reply.stream.aclose()
    assert b"".join(pieces) == body and max(map(len, pieces)) <= 64 * 1024
    assert script.requests[0].headers["accept"] == "text/csv"
