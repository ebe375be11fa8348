"""Bulk API 2.0 jobs: ingest and query, each under its own REST resource.

``BulkClient`` delegates here; this module maps the 2.0 resources (docs/wire-facts.md §6,
§6.1) to requests and answers to ``JobInfo``:

- ``/jobs/ingest[/{id}]``: create (POST, JSON), read (GET), mark upload complete or abort
  (PATCH ``{"state": …}``); ``/jobs/ingest/{id}/batches`` takes the CSV (PUT, 201);
  ``/jobs/ingest/{id}/successfulResults/``, ``failedResults/``, ``unprocessedrecords/`` are
  CSV streams.
- ``/jobs/query[/{id}]``: create, read, abort; ``/jobs/query/{id}/results`` is CSV in pages,
  the next one named by the ``Sforce-Locator`` header (the text ``null`` on the last page).

Errors are a JSON array ``[{"errorCode": …, "message": …}]``, read into ``ApiError`` by
``wire.parse_error`` like every other error body.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator

from bulktui.api import wire
from bulktui.api.enums import JobState, JobType, Operation, ResultSet
from bulktui.api.errors import ApiError, BulkError, ResponseFormatError
from bulktui.api.exchange import Exchanger, Reply
from bulktui.api.lifecycle import JobKind
from bulktui.api.models import JobInfo
from bulktui.api.paths import path_id
from bulktui.api.streams import open_stream

__all__ = ["MAX_QUERY_PAGES", "MAX_UPLOAD_BYTES", "V2Jobs", "resource_of"]

log = logging.getLogger("bulktui.api")

JSON_REQUEST = "application/json; charset=UTF-8"
CSV_REQUEST = "text/csv"
MAX_UPLOAD_BYTES = 150 * 1024 * 1024  # what one 2.0 job accepts in all
MAX_QUERY_PAGES = 100_000  # a result set of 100,000 pages is already absurd; a loop is worse
MAX_LOCATOR_CHARS = 200
MAX_HEADER_LINE_BYTES = 1024 * 1024  # a query page's column-name line

_RESOURCES: dict[JobKind, str] = {JobKind.V2_INGEST: "ingest", JobKind.V2_QUERY: "query"}
_TYPES: dict[JobKind, JobType] = {
    JobKind.V2_INGEST: JobType.V2_INGEST,
    JobKind.V2_QUERY: JobType.V2_QUERY,
}
_CREATE_AMBIGUITY = (
    "the job may or may not have been created; check the job list before creating it again"
)
_UPLOAD_AMBIGUITY = (
    "the data may or may not have been uploaded; check the job before uploading it again"
)


def resource_of(kind: JobKind) -> str:
    """``ingest`` or ``query``: the path segment of a 2.0 job of this kind."""
    if kind not in _RESOURCES:
        raise ValueError(f"{kind.value} is not a Bulk API 2.0 kind")
    return _RESOURCES[kind]


class V2Jobs:
    """The 2.0 resources of one org, over the client's exchanger."""

    def __init__(self, exchanger: Exchanger) -> None:
        self._x = exchanger

    # ----------------------------------------------------------------------- jobs

    async def get(self, job_id: str, kind: JobKind) -> JobInfo:
        reply = await self._x.exchange("GET", "data", _job_path(job_id, kind))
        return job_from_reply(reply.check(), kind)

    async def set_state(self, job_id: str, kind: JobKind, state: JobState) -> JobInfo:
        """PATCH the job's state. Resending is safe; a resend after an attempt that may have
        worked is answered INVALIDJOBSTATE, which a fresh GET then judges (as in 1.0)."""
        body = json.dumps({"state": state.value}).encode()
        reply = await self._x.exchange(
            "PATCH", "data", _job_path(job_id, kind), content=body, content_type=JSON_REQUEST
        )
        if reply.ok:
            return job_from_reply(reply, kind)
        error = reply.failure()
        if (
            isinstance(error, ApiError)
            and reply.maybe_applied_before
            and error.is_code("INVALIDJOBSTATE", "InvalidJobState")
        ):
            job = await self.get(job_id, kind)
            if _reached(job.state, state):
                log.info("job %s was already %s by an earlier attempt", job_id, state.value)
                return job
        raise error

    async def create_ingest(
        self,
        object: str,
        operation: str,
        *,
        external_id_field_name: str | None = None,
        line_ending: str | None = None,
        column_delimiter: str | None = None,
        assignment_rule_id: str | None = None,
    ) -> JobInfo:
        fields: dict[str, str] = {"object": object, "operation": operation, "contentType": "CSV"}
        optional = {
            "externalIdFieldName": external_id_field_name,
            "lineEnding": line_ending,
            "columnDelimiter": column_delimiter,
            "assignmentRuleId": assignment_rule_id,
        }
        fields.update({k: v for k, v in optional.items() if v})
        return await self._create(JobKind.V2_INGEST, fields)

    async def create_query(
        self, soql: str, operation: str = Operation.QUERY.value, **options: str
    ) -> JobInfo:
        """``options``: ``columnDelimiter``, ``lineEnding`` by wire name."""
        fields = {"operation": operation, "query": soql, "contentType": "CSV", **options}
        return await self._create(JobKind.V2_QUERY, fields)

    async def _create(self, kind: JobKind, fields: dict[str, str]) -> JobInfo:
        reply = await self._x.exchange(
            "POST",
            "data",
            f"/jobs/{resource_of(kind)}",
            content=json.dumps(fields).encode(),
            content_type=JSON_REQUEST,
            idempotent=False,
            ambiguity=_CREATE_AMBIGUITY,
        )
        return job_from_reply(reply.check(), kind)

    async def upload(self, job_id: str, data: bytes) -> None:
        """PUT the CSV into an Open ingest job. Never resent once it may have arrived: rows
        uploaded twice would be loaded twice."""
        if len(data) > MAX_UPLOAD_BYTES:
            raise BulkError(
                f"{len(data):,} bytes is more than the {MAX_UPLOAD_BYTES:,} a 2.0 job accepts; "
                "split the data across jobs"
            )
        reply = await self._x.exchange(
            "PUT",
            "data",
            _job_path(job_id, JobKind.V2_INGEST) + "/batches",
            content=data,
            content_type=CSV_REQUEST,
            idempotent=False,
            ambiguity=_UPLOAD_AMBIGUITY,
        )
        reply.check()

    # ----------------------------------------------------------------------- results

    async def results(self, job_id: str, which: ResultSet) -> AsyncIterator[bytes]:
        """One of an ingest job's result sets, as CSV bytes in pieces."""
        path = f"{_job_path(job_id, JobKind.V2_INGEST)}/{which.value}/"
        async with await open_stream(self._x, "data", path, what=which.value) as body:
            async for piece in body.pieces():
                yield piece

    async def query_results(
        self,
        job_id: str,
        *,
        max_records: int | None = None,
        max_pages: int = MAX_QUERY_PAGES,
    ) -> AsyncIterator[bytes]:
        """A query job's records as one CSV: every page in turn, each page after the first
        without its column-name line. At most ``max_pages`` pages; a locator that repeats is
        refused (a server in a loop would otherwise be asked forever)."""
        path = f"{_job_path(job_id, JobKind.V2_QUERY)}/results"
        locator: str | None = None
        seen: set[str] = set()
        for page in range(max_pages):
            params: dict[str, str] = {}
            if max_records is not None:
                params["maxRecords"] = str(max_records)
            if locator is not None:
                params["locator"] = locator
            async with await open_stream(
                self._x, "data", path, params=params or None, what="query results"
            ) as body:
                locator = _next_locator(body.headers.get("sforce-locator"))
                pieces = body.pieces()
                if page > 0:
                    pieces = _without_first_line(pieces)
                async for piece in pieces:
                    yield piece
            if locator is None:
                return
            if locator in seen:
                raise ResponseFormatError(f"the query results repeat the page {locator[:40]!r}")
            seen.add(locator)
        raise ResponseFormatError(f"the query results go on past {max_pages:,} pages; stopped")


def job_from_reply(reply: Reply, kind: JobKind) -> JobInfo:
    """A 2.0 JobInfo (JSON). The resource says the kind when the body does not: a 2.0 answer
    always comes back with ``job_type`` set, so ``lifecycle.kind_of`` is right."""
    if wire.detect_format(reply.content_type, reply.body) != "json":
        raise ResponseFormatError(f"expected a JSON job, got {reply.content_type or 'no type'}")
    job = wire.parse_job_info(reply.body, "json")
    if job.job_type is None:
        job = dataclasses.replace(job, job_type=_TYPES[kind])
    return job


def _job_path(job_id: str, kind: JobKind) -> str:
    return f"/jobs/{resource_of(kind)}/{path_id(job_id)}"


def _reached(now: JobState | None, wanted: JobState) -> bool:
    """Whether a job in state ``now`` shows that a request for ``wanted`` took effect."""
    if wanted is JobState.UPLOAD_COMPLETE:
        return now in (
            JobState.UPLOAD_COMPLETE,
            JobState.IN_PROGRESS,
            JobState.JOB_COMPLETE,
            JobState.FAILED,
        )
    return now == wanted


def _next_locator(value: str | None) -> str | None:
    """The ``Sforce-Locator`` header: the next page's locator, or None on the last page."""
    if value is None:
        return None
    value = value.strip()
    if not value or value.lower() == "null":
        return None
    if len(value) > MAX_LOCATOR_CHARS or not value.isprintable():
        raise ResponseFormatError("the query results name their next page with a bad locator")
    return value


async def _without_first_line(pieces: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The pieces less everything up to the first line feed (the header line of a page).
    Column names never hold a line break."""
    held = b""
    in_header = True
    async for piece in pieces:
        if not in_header:
            yield piece
            continue
        held += piece
        cut = held.find(b"\n")
        if cut < 0:
            if len(held) > MAX_HEADER_LINE_BYTES:
                raise ResponseFormatError("a query results page has no end to its header")
            continue
        in_header = False
        if cut + 1 < len(held):
            yield held[cut + 1 :]
        held = b""
