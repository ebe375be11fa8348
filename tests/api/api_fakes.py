"""MockTransport helpers: scripted answers and recorded requests (the clock that sleeps
instantly, ``FakeClock``, lives in tests/support/clock.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from bulktui.api import wire
from bulktui.api.enums import ContentType, JobState, Operation
from bulktui.api.models import JobInfo
from tests.support.clock import FakeClock

__all__ = [
    "BATCH_ID",
    "INSTANCE",
    "JOB_ID",
    "SESSION",
    "Answer",
    "FakeClock",
    "Script",
    "error_xml",
    "html",
    "job",
    "job_xml",
    "jsn",
    "xml",
]

SESSION = "00D5g000004SkLT!AQcAQH0dMHZfz9gRJ7Z9k2xsecretXYZ"
INSTANCE = "https://na1.example.my.salesforce.com"
JOB_ID = "7508Z00000QxJb2QAF"
BATCH_ID = "7518Z00000T3mWqQAJ"

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class Script:
    """Answers requests in order; records every request that reached the 'server'."""

    answers: list[Answer]
    requests: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.answers:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


def xml(body: str, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, content=body.encode(), headers={"Content-Type": "application/xml", **headers}
    )


def jsn(body: str, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, content=body.encode(), headers={"Content-Type": "application/json", **headers}
    )


def job(state: JobState = JobState.OPEN, **kw: object) -> JobInfo:
    fields: dict[str, object] = {
        "operation": Operation.INSERT,
        "object": "Account",
        "content_type": ContentType.CSV,
        "api_version": "64.0",
        "number_batches_total": 0,
        **kw,
    }
    return JobInfo(id=JOB_ID, state=state, **fields)  # type: ignore[arg-type]


def job_xml(state: JobState = JobState.OPEN, status: int = 200) -> httpx.Response:
    return xml(wire.job_info_xml(job(state)), status)


def error_xml(code: str, message: str, status: int = 400) -> httpx.Response:
    return xml(wire.error_xml(code, message), status)


def html(status: int = 503) -> httpx.Response:
    page = "<!DOCTYPE html><html><body>Salesforce is down for maintenance</body></html>"
    return httpx.Response(status, content=page.encode(), headers={"Content-Type": "text/html"})
