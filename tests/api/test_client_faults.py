"""Fault sequences: transient failures, session expiry, ambiguity, bad bodies, the body cap."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.enums import JobState
from bulktui.api.errors import (
    AmbiguousResultError,
    ApiError,
    InvalidSessionError,
    ReauthenticationError,
    ResponseFormatError,
    TransportError,
)
from bulktui.api.lifecycle import JobKind
from bulktui.api.retry import RetryPolicy, parse_retry_after
from tests.api.api_fakes import (
    BATCH_ID,
    INSTANCE,
    JOB_ID,
    SESSION,
    FakeClock,
    Script,
    error_xml,
    html,
    job_xml,
    jsn,
    xml,
)

MakeClient = Callable[..., tuple[BulkClient, Script]]
FRESH = "00D5g000004SkLT!FRESHsessionFRESHsession"
EXPIRED_V1 = error_xml("InvalidSessionId", "Invalid session id")
EXPIRED_V2 = '[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]'
EMPTY_LIST = '{"done":true,"records":[],"nextRecordsUrl":null}'


def _read_timeout() -> httpx.ReadTimeout:
    return httpx.ReadTimeout("timed out")


# --------------------------------------------------------------------------- transient GETs


@pytest.mark.parametrize(
    "fault",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.Response(503, content=b""),
        html(503),
        html(200),
        xml("<error><exceptionCode>InternalServerError</exceptionCode></error>", 500),
    ],
    ids=["connect", "read-timeout", "reset", "503", "html-503", "html-200", "500-xml"],
)
async def test_get_retries_transient_failures(
    make_client: MakeClient, fake_clock: FakeClock, fault: httpx.Response | Exception
) -> None:
    client, script = make_client(fault, fault, job_xml())
    async with client:
        got = await client.get_job(JOB_ID, JobKind.V1)
    assert got.id == JOB_ID
    assert len(script.requests) == 3 and client.requests_sent == 3
    # full jitter with random()=0.5: half of 0.5 s, then half of 1 s
    assert fake_clock.sleeps == [0.25, 0.5]


async def test_get_gives_up_after_max_attempts(
    make_client: MakeClient, fake_clock: FakeClock
) -> None:
    client, script = make_client(*[httpx.Response(503)] * 5)
    async with client:
        with pytest.raises(TransportError, match=r"HTTP 503 \(after 5 attempts\)"):
            await client.get_job(JOB_ID, JobKind.V1)
    assert len(script.requests) == 5 and len(fake_clock.sleeps) == 4


async def test_get_gives_up_when_the_time_budget_is_spent(fake_clock: FakeClock) -> None:
    script = Script([httpx.Response(503)] * 10)
    policy = RetryPolicy(
        max_attempts=10,
        base_delay=4,
        max_delay=8,
        total_budget=10,
        sleep=fake_clock.sleep,
        clock=fake_clock.clock,
        random=lambda: 1.0,
    )
    client = BulkClient(Connection(INSTANCE, SESSION), transport=script.transport, retry=policy)
    async with client:
        with pytest.raises(TransportError):
            await client.get_job(JOB_ID, JobKind.V1)
    assert fake_clock.sleeps == [4, 8][:1]  # 4 s fits in 10 s; 4 + 8 would not
    assert fake_clock.now <= 10


async def test_the_maintenance_page_ends_as_a_format_error(make_client: MakeClient) -> None:
    client, _ = make_client(*[html(503)] * 5)
    async with client:
        with pytest.raises(ResponseFormatError, match="HTML page"):
            await client.get_job(JOB_ID, JobKind.V1)


async def test_retry_after_is_honoured(make_client: MakeClient, fake_clock: FakeClock) -> None:
    client, _ = make_client(httpx.Response(503, headers={"Retry-After": "3"}), job_xml())
    async with client:
        await client.get_job(JOB_ID, JobKind.V1)
    assert fake_clock.sleeps == [3.0]


def test_retry_after_forms() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=lambda: 1445412470.0) == 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_full_jitter_stays_under_the_cap() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=8, random=lambda: 0.999)
    assert [round(policy.delay(n), 2) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 7.99, 7.99]
    assert RetryPolicy(random=lambda: 0.0).delay(1) == 0.0


async def test_client_errors_are_not_retried(make_client: MakeClient) -> None:
    client, script = make_client(error_xml("InvalidUser", "The job belongs to another user"))
    async with client:
        with pytest.raises(ApiError) as caught:
            await client.get_job(JOB_ID, JobKind.V1)
    assert caught.value.code == "InvalidUser" and caught.value.status == 400
    assert len(script.requests) == 1


async def test_certificate_failures_are_not_retried(make_client: MakeClient) -> None:
    import ssl

    error = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    error.__cause__ = ssl.SSLCertVerificationError("self-signed certificate")
    client, script = make_client(error)
    async with client:
        with pytest.raises(TransportError, match=r"certificate verification failed.*ca-bundle"):
            await client.get_job(JOB_ID, JobKind.V1)
    assert len(script.requests) == 1


# --------------------------------------------------------------------------- non-idempotent


@pytest.mark.parametrize(
    "fault",
    [
        httpx.ReadTimeout("timed out"),
        httpx.WriteTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
        httpx.Response(500),
        httpx.Response(503),
        html(503),
    ],
    ids=["read-timeout", "write-timeout", "disconnect", "reset", "500", "503", "html"],
)
async def test_create_job_after_sending_is_ambiguous_and_not_resent(
    make_client: MakeClient, fault: httpx.Response | Exception
) -> None:
    client, script = make_client(fault, job_xml(status=201))
    async with client:
        with pytest.raises(AmbiguousResultError, match="may or may not have been created"):
            await client.create_job("Account", "insert")
    assert len(script.requests) == 1


async def test_add_batch_after_sending_is_ambiguous(make_client: MakeClient) -> None:
    client, script = make_client(_read_timeout())
    async with client:
        with pytest.raises(AmbiguousResultError, match="batch may or may not have been added"):
            await client.add_batch(JOB_ID, b"Name\nA\n", "CSV")
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    "fault",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("t/o"), httpx.PoolTimeout("t/o")],
    ids=["connect-error", "connect-timeout", "pool-timeout"],
)
async def test_create_job_is_resent_when_nothing_was_sent(
    make_client: MakeClient, fault: Exception
) -> None:
    client, script = make_client(fault, job_xml(status=201))
    async with client:
        got = await client.create_job("Account", "insert")
    assert got.id == JOB_ID and len(script.requests) == 2


# --------------------------------------------------------------------------- close / abort


@pytest.mark.parametrize(
    ("method", "state", "message"),
    [
        ("close_job", JobState.CLOSED, "Closing already closed Job not allowed"),
        ("abort_job", JobState.ABORTED, "Aborting already aborted Job not allowed"),
    ],
)
async def test_a_resent_state_change_that_already_worked_is_success(
    make_client: MakeClient, method: str, state: JobState, message: str
) -> None:
    client, script = make_client(
        _read_timeout(), error_xml("InvalidJobState", message), job_xml(state)
    )
    async with client:
        got = await getattr(client, method)(JOB_ID)
    assert got.state is state
    assert [r.method for r in script.requests] == ["POST", "POST", "GET"]


async def test_a_resent_close_refused_for_another_reason_is_raised(
    make_client: MakeClient,
) -> None:
    """The job was aborted by someone else meanwhile: GET shows Aborted, not Closed."""
    client, _ = make_client(
        _read_timeout(),
        error_xml("InvalidJobState", "Closing already aborted Job not allowed"),
        job_xml(JobState.ABORTED),
    )
    async with client:
        with pytest.raises(ApiError, match="Closing already aborted Job not allowed"):
            await client.close_job(JOB_ID)


async def test_a_first_answer_invalid_job_state_is_raised_without_a_get(
    make_client: MakeClient,
) -> None:
    client, script = make_client(
        error_xml("InvalidJobState", "Closing already aborted Job not allowed")
    )
    async with client:
        with pytest.raises(ApiError) as caught:
            await client.close_job(JOB_ID)
    assert caught.value.code == "InvalidJobState"
    assert str(caught.value) == "InvalidJobState: Closing already aborted Job not allowed"
    assert len(script.requests) == 1


async def test_after_a_connect_error_invalid_job_state_is_a_first_answer(
    make_client: MakeClient,
) -> None:
    """A connect error never reached the server, so the next answer is the first real one."""
    client, script = make_client(
        httpx.ConnectError("refused"),
        error_xml("InvalidJobState", "Closing already closed Job not allowed"),
    )
    async with client:
        with pytest.raises(ApiError, match="already closed"):
            await client.close_job(JOB_ID)
    assert len(script.requests) == 2


# --------------------------------------------------------------------------- session expiry


async def test_v1_session_expiry_reauthenticates_once_and_retries(
    make_client: MakeClient,
) -> None:
    calls = 0

    async def hook() -> Connection:
        nonlocal calls
        calls += 1
        return Connection(INSTANCE, FRESH)

    client, script = make_client(EXPIRED_V1, job_xml(), reauthenticate=hook)
    async with client:
        await client.get_job(JOB_ID, JobKind.V1)
        assert client.connection.session_id == FRESH
    assert calls == 1
    assert [r.headers["X-SFDC-Session"] for r in script.requests] == [SESSION, FRESH]


async def test_v2_session_expiry_reauthenticates(make_client: MakeClient) -> None:
    async def hook() -> Connection:
        return Connection("https://na2.example.my.salesforce.com", FRESH)

    client, script = make_client(jsn(EXPIRED_V2, 401), jsn(EMPTY_LIST), reauthenticate=hook)
    async with client:
        await client.list_jobs("BigObjectIngest")
    assert script.requests[1].headers["Authorization"] == f"Bearer {FRESH}"
    assert script.requests[1].url.host == "na2.example.my.salesforce.com"


async def test_session_expiry_on_create_is_resent(make_client: MakeClient) -> None:
    """A session error means the server refused the request, so resending cannot duplicate."""

    async def hook() -> Connection:
        return Connection(INSTANCE, FRESH)

    client, script = make_client(EXPIRED_V1, job_xml(status=201), reauthenticate=hook)
    async with client:
        await client.create_job("Account", "insert")
    assert len(script.requests) == 2


async def test_five_concurrent_expiries_share_one_reauthentication() -> None:
    calls = 0
    release = asyncio.Event()

    async def hook() -> Connection:
        nonlocal calls
        calls += 1
        await release.wait()
        return Connection(INSTANCE, FRESH)

    arrived = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal arrived
        if request.headers["X-SFDC-Session"] == SESSION:
            arrived += 1
            if arrived == 5:
                asyncio.get_running_loop().call_soon(release.set)
            return EXPIRED_V1
        return job_xml()

    client = BulkClient(
        Connection(INSTANCE, SESSION), transport=httpx.MockTransport(handler), reauthenticate=hook
    )
    async with client:
        jobs = await asyncio.gather(*(client.get_job(JOB_ID, JobKind.V1) for _ in range(5)))
    assert len(jobs) == 5 and calls == 1
    assert client.requests_sent == 10


async def test_without_a_hook_the_session_error_is_raised(make_client: MakeClient) -> None:
    client, _ = make_client(EXPIRED_V1)
    async with client:
        with pytest.raises(InvalidSessionError, match="InvalidSessionId: Invalid session id"):
            await client.get_job(JOB_ID, JobKind.V1)


async def test_a_failing_hook_is_a_reauthentication_error_shared_by_waiters() -> None:
    calls = 0

    async def hook() -> Connection:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        raise RuntimeError(f"refresh failed for token {FRESH}")

    client = BulkClient(
        Connection(INSTANCE, SESSION),
        transport=httpx.MockTransport(lambda r: EXPIRED_V1),
        reauthenticate=hook,
    )
    async with client:
        results = await asyncio.gather(
            *(client.get_job(JOB_ID, JobKind.V1) for _ in range(3)), return_exceptions=True
        )
    assert calls == 1
    assert all(isinstance(r, ReauthenticationError) for r in results)
    assert all(FRESH not in str(r) for r in results)
    assert "signing in again failed" in str(results[0])


async def test_a_hook_that_says_its_fix_is_passed_on_in_its_own_words() -> None:
    """The profile's sign-in names the exact command that fixes it: the client adds no
    preamble, and the flag travels, so nobody adds advice that contradicts it."""

    async def hook() -> Connection:
        raise ReauthenticationError(
            "getting a token from the Salesforce CLI failed for profile 'ops': expired. "
            "To fix it, run: sf org login web --alias ops",
            says_fix=True,
        )

    client = BulkClient(
        Connection(INSTANCE, SESSION),
        transport=httpx.MockTransport(lambda r: EXPIRED_V1),
        reauthenticate=hook,
    )
    async with client:
        with pytest.raises(ReauthenticationError) as raised:
            await client.get_job(JOB_ID, JobKind.V1)
    assert raised.value.says_fix
    assert str(raised.value).startswith("getting a token from the Salesforce CLI failed")


async def test_a_fresh_session_refused_again_is_not_looped(make_client: MakeClient) -> None:
    calls = 0

    async def hook() -> Connection:
        nonlocal calls
        calls += 1
        return Connection(INSTANCE, FRESH)

    client, script = make_client(EXPIRED_V1, EXPIRED_V1, reauthenticate=hook)
    async with client:
        with pytest.raises(InvalidSessionError):
            await client.get_job(JOB_ID, JobKind.V1)
    assert calls == 1 and len(script.requests) == 2


# --------------------------------------------------------------------------- bodies


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (xml('<?xml version="1.0"?><jobInfo xmlns="x"><id>7508Z0'), "malformed XML"),
        (jsn('{"id": "7508Z00000QxJb2QAF", "state"'), "malformed JSON"),
        (
            httpx.Response(200, content=b"id,state\n", headers={"Content-Type": "text/csv"}),
            "unexpected response content type",
        ),
        (xml("<batchInfo><id>751</id></batchInfo>"), "expected XML <jobInfo>"),
        (html(404), "HTML page"),
        (httpx.Response(302, headers={"Location": "https://login.salesforce.com/"}), "redirect"),
    ],
    ids=["truncated-xml", "truncated-json", "csv", "wrong-root", "html-404", "redirect"],
)
async def test_unexpected_bodies_are_format_errors(
    make_client: MakeClient, answer: httpx.Response, match: str
) -> None:
    client, _ = make_client(answer)
    async with client:
        with pytest.raises((ResponseFormatError, ApiError), match=match):
            await client.get_job(JOB_ID, JobKind.V1)


async def test_the_body_cap_stops_reading(make_client: MakeClient) -> None:
    chunks_read = 0

    async def stream():  # type: ignore[no-untyped-def]
        nonlocal chunks_read
        for _ in range(1000):
            chunks_read += 1
            yield b"x" * 1024

    client, _ = make_client(
        lambda r: httpx.Response(200, content=stream(), headers={"Content-Type": "text/csv"}),
        max_body_bytes=10 * 1024,
    )
    async with client:
        with pytest.raises(ResponseFormatError, match="cap"):
            await client.get_query_result(JOB_ID, BATCH_ID, "75228000000YhJP")
    assert chunks_read <= 12


async def test_a_declared_oversized_body_is_refused_unread(make_client: MakeClient) -> None:
    client, _ = make_client(
        httpx.Response(200, content=b"x" * 100, headers={"Content-Length": "100"}),
        max_body_bytes=99,
    )
    async with client:
        with pytest.raises(ResponseFormatError, match="over the 99-byte cap"):
            await client.get_batch_request(JOB_ID, BATCH_ID)
