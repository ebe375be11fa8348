"""BulkClient: the async Bulk API client (1.0 and 2.0), plus the REST calls a job console needs.

Every 1.0 resource (docs/wire-facts.md §0), the 2.0 job listings (§5), the 2.0 jobs
themselves (through ``v2.V2Jobs``), who-am-I and user names. The rules for resending
requests (session renewal, transient failures, ambiguity) live in ``exchange.Exchanger``;
this module maps resources to requests and bodies to models, and turns any body that is not
what the request expects into ``ResponseFormatError``. Which endpoint a job id belongs to is
told by ``find_job`` (docs/wire-facts.md §6.2).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from bulktui.api import wire
from bulktui.api.connection import Connection, ReauthHook
from bulktui.api.enums import (
    ConcurrencyMode,
    ContentType,
    JobState,
    JobType,
    Operation,
    ResultSet,
)
from bulktui.api.errors import (
    ApiError,
    BulkError,
    InvalidSessionError,
    JobNotFoundError,
    QuotaExceededError,
    ReauthenticationError,
    ResponseFormatError,
)
from bulktui.api.exchange import Exchanger, Reply, Root, state_changing
from bulktui.api.ids import InvalidIdError, normalize_id, to18
from bulktui.api.lifecycle import JobAction, JobKind, kind_of, refusal
from bulktui.api.models import ApiUsage, BatchInfo, Identity, JobInfo, RecordResult
from bulktui.api.paging import MAX_PAGES, PageGuard
from bulktui.api.paths import path_id as _path_id
from bulktui.api.redact import install as install_log_redaction
from bulktui.api.retry import RetryPolicy
from bulktui.api.streams import open_stream
from bulktui.api.v2 import V2Jobs

if TYPE_CHECKING:
    import httpx

__all__ = ["BATCH_CONTENT_TYPES", "BulkClient", "RetryPolicy"]

log = logging.getLogger("bulktui.api")

XML_REQUEST = "application/xml; charset=UTF-8"
JSON_REQUEST = "application/json; charset=UTF-8"

# Reference §2.3: a batch's Content-Type must match its job's contentType.
BATCH_CONTENT_TYPES: dict[ContentType, str] = {
    ContentType.CSV: "text/csv; charset=UTF-8",
    ContentType.XML: XML_REQUEST,
    ContentType.JSON: JSON_REQUEST,
    ContentType.ZIP_CSV: "zip/csv",
    ContentType.ZIP_XML: "zip/xml",
    ContentType.ZIP_JSON: "zip/json",
}
_JSON_JOBS = (ContentType.JSON, ContentType.ZIP_JSON)

# Which job types each listing accepts as a jobType filter (docs/wire-facts.md §5).
_LIST_ENDPOINTS: dict[str, frozenset[str]] = {
    "ingest": frozenset({"BigObjectIngest", "Classic", "V2Ingest"}),
    "query": frozenset({"Classic", "V2Query", "V2Ingest"}),
}
USER_QUERY_BATCH = 100  # ids per SOQL IN (...) clause: keeps the URL well under 16 kB

MAX_KNOWN_KINDS = 100_000  # job ids whose kind find_job remembers
# find_job asks in this order: the 2.0 answers name their own jobType, so a 2.0 job is never
# taken for a 1.0 one; the 1.0 endpoint, asked last, then only ever sees ids 2.0 does not know.
FIND_ORDER: tuple[JobKind, ...] = (JobKind.V2_INGEST, JobKind.V2_QUERY, JobKind.V1)
# What an endpoint says when it does not know a job id: 1.0 InvalidJob (HTTP 400), 2.0 and
# REST NOT_FOUND (HTTP 404); INVALIDJOB and the id codes are accepted from 2.0 as well.
_NOT_FOUND_CODES = ("InvalidJob", "NOT_FOUND", "INVALID_ID", "MALFORMED_ID")

_CREATE_AMBIGUITY = (
    "the job may or may not have been created; check the job list before creating it again"
)
_BATCH_AMBIGUITY = (
    "the batch may or may not have been added; check the job's batches before adding it again"
)
_UPLOAD_AMBIGUITY = (
    "the data may or may not have been uploaded; check the job before uploading it again"
)
_CLOSE_AMBIGUITY = "the job may or may not have been closed; check its state"
_ABORT_AMBIGUITY = "the job may or may not have been aborted; check its state"


@dataclass(frozen=True, slots=True)
class ListedPage:
    """One page of a job listing. ``link`` fetched it (None: the listing's first page); pass
    it as ``list_job_pages(start=...)`` to read from this page again. ``next_link`` is the
    server's next page (None: the last)."""

    endpoint: str
    link: str | None
    rows: tuple[JobInfo, ...]
    next_link: str | None


class BulkClient:
    """An async client for one org session. Use ``async with BulkClient(...) as client``."""

    def __init__(
        self,
        connection: Connection,
        transport: httpx.AsyncBaseTransport | None = None,
        reauthenticate: ReauthHook | None = None,
        retry: RetryPolicy | None = None,
        *,
        timeout: float | httpx.Timeout | None = None,  # None: exchange.DEFAULT_TIMEOUT
        max_body_bytes: int = wire.MAX_BODY_BYTES,
        max_pages: int = MAX_PAGES,
    ) -> None:
        install_log_redaction()
        self._x = Exchanger(
            connection,
            transport=transport,
            reauthenticate=reauthenticate,
            retry=retry if retry is not None else RetryPolicy(),
            timeout=timeout,
            max_body_bytes=max_body_bytes,
        )
        self._job_formats: dict[str, ContentType] = {}  # job id → contentType, once seen
        self.max_pages = max_pages  # for every paged call (paging.PageGuard)
        self._v2 = V2Jobs(self._x)
        # job id → kind, from listing rows and answers: find_job asks that endpoint first.
        self._kinds: dict[str, JobKind] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._x.aclose()

    # ----------------------------------------------------------------------- state

    @property
    def connection(self) -> Connection:
        """The current connection (a re-authentication replaces it)."""
        return self._x.connection

    @property
    def api_usage(self) -> ApiUsage | None:
        """From the last ``Sforce-Limit-Info`` header seen (REST responses carry it)."""
        return self._x.api_usage

    @property
    def requests_sent(self) -> int:
        """HTTP requests tried so far, retries included (marks for ``fastest_reply_since``
        and ``retries_since``)."""
        return self._x.requests_sent

    @property
    def requests_reached(self) -> int:
        """Requests that reached a server, retries included: each one may count against the
        org's daily limit. A connection that could not be made (refused, no route, a connect
        timeout) sent nothing, and is not among them."""
        return self._x.requests_sent - self._x.requests_unreached

    def fastest_reply_since(self, mark: int) -> float | None:
        """Seconds the quickest request sent after ``mark`` (an earlier ``requests_sent``)
        took to be answered in full; None when none was answered since. A slow server shows
        in the quickest answer, not in one big page."""
        times = [t for n, t in self._x.reply_times if n > mark]
        return min(times) if times else None

    def retries_since(self, mark: int) -> tuple[int, str | None]:
        """How many requests sent after ``mark`` failed and were retried, and the last reason
        (one line, safe): a cycle that needed retries to succeed says so in the header."""
        failed = [why for n, why in self._x.retried if n > mark]
        return len(failed), (failed[-1] if failed else None)

    # ----------------------------------------------------------------------- jobs, any kind

    async def get_job(self, job_id: str, kind: JobKind | None = None) -> JobInfo:
        """The job's full JobInfo from the endpoint of its kind; ``None``: ``find_job``.

        When the endpoint of ``kind`` does not know the id (a 2.0 id given for a 1.0 job, or
        the reverse), the other endpoints are asked before anything is concluded, so the
        answer is the job as it is, or ``JobNotFoundError`` when no endpoint knows it."""
        if kind is None:
            return await self.find_job(job_id)
        try:
            job = await self._get_kind(job_id, kind)
        except BulkError as exc:
            if not _says_not_found(exc):
                raise
            others = tuple(k for k in FIND_ORDER if k is not kind)
            return await self._find(job_id, others, asked=1)
        return job

    async def find_job(self, job_id: str) -> JobInfo:
        """The job, from whichever endpoint knows it; the kind is not known beforehand.

        The endpoints are asked in ``FIND_ORDER``: 2.0 ingest, then 2.0 query, then 1.0. A
        2.0 answer names its own ``jobType``, so a 2.0 job can never pass for a 1.0 job; the
        1.0 endpoint is asked only about ids neither 2.0 endpoint knows. One request for a 2.0
        ingest job, two for a 2.0 query job, three for a 1.0 job: callers that know the kind
        (from a listing) pass it to ``get_job`` instead.

        Raises ``JobNotFoundError`` only when every endpoint said it does not know the id. If
        one of them could not answer (the network, a 5xx, an unreadable body) and none knew
        the job, that failure is raised instead, saying that the job's existence could not
        be told: never "not found" on a guess.

        An id this client has seen (in a listing or an answer) is asked at the endpoint of
        the kind it was seen as first, then at the others in the same order: one request
        for a listed job, whatever its kind."""
        known = self._kinds.get(job_id)
        order = FIND_ORDER if known is None else (known, *(k for k in FIND_ORDER if k != known))
        return await self._find(job_id, order, asked=0)

    async def _find(self, job_id: str, kinds: tuple[JobKind, ...], asked: int) -> JobInfo:
        unsure: BulkError | None = None
        for kind in kinds:
            try:
                job = await self._get_kind(job_id, kind)
            except BulkError as exc:
                if _says_not_found(exc):
                    continue
                if isinstance(
                    exc, InvalidSessionError | QuotaExceededError | ReauthenticationError
                ):
                    raise  # no other endpoint will answer either
                unsure = unsure or exc
                continue
            if kind is JobKind.V1 and unsure is None:
                self._remember(job.id, kind)  # every endpoint asked before said "not known"
            return job
        if unsure is not None:
            unsure.message = f"could not tell what job {job_id} is: {unsure.message}"
            unsure.args = (unsure.message,)
            raise unsure
        raise JobNotFoundError(
            404,
            "NOT_FOUND",
            f"no job {job_id} in this org: neither Bulk API 1.0 nor 2.0 knows it "
            f"({asked + len(kinds)} endpoints asked)",
        )

    async def _get_kind(self, job_id: str, kind: JobKind) -> JobInfo:
        if kind is JobKind.V1:
            job = await self._get_v1(job_id)
        else:
            job = await self._v2.get(job_id, kind)
            if kind_of(job) is JobKind.V1:
                # A 2.0 resource that answers for a Classic job: its counts are the 1.0 ones.
                job = await self._get_v1(job_id)
        if job.job_type is not None:
            self._remember(job.id, kind_of(job))
        return job

    def _remember(self, job_id: str, kind: JobKind) -> None:
        if job_id not in self._kinds and len(self._kinds) >= MAX_KNOWN_KINDS:
            self._kinds.pop(next(iter(self._kinds)))  # the oldest: bounded whatever the org
        self._kinds[job_id] = kind

    @state_changing(_CLOSE_AMBIGUITY)
    async def close_job(self, job_id: str, kind: JobKind = JobKind.V1) -> JobInfo:
        """1.0: state Closed. 2.0 ingest: state UploadComplete (processing starts). A 2.0
        query job has nothing to close: refused without a request."""
        if kind is JobKind.V1:
            return await self._set_state(job_id, JobState.CLOSED)
        if kind is JobKind.V2_QUERY:
            why = refusal(JobInfo(id=job_id, job_type=JobType.V2_QUERY), JobAction.CLOSE)
            raise BulkError(why or "a query job cannot be closed")
        return await self._v2.set_state(job_id, kind, JobState.UPLOAD_COMPLETE)

    @state_changing(_ABORT_AMBIGUITY)
    async def abort_job(self, job_id: str, kind: JobKind = JobKind.V1) -> JobInfo:
        if kind is JobKind.V1:
            return await self._set_state(job_id, JobState.ABORTED)
        return await self._v2.set_state(job_id, kind, JobState.ABORTED)

    # ----------------------------------------------------------------------- jobs (2.0)

    @state_changing(_CREATE_AMBIGUITY)
    async def create_ingest_job_v2(
        self,
        object: str,
        operation: Operation | str,
        *,
        external_id_field_name: str | None = None,
        line_ending: str | None = None,
        column_delimiter: str | None = None,
        assignment_rule_id: str | None = None,
    ) -> JobInfo:
        """A 2.0 ingest job, Open for its CSV. Like create_job, never resent once it may
        have reached the server."""
        return await self._v2.create_ingest(
            object,
            _wire(operation),
            external_id_field_name=external_id_field_name,
            line_ending=line_ending,
            column_delimiter=column_delimiter,
            assignment_rule_id=assignment_rule_id,
        )

    @state_changing(_UPLOAD_AMBIGUITY)
    async def upload_job_data_v2(self, job_id: str, data: bytes) -> None:
        """The job's CSV (first line: field names). Then ``close_job(id, JobKind.V2_INGEST)``."""
        await self._v2.upload(job_id, data)

    @state_changing(_CREATE_AMBIGUITY)
    async def create_query_job_v2(
        self, soql: str, operation: Operation | str = Operation.QUERY
    ) -> JobInfo:
        return await self._v2.create_query(soql, _wire(operation))

    def iter_results_v2(self, job_id: str, which: ResultSet) -> AsyncIterator[bytes]:
        """A 2.0 ingest job's successful, failed or unprocessed records: the CSV as sent,
        in pieces, never held whole (see ``bulktui.api.results`` to read it)."""
        return self._v2.results(job_id, which)

    def iter_query_results_v2(
        self, job_id: str, *, max_records: int | None = None
    ) -> AsyncIterator[bytes]:
        """A 2.0 query job's records as one CSV (one header line), following every page."""
        return self._v2.query_results(job_id, max_records=max_records)

    # ----------------------------------------------------------------------- jobs (1.0)

    @state_changing(_CREATE_AMBIGUITY)
    async def create_job(
        self,
        object: str,
        operation: Operation | str,
        content_type: ContentType | str = ContentType.CSV,
        external_id_field_name: str | None = None,
        concurrency_mode: ConcurrencyMode | str | None = None,
    ) -> JobInfo:
        """Create a job. Never resent once it may have reached the server: a job created twice
        would load the data twice, so such a failure is ``AmbiguousResultError``."""
        fields = {"operation": _wire(operation), "object": object}
        if external_id_field_name:
            fields["externalIdFieldName"] = external_id_field_name
        if concurrency_mode is not None:
            fields["concurrencyMode"] = _wire(concurrency_mode)
        fields["contentType"] = _wire(content_type)
        # JSON jobs are created with a JSON request; the server then answers in JSON (§1.3).
        if ContentType(_wire(content_type)) in _JSON_JOBS:
            body, ctype = wire.job_request_json(fields), JSON_REQUEST
        else:
            body, ctype = wire.job_request_xml(fields), XML_REQUEST
        reply = await self._x.exchange(
            "POST",
            "async",
            "/job",
            content=body.encode(),
            content_type=ctype,
            idempotent=False,
            ambiguity=_CREATE_AMBIGUITY,
        )
        return self._job(reply)

    async def _get_v1(self, job_id: str) -> JobInfo:
        return self._job(await self._get("async", f"/job/{_path_id(job_id)}"))

    async def _set_state(self, job_id: str, state: JobState) -> JobInfo:
        """Close or abort. Resending is safe (the state is the same either way), but a resend
        after an attempt that may have worked is answered InvalidJobState ("Closing already
        closed Job not allowed"): that is our own success, confirmed with a fresh GET. On a
        first answer the same error is real ("already aborted") and is raised."""
        job_id = _path_id(job_id)
        fields = {"state": state.value}
        if self._job_formats.get(_key(job_id)) in _JSON_JOBS:
            body, ctype = wire.job_request_json(fields), JSON_REQUEST
        else:
            body, ctype = wire.job_request_xml(fields), XML_REQUEST
        reply = await self._x.exchange(
            "POST", "async", f"/job/{job_id}", content=body.encode(), content_type=ctype
        )
        if reply.ok:
            return self._job(reply)
        error = reply.failure()
        if (
            isinstance(error, ApiError)
            and reply.maybe_applied_before
            and error.is_code("InvalidJobState")
        ):
            job = await self._get_v1(job_id)
            if job.state == state:
                log.info("job %s was already %s by an earlier attempt", job_id, state.value)
                return job
        raise error

    # ----------------------------------------------------------------------- batches (1.0)

    @state_changing(_BATCH_AMBIGUITY)
    async def add_batch(
        self, job_id: str, data: bytes, content_type: ContentType | str
    ) -> BatchInfo:
        """Add a batch; ``content_type`` is the job's contentType (or a literal MIME type).
        Like create_job, never resent once it may have reached the server."""
        mime = content_type if "/" in str(content_type) else None
        if mime is None:
            kind = ContentType(_wire(content_type))
            mime = BATCH_CONTENT_TYPES.get(kind, XML_REQUEST)
        reply = await self._x.exchange(
            "POST",
            "async",
            f"/job/{_path_id(job_id)}/batch",
            content=data,
            content_type=str(mime),
            idempotent=False,
            ambiguity=_BATCH_AMBIGUITY,
        )
        return wire.parse_batch_info(reply.check().body, _format(reply))

    async def list_batches(self, job_id: str) -> tuple[BatchInfo, ...]:
        reply = await self._get("async", f"/job/{_path_id(job_id)}/batch")
        return wire.parse_batch_info_list(reply.body, _format(reply))

    async def get_batch(self, job_id: str, batch_id: str) -> BatchInfo:
        reply = await self._get("async", _batch_path(job_id, batch_id))
        return wire.parse_batch_info(reply.body, _format(reply))

    async def get_batch_request(self, job_id: str, batch_id: str) -> bytes:
        """The batch body as it was submitted."""
        return (await self._get("async", _batch_path(job_id, batch_id) + "/request")).body

    async def get_batch_results(self, job_id: str, batch_id: str) -> list[RecordResult]:
        """A DML batch's per-record results, in request-row order (CSV, XML or JSON)."""
        reply = await self._get("async", _batch_path(job_id, batch_id) + "/result")
        ctype = (reply.content_type or "").lower()
        fmt = "csv" if "csv" in ctype else _format(reply)
        return wire.parse_record_results(reply.body, fmt)

    async def get_query_result_ids(self, job_id: str, batch_id: str) -> list[str]:
        """A query batch's result-set ids (prefix 752)."""
        reply = await self._get("async", _batch_path(job_id, batch_id) + "/result")
        return wire.parse_result_ids(reply.body, _format(reply))

    async def iter_query_result(
        self, job_id: str, batch_id: str, result_id: str
    ) -> AsyncIterator[bytes]:
        """One 1.0 result set as sent, in pieces: a result set may be far over the body cap."""
        path = _batch_path(job_id, batch_id) + f"/result/{_path_id(result_id)}"
        async with await open_stream(self._x, "async", path, what="query results") as body:
            async for piece in body.pieces():
                yield piece

    async def get_query_result(self, job_id: str, batch_id: str, result_id: str) -> bytes:
        """One result set as sent (CSV, XML or JSON, after the job's contentType)."""
        path = _batch_path(job_id, batch_id) + f"/result/{_path_id(result_id)}"
        return (await self._get("async", path)).body

    # ----------------------------------------------------------------------- REST

    async def list_jobs(self, job_type: JobType | str | None = None) -> list[JobInfo]:
        """Every job in the org from ``/jobs/ingest`` and ``/jobs/query``, all pages, each id
        once. List rows carry no counters (``has_counts`` is False)."""
        wanted = _wire(job_type) if job_type is not None else None
        endpoints = [
            name
            for name, accepts in _LIST_ENDPOINTS.items()
            if wanted is None or wanted in accepts or JobType(wanted).known is False
        ]
        # Both listings at once; not a TaskGroup, whose ExceptionGroup would hide the BulkError
        # callers expect: the first failure cancels the other listing and is raised as is.
        tasks = [asyncio.create_task(self._list_endpoint(name, wanted)) for name in endpoints]
        try:
            pages = await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        seen: dict[str, JobInfo] = {}
        for jobs in pages:
            for job in jobs:
                seen.setdefault(job.id, job)
        for job in seen.values():
            if job.job_type is not None:
                self._remember(job.id, kind_of(job))
        return list(seen.values())

    async def _list_endpoint(self, name: str, job_type: str | None) -> list[JobInfo]:
        jobs: list[JobInfo] = []
        for page in await self.list_job_pages(name, job_type=job_type):
            jobs.extend(page.rows)
        return jobs

    async def list_job_pages(
        self,
        endpoint: str,
        *,
        start: str | None = None,
        job_type: str | None = None,
        more: Callable[[ListedPage], bool] | None = None,
    ) -> list[ListedPage]:
        """The pages of one listing (``endpoint``: "ingest" or "query"), in the server's
        order, each with the link that fetched it, so a caller can read one page again later.

        ``start``: a page's ``link`` from an earlier read (None: the first page of a fresh
        listing). ``more(page)``: whether to follow the page after this one (default: all).
        The rows' kinds are remembered for ``find_job`` as ``list_jobs`` does."""
        if endpoint not in _LIST_ENDPOINTS:
            raise ValueError(f"no job listing named {endpoint!r}")
        root: Root = "data" if start is None else "base"
        path = f"/jobs/{endpoint}" if start is None else self._same_org_path(start)
        params = {"jobType": job_type} if job_type and start is None else None
        link: str | None = start
        pages: list[ListedPage] = []
        guard = PageGuard("the job list", self.max_pages)
        while True:
            reply = await self._get(root, path, params=params)
            _expect_json(reply, "job list")
            parsed = wire.parse_job_list_page(reply.body)
            next_link = None if parsed.done else parsed.next_records_url
            page = ListedPage(endpoint, link, parsed.records, next_link)
            pages.append(page)
            for job in page.rows:
                if job.job_type is not None:
                    self._remember(job.id, kind_of(job))
            if next_link is None or (more is not None and not more(page)):
                return pages
            path = guard.next(self._same_org_path(next_link))
            link = path
            root, params = "base", None  # nextRecordsUrl is instance-relative and complete

    async def whoami(self) -> Identity:
        """The session's user, from ``/services/oauth2/userinfo``."""
        reply = await self._get("base", "/services/oauth2/userinfo")
        data = _json_object(reply, "userinfo")
        user_id = data.get("user_id") or str(data.get("sub", "")).rstrip("/").rsplit("/", 1)[-1]
        if not user_id:
            raise ResponseFormatError("userinfo without a user id")
        return Identity(
            user_id=str(user_id),
            org_id=str(data.get("organization_id") or ""),
            username=str(data.get("preferred_username") or data.get("email") or ""),
            display_name=str(data.get("name") or data.get("preferred_username") or ""),
        )

    async def user_names(self, ids: Iterable[str]) -> dict[str, str]:
        """Names of users by id (15 or 18 characters, keyed as given). Ids that are not
        well-formed are skipped: they could not name a user, and only well-formed ids (letters
        and digits) ever go into the SOQL text."""
        by_18: dict[str, list[str]] = {}
        for given in ids:
            try:
                by_18.setdefault(to18(given), []).append(given)
            except InvalidIdError:
                continue
        wanted = sorted(by_18)
        names: dict[str, str] = {}
        for start in range(0, len(wanted), USER_QUERY_BATCH):
            chunk = wanted[start : start + USER_QUERY_BATCH]
            soql = "SELECT Id, Name FROM User WHERE Id IN ({})".format(
                ", ".join(f"'{i}'" for i in chunk)
            )
            for record in await self._query(soql):
                user_id, name = record.get("Id"), record.get("Name")
                if not isinstance(user_id, str) or name is None:
                    continue
                try:
                    key = to18(user_id)
                except InvalidIdError:
                    continue
                for given in by_18.get(key, ()):
                    names[given] = str(name)
        return names

    async def _query(self, soql: str) -> list[dict[str, Any]]:
        root: Root = "data"
        path, params = "/query", {"q": soql}
        records: list[dict[str, Any]] = []
        pages = PageGuard("the query result", self.max_pages)
        while True:
            data = _json_object(await self._get(root, path, params=params), "query result")
            batch = data.get("records")
            if not isinstance(batch, list):
                raise ResponseFormatError("query result without records")
            records.extend(r for r in batch if isinstance(r, dict))
            next_url = data.get("nextRecordsUrl")
            if data.get("done", True) or not isinstance(next_url, str):
                return records
            root, path, params = "base", pages.next(self._same_org_path(next_url)), {}

    # ----------------------------------------------------------------------- helpers

    async def _get(self, root: Root, path: str, params: dict[str, str] | None = None) -> Reply:
        reply = await self._x.exchange("GET", root, path, params=params)
        return reply.check()

    def _job(self, reply: Reply) -> JobInfo:
        job = wire.parse_job_info(reply.check().body, _format(reply))
        if job.content_type is not None:
            self._job_formats[job.id] = job.content_type
        return job

    def _same_org_path(self, url: str) -> str:
        """A server-given next-page URL as a path on our instance: the token must never be
        sent to another host because a response said so."""
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            ours = urlsplit(self.connection.base_url)
            if (parts.scheme, parts.netloc) != (ours.scheme, ours.netloc):
                raise ResponseFormatError(f"next page on another host refused: {parts.netloc}")
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not path.startswith("/"):
            path = "/" + path
        return path


def _wire(value: Enum | str) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def _says_not_found(error: BulkError) -> bool:
    """Whether an endpoint answered that it does not know the job id: a definite answer,
    unlike a failure to answer at all."""
    if not isinstance(error, ApiError) or not error.code:
        return False  # an empty or unreadable 404 may be a proxy's: not the API's answer
    return error.status == 404 or error.is_code(*_NOT_FOUND_CODES)


def _key(job_id: str) -> str:
    """The 18-character form used as a key (parsed JobInfo ids are 18 characters)."""
    try:
        return normalize_id(job_id)
    except InvalidIdError:
        return job_id


def _batch_path(job_id: str, batch_id: str) -> str:
    return f"/job/{_path_id(job_id)}/batch/{_path_id(batch_id)}"


def _format(reply: Reply) -> wire.Format:
    return wire.detect_format(reply.content_type, reply.body)


def _expect_json(reply: Reply, what: str) -> None:
    if _format(reply) != "json":
        raise ResponseFormatError(f"expected a JSON {what}, got {reply.content_type or 'no type'}")


def _json_object(reply: Reply, what: str) -> dict[str, Any]:
    _expect_json(reply, what)
    data = wire.load_json(reply.body)
    if not isinstance(data, dict):
        raise ResponseFormatError(f"expected a JSON {what} object")
    return data
