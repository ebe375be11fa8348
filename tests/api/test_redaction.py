"""No session id or token ever reaches a log record."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection
from bulktui.api.lifecycle import JobKind
from bulktui.api.redact import MASK, redact, redact_headers
from tests.api.api_fakes import INSTANCE, JOB_ID, SESSION, Script, error_xml, job_xml

MakeClient = Callable[..., tuple[BulkClient, Script]]
FRESH = "fresh-opaque-emulator-token-1234"


async def test_no_secret_in_any_log_record(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def hook() -> Connection:
        return Connection(INSTANCE, FRESH)

    client, _ = make_client(
        httpx.ReadTimeout(f"timed out; sid={SESSION}"),
        error_xml("InvalidSessionId", f"Invalid session id {SESSION}"),
        job_xml(),
        job_xml(),
        reauthenticate=hook,
    )
    async with client:
        await client.get_job(JOB_ID, JobKind.V1)
        await client.get_job(JOB_ID, JobKind.V1)
        logging.getLogger("bulktui.api").exception("boom", exc_info=RuntimeError(FRESH))
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert caplog.records, "the client should have logged something"
    assert any("retry 1" in r.getMessage() for r in caplog.records)
    assert any("-> GET" in r.getMessage() for r in caplog.records)  # headers were logged...
    assert SESSION not in text and FRESH not in text  # ...redacted
    assert "AQcAQH0dMHZfz9g" not in text


async def test_httpx_request_lines_stay_out_of_info_logs(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client, _ = make_client(job_xml())
    async with client:
        await client.get_job(JOB_ID, JobKind.V1)
    assert not [r for r in caplog.records if r.name.startswith("httpx")]


@pytest.mark.parametrize(
    "text",
    [
        f"X-SFDC-Session: {SESSION}",
        f"Authorization: Bearer {SESSION}",
        f"https://x/?sid={SESSION}&a=1",
        f'{{"access_token": "{SESSION}"}}',
        f"<sessionId>{SESSION}</sessionId>",
        f"plain {SESSION} text",
        "refresh_token=5Aep861abcDEF.xyz&client_id=1",
        "password=hunter2&security_token=5Aep861abcDEF",
        "grant_type=jwt&assertion=eyJ5Aep861abcDEF.x.y",
    ],
)
def test_redact_masks_token_shapes(text: str) -> None:
    out = redact(text)
    assert SESSION not in out and "5Aep861abcDEF" not in out and MASK in out
    assert "hunter2" not in out


def test_redact_headers() -> None:
    headers = {"X-SFDC-Session": SESSION, "Authorization": "Bearer x", "Accept": "text/csv"}
    assert redact_headers(headers) == {
        "X-SFDC-Session": MASK,
        "Authorization": MASK,
        "Accept": "text/csv",
    }
