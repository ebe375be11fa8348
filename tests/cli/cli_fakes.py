"""A tiny scripted org behind MockTransport, for CLI tests that need no emulator."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bulktui.api import wire
from bulktui.api.client import BulkClient
from bulktui.api.enums import BatchState, ContentType, JobState, JobType, Operation
from bulktui.api.models import BatchInfo, JobInfo
from bulktui.api.retry import RetryPolicy
from bulktui.cli import jobs_cmd
from tests.support.clock import no_sleep

URL = "https://org.example.my.salesforce.com"
SESSION = "00D5g000004SkLT!AQcAQH0dMHZfz9gRJ7Z9k2xsecretCLI"
JOB_A = "7508Z00000QxJb2QAF"
JOB_B = "7508Z00000QxJb3QAF"
BATCH = "7518Z00000T3mWqQAJ"
USER = "0058Z000009Kr4TQAS"
CONNECT = ["--instance-url", URL, "--session-id", SESSION]


def _job(job_id: str, obj: str, state: JobState, day: int) -> JobInfo:
    when = datetime(2026, 3, day, 9, 14, 7, tzinfo=UTC)
    return JobInfo(
        id=job_id,
        operation=Operation.INSERT,
        object=obj,
        created_by_id=USER,
        created_date=when,
        system_modstamp=when,
        state=state,
        concurrency_mode=None,
        content_type=ContentType.CSV,
        api_version="64.0",
        job_type=JobType.CLASSIC,
    )


@dataclass
class FakeOrg:
    jobs: dict[str, JobInfo] = field(
        default_factory=lambda: {
            JOB_A: _job(JOB_A, "Account", JobState.OPEN, 2),
            JOB_B: _job(JOB_B, "Contact\x1b[31m", JobState.CLOSED, 3),
        }
    )
    batches: list[BatchInfo] = field(
        default_factory=lambda: [
            BatchInfo(
                id=BATCH,
                job_id=JOB_A,
                state=BatchState.FAILED,
                state_message="InvalidBatch : bad\x1b]0;pwned\x07 header",
                number_records_processed=0,
                number_records_failed=0,
            )
        ]
    )
    requests: list[httpx.Request] = field(default_factory=list)
    reset_posts: bool = False  # every close/abort is received, then the connection drops

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path.endswith(("/jobs/ingest", "/jobs/query")):
            rows = [j.to_wire() for j in self.jobs.values()]
            return _json({"done": True, "records": rows, "nextRecordsUrl": None})
        if path.endswith("/query"):
            return _json({"done": True, "records": [{"Id": USER, "Name": "Ops \x1b[2J User"}]})
        if re.search(r"/jobs/(ingest|query)/\w+$", path):  # this org's jobs are all 1.0
            error = {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
            return httpx.Response(
                404,
                content=json.dumps([error]).encode(),
                headers={"Content-Type": "application/json"},
            )
        match = re.search(r"/job/(\w+)(/batch)?$", path)
        if match is None and path.endswith("/job"):
            data = request.content.decode()
            if "<object>Fail</object>" in data:
                return _xml(wire.error_xml("InvalidJob", "Unable to find object: Fail"), 400)
            job = _job(JOB_A, "Account", JobState.OPEN, 2)
            return _xml(wire.job_info_xml(job), 201)
        assert match is not None, path
        job = self.jobs.get(match.group(1))
        if job is None:
            return _xml(wire.error_xml("InvalidJob", f"Invalid job id: {match.group(1)}"), 400)
        if match.group(2):
            # JSON, as for a JSON job: XML 1.0 could not carry the ESC in the stateMessage.
            return httpx.Response(
                200,
                content=wire.batch_info_list_json(self.batches).encode(),
                headers={"Content-Type": "application/json"},
            )
        if request.method == "POST" and self.reset_posts:
            raise httpx.ReadError("connection reset by peer", request=request)
        if request.method == "POST":
            wanted = JobState(re.search(r"<state>(\w+)</state>", request.content.decode())[1])  # type: ignore[index]
            if job.state is JobState.ABORTED:
                verb = "Closing" if wanted is JobState.CLOSED else "Aborting"
                return _xml(
                    wire.error_xml("InvalidJobState", f"{verb} already aborted Job not allowed"),
                    400,
                )
            job = self.jobs[job.id] = _replace(job, state=wanted)
        return _xml(wire.job_info_xml(job))


def _replace(job: JobInfo, **kw: Any) -> JobInfo:
    from dataclasses import replace

    return replace(job, **kw)


def _json(data: Any) -> httpx.Response:
    return httpx.Response(
        200, content=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


def _xml(body: str, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, content=body.encode(), headers={"Content-Type": "application/xml"}
    )


def install(monkeypatch: pytest.MonkeyPatch, org: FakeOrg) -> None:
    """Make the commands' BulkClient talk to ``org``."""

    def factory(connection: Any, reauthenticate: Any = None) -> BulkClient:
        return BulkClient(
            connection,
            transport=httpx.MockTransport(org.handle),
            reauthenticate=reauthenticate,
            retry=RetryPolicy(sleep=no_sleep),
        )

    monkeypatch.setattr(jobs_cmd, "BulkClient", factory)


class Terminal(io.StringIO):
    """stdin that claims to be a terminal, with the user's answer pre-typed."""

    def isatty(self) -> bool:
        return True
