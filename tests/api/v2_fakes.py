"""A small org behind MockTransport that answers the Bulk API 2.0 resources the way the 2.0
developer guide shows them (JSON JobInfo with jobType, the JSON error array, 404 NOT_FOUND for an
unknown id, CSV results, Sforce-Locator paging), and 1.0 GETs the 1.0 way, so tests can give an
id of one kind to the path of another."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from bulktui.api import wire
from bulktui.api.enums import ContentType, JobState, JobType, Operation
from bulktui.api.models import JobInfo

V1_JOB = "7508Z00000QxJb2QAF"
V2_JOB = "7508Z00000QxJb3QAF"
V2_QUERY = "7508Z00000QxJb4QAF"
UNKNOWN = "7508Z00000QxJb5QAF"

NOT_FOUND = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]

_V2_PATH = re.compile(r"^/services/data/v64\.0/jobs/(ingest|query)(?:/(\w+))?(?:/(\w+))?/?$")
_V1_PATH = re.compile(r"^/services/async/64\.0/job/(\w+)$")


def v2_job(job_id: str, kind: str, state: JobState, **kw: Any) -> JobInfo:
    query = kind == "query"
    fields: dict[str, Any] = {
        "operation": Operation.QUERY if query else Operation.UPSERT,
        "object": "Account",
        "created_by_id": "0058Z000009Kr4TQAS",
        "state": state,
        "concurrency_mode": None,
        "content_type": ContentType.CSV,
        "api_version": "64.0",
        "job_type": JobType.V2_QUERY if query else JobType.V2_INGEST,
        "line_ending": "LF",
        "column_delimiter": "COMMA",
        "number_records_processed": 10,
        "retries": 0,
        "total_processing_time": 120,
    }
    if not query:
        fields |= {"number_records_failed": 2, "api_active_processing_time": 90}
        fields |= {"apex_processing_time": 0, "external_id_field_name": "Legacy_Key__c"}
    fields.update(kw)
    return JobInfo(id=job_id, **fields)


def v1_job(job_id: str = V1_JOB, state: JobState = JobState.CLOSED) -> JobInfo:
    return JobInfo(
        id=job_id,
        operation=Operation.INSERT,
        object="Account",
        state=state,
        content_type=ContentType.CSV,
        api_version="64.0",
        number_batches_total=1,
        number_batches_completed=1,
        number_batches_queued=0,
        number_batches_in_progress=0,
        number_batches_failed=0,
        number_records_processed=3,
        number_records_failed=1,
    )


class Chunks(httpx.AsyncByteStream):
    """A body sent in pieces, as over a network (``content=`` bodies are read at once)."""

    def __init__(self, body: bytes, size: int = 8192) -> None:
        self.body, self.size = body, size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.body), self.size):
            yield self.body[start : start + self.size]


def streamed(body: bytes, **headers: str) -> httpx.Response:
    return httpx.Response(200, stream=Chunks(body), headers=headers)


def json_response(data: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(data).encode(),
        headers={"Content-Type": "application/json;charset=UTF-8", **headers},
    )


def v2_wire(job: JobInfo, *, with_job_type: bool = True) -> dict[str, Any]:
    out = wire.job_list_row_dict(job)
    if not with_job_type:
        out.pop("jobType", None)
    return out


@dataclass
class V2Org:
    ingest: dict[str, JobInfo] = field(default_factory=dict)
    query: dict[str, JobInfo] = field(default_factory=dict)
    classic: dict[str, JobInfo] = field(default_factory=dict)
    results: dict[str, bytes] = field(default_factory=dict)  # "ID/failedResults" → CSV
    pages: list[tuple[bytes, str]] = field(default_factory=list)  # query pages (CSV, locator)
    requests: list[httpx.Request] = field(default_factory=list)
    uploaded: list[bytes] = field(default_factory=list)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        match = _V1_PATH.match(path)
        if match:
            job = self.classic.get(match[1])
            if job is None:
                body = wire.error_xml("InvalidJob", f"Unable to find job {match[1]}")
                return httpx.Response(
                    400, content=body.encode(), headers={"Content-Type": "application/xml"}
                )
            return httpx.Response(
                200,
                content=wire.job_info_xml(job).encode(),
                headers={"Content-Type": "application/xml"},
            )
        match = _V2_PATH.match(path)
        assert match, f"unexpected {request.method} {path}"
        resource, job_id, rest = match[1], match[2], match[3]
        assert request.headers["Authorization"].startswith("Bearer ")
        jobs = self.ingest if resource == "ingest" else self.query
        if job_id is None:
            assert request.method == "POST"
            return self._create(resource, json.loads(request.content))
        job = jobs.get(job_id)
        if job is None:
            return json_response(NOT_FOUND, 404)
        if rest is None and request.method == "GET":
            return json_response(v2_wire(job))
        if rest is None and request.method == "PATCH":
            return self._patch(jobs, job, json.loads(request.content)["state"])
        if rest == "batches" and request.method == "PUT":
            if job.state is not JobState.OPEN:
                error = {"errorCode": "INVALIDJOBSTATE", "message": "Job is not Open"}
                return json_response([error], 409)
            self.uploaded.append(request.content)
            return httpx.Response(201)
        if rest == "results" and resource == "query":
            return self._page(request)
        key = f"{job_id}/{rest}"
        if key in self.results:
            return streamed(self.results[key], **{"Content-Type": "text/csv"})
        return json_response(NOT_FOUND, 404)

    def _create(self, resource: str, data: dict[str, Any]) -> httpx.Response:
        if resource == "ingest":
            job = v2_job(
                V2_JOB,
                "ingest",
                JobState.OPEN,
                object=data["object"],
                content_url=f"services/data/v64.0/jobs/ingest/{V2_JOB}/batches",
                number_records_processed=None,
                number_records_failed=None,
            )
            self.ingest[job.id] = job
        else:
            job = v2_job(V2_QUERY, "query", JobState.UPLOAD_COMPLETE)
            self.query[job.id] = job
        return json_response(v2_wire(job))

    def _patch(self, jobs: dict[str, JobInfo], job: JobInfo, wanted: str) -> httpx.Response:
        state = JobState(wanted)
        allowed = {
            JobState.UPLOAD_COMPLETE: (JobState.OPEN,),
            JobState.ABORTED: (JobState.OPEN, JobState.UPLOAD_COMPLETE, JobState.IN_PROGRESS),
        }.get(state, ())
        if job.state not in allowed:
            verb = "Aborting" if state is JobState.ABORTED else "Closing"
            was = "Completed" if job.state is JobState.JOB_COMPLETE else str(job.state)
            error = {
                "errorCode": "INVALIDJOBSTATE",
                "message": f"{verb} already {was} Job not allowed",
            }
            return json_response([error], 400)
        jobs[job.id] = replace(job, state=state)
        return json_response(v2_wire(jobs[job.id]))

    def _page(self, request: httpx.Request) -> httpx.Response:
        locator = request.url.params.get("locator")
        index = 0 if locator is None else int(locator.rsplit("-", 1)[1])
        body, next_locator = self.pages[index]
        return streamed(
            body,
            **{
                "Content-Type": "text/csv",
                "Sforce-Locator": next_locator,
                "Sforce-NumberOfRecords": str(body.count(b"\n") - 1),
            },
        )
