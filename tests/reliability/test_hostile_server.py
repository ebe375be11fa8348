"""The second fault matrix (issue 12): a hostile HTTP server on loopback that is not the
emulator (tests/reliability/hostile_server.py), against the real one-shot commands and the
client over real sockets. Each parametrized case is one probe; the README's Reliability
table counts them ("hostile servers")."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import json
import tracemalloc
from collections.abc import Callable

import httpx
import pytest

from bulktui.api import wire
from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.errors import ResponseFormatError, TransportError
from bulktui.api.ids import make_id
from bulktui.api.retry import RetryPolicy
from bulktui.auth.endpoints import soap_login
from bulktui.auth.errors import LoginTransportError
from tests.reliability.hostile_server import (
    Answer,
    HostileServer,
    Request,
    json_answer,
    xml_answer,
)

GOOD = make_id("750", "5g", 1)
BAD = make_id("750", "5g", 2)
USER = make_id("005", "5g", 1)
DATE = "2026-11-20T10:00:00.000+0000"
EMPTY_PAGE = '{"done":true,"records":[],"nextRecordsUrl":null}'
NO_USERS = '{"totalSize":0,"done":true,"records":[]}'
SESSION = "00Dhostile!session"


def _main(*argv: str) -> tuple[int, str, str]:
    from bulktui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _cli(server: HostileServer, *argv: str) -> tuple[int, str, str]:
    # The session in the environment, as the README says: never on the command line.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BULKTUI_SESSION_ID", SESSION)
        return _main(*argv, "--instance-url", server.url)


def _assert_one_clean_line(err: str) -> None:
    assert err.count("\n") == 1, err
    assert "internal error" not in err and "Traceback" not in err, err


def _listing(bad_row: str) -> Callable[[Request], Answer]:
    """A job list whose ingest page holds one good row and one hostile row."""
    good = json.dumps(
        {
            "id": GOOD,
            "object": "Account",
            "state": "Open",
            "createdDate": DATE,
            "createdById": USER,
            "operation": "insert",
            "jobType": "V2Ingest",
        }
    )
    page = f'{{"done":true,"nextRecordsUrl":null,"records":[{good},{bad_row}]}}'

    def route(request: Request) -> Answer:
        if "/jobs/ingest" in request.path:
            return json_answer(page)
        if "/jobs/query" in request.path:
            return json_answer(EMPTY_PAGE)
        return json_answer(NO_USERS)

    return route


# ------------------------------------------------------------------- values out of range

BAD_ROWS = {
    "counter 10**4000": '{{"id":"{}","numberRecordsProcessed":1{}}}'.format(BAD, "0" * 4000),
    "counter 5,000 digits": '{{"id":"{}","numberRecordsProcessed":{}}}'.format(BAD, "9" * 5000),
    "counter Infinity": f'{{"id":"{BAD}","numberRecordsProcessed":Infinity}}',
    "counter NaN": f'{{"id":"{BAD}","numberRecordsFailed":NaN}}',
    "negative counter": f'{{"id":"{BAD}","numberBatchesTotal":-5}}',
    "year 9999": f'{{"id":"{BAD}","createdDate":"9999-12-31T23:59:59.000+0000"}}',
    "malformed date": f'{{"id":"{BAD}","createdDate":"2026-02-30T99:00:00"}}',
    "400-digit apiVersion": '{{"id":"{}","apiVersion":{}}}'.format(BAD, "4" * 400),
    "100,000-deep JSON": '{{"id":"{}","x":{}}}'.format(BAD, "[" * 100_000 + "]" * 100_000),
    "deep JSON in a known field": '{{"id":"{}","object":{}}}'.format(
        BAD, '{"a":' * 5000 + "1" + "}" * 5000
    ),
}


@pytest.mark.parametrize("kind", BAD_ROWS)
def test_one_bad_row_keeps_the_job_list(kind: str) -> None:
    with HostileServer(_listing(BAD_ROWS[kind])) as server:
        code, out, err = _cli(server, "jobs")
        assert code == 0, err
        assert GOOD in out and BAD in out  # the bad row is kept, by its id
        code, out, err = _cli(server, "jobs", "--json")
    assert code == 0, err
    rows = {row["id"]: row for row in json.loads(out)}
    assert wire.INVALID_MARK not in rows[GOOD]
    assert rows[BAD][wire.INVALID_MARK]  # marked, in plain words


@pytest.mark.parametrize("case", ["15 characters", "lower-cased 18"])
def test_one_job_seen_under_two_spellings_of_its_id_is_one_row(case: str) -> None:
    other = GOOD[:15] if case == "15 characters" else GOOD.lower()
    # The 1.0-style listing row and the 2.0 one: the same job, two spellings.
    query_page = f'{{"done":true,"records":[{{"id":"{other}","state":"Open"}}]}}'

    def route(request: Request) -> Answer:
        if "/jobs/query" in request.path:
            return json_answer(query_page)
        return _listing(f'{{"id":"{BAD}","state":"Open"}}')(request)

    with HostileServer(route) as server:
        code, out, err = _cli(server, "jobs", "--json")
    assert code == 0, err
    assert sorted(row["id"] for row in json.loads(out)) == sorted([GOOD, BAD])


@pytest.mark.parametrize(
    "value",
    ["Infinity", "1" + "0" * 4000, '"9999-12-31T23:59:59.000Z"'],
    ids=["Infinity", "10**4000", "year-9999"],
)
def test_show_refuses_an_out_of_range_value_in_one_line(value: str) -> None:
    field = "createdDate" if "9999" in value else "numberRecordsProcessed"
    body = f'{{"id":"{GOOD}","state":"Open","{field}":{value}}}'
    with HostileServer(lambda request: json_answer(body)) as server:
        code, out, err = _cli(server, "show", GOOD)
    assert code == 1 and out == ""
    _assert_one_clean_line(err)
    assert field in err


# ------------------------------------------------------------------- actions never misreported

CREATED = f'{{"id":"{GOOD}","state":"Open","object":"Account","operation":"insert"'
OPEN_V1 = (
    f"<jobInfo><id>{GOOD}</id><operation>insert</operation><object>Account</object>"
    "<state>Open</state><contentType>CSV</contentType></jobInfo>"
)


def honest_lookups(
    action: Callable[[Request], Answer], v1_job: Answer | None = None
) -> Callable[[Request], Answer]:
    """Answer the look-ups truthfully (2.0 endpoints: not found; 1.0: an Open job, or
    ``v1_job``), so that the hostile answer meets the request under test, after it was sent."""

    def route(request: Request) -> Answer:
        if request.method == "GET" and request.path.startswith("/services/data/"):
            return json_answer('[{"errorCode":"NOT_FOUND","message":"no such job"}]', 404)
        if request.method == "GET":
            return v1_job or xml_answer(OPEN_V1)
        return action(request)

    return route

ACTIONS: dict[str, tuple[Callable[[Request], Answer], tuple[str, ...]]] = {
    "created, answer holds Infinity": (
        lambda r: json_answer(CREATED + ',"numberBatchesTotal":Infinity}', 201),
        ("create", "--object", "Account", "--operation", "insert", "--content-type", "JSON"),
    ),
    "created, answer truncated": (
        lambda r: xml_answer("<jobInfo><id>" + GOOD, 201),
        ("create", "--object", "Account", "--operation", "insert"),
    ),
    "created, 503 with Retry-After: \u00b2": (
        lambda r: Answer(503, [(b"Retry-After", "\u00b2".encode())]),
        ("create", "--object", "Account", "--operation", "insert"),
    ),
    "abort received, then a reset": (
        honest_lookups(lambda r: Answer(reset=True)),
        ("abort", GOOD, "--yes"),
    ),
    "aborted, answer truncated": (
        honest_lookups(lambda r: xml_answer("<jobInfo><id>" + GOOD, 200)),
        ("abort", GOOD, "--yes"),
    ),
}


@pytest.mark.parametrize("kind", ACTIONS)
def test_an_action_the_server_may_have_done_is_never_reported_as_not_done(kind: str) -> None:
    route, argv = ACTIONS[kind]
    with HostileServer(route) as server:
        code, out, err = _cli(server, *argv)
    assert code == 3 and out == ""  # 3: sent, outcome unknown (README, one-shot commands)
    _assert_one_clean_line(err)
    assert "may or may not" in err and "could not reach" not in err, err


def test_a_5000_digit_limit_header_on_a_create_is_ignored() -> None:
    answer = json_answer(CREATED + "}", 201)
    answer.headers.append((b"Sforce-Limit-Info", b"api-usage=" + b"9" * 5000 + b"/15000"))
    with HostileServer(lambda request: answer) as server:
        code, out, err = _cli(
            server,
            "create",
            "--object",
            "Account",
            "--operation",
            "insert",
            "--content-type",
            "JSON",
        )
    assert code == 0 and GOOD in out, err


# ------------------------------------------------------------------- bounds


def _client(server: HostileServer, **policy: float) -> BulkClient:
    retry = RetryPolicy(max_attempts=1, **policy)  # type: ignore[arg-type]
    return BulkClient(Connection(server.url, SESSION), retry=retry, max_pages=50)


def test_a_gzip_gzip_bomb_is_refused_at_the_cap_with_bounded_memory() -> None:
    bomb = gzip.compress(gzip.compress(b"{" * (256 * 1024 * 1024), 9), 9)
    answer = Answer(
        200,
        [(b"Content-Type", b"application/json"), (b"Content-Encoding", b"gzip, gzip")],
        bomb,
    )
    tracemalloc.start()
    try:
        with HostileServer(lambda request: answer) as server:
            code, _, err = _cli(server, "jobs")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 1
    _assert_one_clean_line(err)
    assert "cap" in err
    assert peak < 100 * 1024 * 1024, peak  # the cap is 64 MiB of decoded bytes


def test_a_trickling_body_meets_the_exchange_deadline() -> None:
    answer = Answer(200, [(b"Content-Type", b"application/json")], trickle=0.2)

    async def probe(server: HostileServer) -> None:
        async with _client(server, exchange_deadline=1.0) as client:
            with pytest.raises(TransportError, match="no complete answer within 1 s"):
                await client.list_jobs()

    with HostileServer(lambda request: answer) as server:
        asyncio.run(probe(server))


def test_endless_distinct_job_list_pages_stop_at_the_page_cap() -> None:
    def route(request: Request) -> Answer:
        if "/jobs/query" in request.path:
            return json_answer(EMPTY_PAGE)
        n = len(server.requests)
        link = f"/services/data/v64.0/jobs/ingest?p={n}"
        return json_answer(json.dumps({"done": False, "records": [], "nextRecordsUrl": link}))

    async def probe() -> None:
        async with _client(server) as client:
            with pytest.raises(ResponseFormatError, match="did not end after 50 pages"):
                await client.list_jobs()

    with HostileServer(route) as server:
        asyncio.run(probe())
    assert len(server.requests) <= 51  # 50 ingest pages and one query page


def test_a_query_that_never_says_done_stops_at_the_page_cap() -> None:
    def route(request: Request) -> Answer:
        n = len(server.requests)
        link = f"/services/data/v64.0/query/01g-{n}"
        return json_answer(json.dumps({"done": False, "records": [], "nextRecordsUrl": link}))

    async def probe() -> None:
        async with _client(server) as client:
            with pytest.raises(ResponseFormatError, match="did not end after 50 pages"):
                await client.user_names([USER])

    with HostileServer(route) as server:
        asyncio.run(probe())
    assert len(server.requests) == 50


# ------------------------------------------------------------------- XML in any encoding

SOAP_WITH_DTD = (
    '<?xml version="1.0" encoding="UTF-16"?>'
    '<!DOCTYPE e [<!ENTITY s "expanded-entity-session">]>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
    "<loginResponse><result><serverUrl>http://127.0.0.1/services/Soap/u/64.0</serverUrl>"
    "<sessionId>&s;</sessionId></result></loginResponse></soapenv:Body></soapenv:Envelope>"
)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_soap_login_answer_with_a_dtd_is_refused(codec: str) -> None:
    body = SOAP_WITH_DTD.encode(codec)
    answer = Answer(200, [(b"Content-Type", b"text/xml; charset=UTF-16")], body)

    async def probe(server: HostileServer) -> None:
        async with httpx.AsyncClient() as http:
            with pytest.raises(LoginTransportError) as caught:
                await soap_login(http, server.url, "64.0", "user@example.com", "pw")
        assert "expanded-entity-session" not in str(caught.value)

    with HostileServer(lambda request: answer) as server:
        asyncio.run(probe(server))


def test_a_utf16_job_info_with_a_dtd_is_refused() -> None:
    body = (
        f'<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE j [<!ENTITY i "{GOOD}">]>'
        "<jobInfo><id>&i;</id></jobInfo>"
    ).encode("utf-16")
    refuse = honest_lookups(lambda request: Answer(500), v1_job=xml_answer(body))
    with HostileServer(refuse) as server:
        code, out, err = _cli(server, "show", GOOD)
    assert code == 1 and out == ""
    _assert_one_clean_line(err)
    assert "DTD" in err
