"""REST endpoints under ``/services/data/vXX.X``: the 2.0 job lists and limits; plus
``/services/oauth2/userinfo``. Authenticated answers carry ``Sforce-Limit-Info``."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bulktui.api import ids, wire
from bulktui.api.enums import ConcurrencyMode, JobType
from bulktui.emulator.engine import POD, Engine, UserInfo
from bulktui.emulator.responses import json_text, json_value, raw, rest_error
from bulktui.emulator.rest_common import PREFIX, DataHandler, bearer, rest_endpoint
from bulktui.emulator.state import Job

_LOCATOR_CAP = 10_000


@dataclass(frozen=True, slots=True)
class _Cursor:
    kind: str  # "ingest" | "query": which listing the locator continues, whatever the path
    job_type: str | None
    concurrency: str | None
    after_seq: int
    offset: int


class DataRoutes:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._locators: dict[str, _Cursor] = {}
        self._locator_counter = 1_000_000

    def routes(self) -> list[Route]:
        table: list[tuple[str, DataHandler, float]] = [
            ("/jobs/ingest", self.list_ingest, 41.0),
            ("/jobs/query", self.list_query, 47.0),
            ("/limits", self.limits, 0.0),
        ]
        routes = []
        for path, handler, minimum in table:
            endpoint = rest_endpoint(self.engine, PREFIX + path, {"GET": handler}, minimum)
            for variant in (path, path + "/"):
                routes.append(Route(PREFIX + variant, endpoint, methods=["GET"]))
        routes.append(Route("/services/oauth2/userinfo", self.userinfo, methods=["GET", "POST"]))
        return routes

    # ------------------------------------------------------------------ job lists

    async def list_ingest(self, request: Request, user: UserInfo, version: str) -> Response:
        return self._list("ingest", request, version)

    async def list_query(self, request: Request, user: UserInfo, version: str) -> Response:
        return self._list("query", request, version)

    def _list(self, kind: str, request: Request, version: str) -> Response:
        params = request.query_params
        locator = params.get("queryLocator")
        if locator:
            # A locator names its own listing: the docs' example follows a /jobs/query page
            # with /jobs/ingest?queryLocator=…, so either path continues it.
            cursor = self._locators.get(locator)
            if cursor is None:
                return rest_error("INVALID_QUERY_LOCATOR", "invalid query locator", 400)
        else:
            job_type = params.get("jobType")
            if job_type is not None and JobType.strict(job_type) is None:
                return rest_error(
                    "INVALIDJOBTYPE", f"Invalid value for parameter jobType: {job_type}", 400
                )
            concurrency = params.get("concurrencyMode")
            if concurrency is not None and ConcurrencyMode.strict(concurrency) is None:
                return rest_error(
                    "INVALID_PARAMETER_VALUE",
                    f"Invalid value for parameter concurrencyMode: {concurrency}",
                    400,
                )
            if params.get("isPkChunkingEnabled", "").lower() == "true":
                job_type = "none"  # the emulator never PK-chunks, so nothing matches
            cursor = _Cursor(kind, job_type, concurrency, 0, 0)
        page_size = self.engine.config.list_page_size
        rows: list[Job] = []
        more = False
        for job in self.engine.jobs.values():
            if job.seq <= cursor.after_seq or not _matches(job, cursor):
                continue
            if len(rows) == page_size:
                more = True
                break
            rows.append(job)
        next_url = None
        if more:
            offset = cursor.offset + len(rows)
            token = self._new_locator(offset)
            self._locators[token] = _Cursor(
                kind, cursor.job_type, cursor.concurrency, rows[-1].seq, offset
            )
            next_url = f"/services/data/v{version}/jobs/{cursor.kind}?queryLocator={quote(token)}"
        body = wire.job_list_page_json((self.engine.list_row(j) for j in rows), not more, next_url)
        return json_text(body)

    def _new_locator(self, offset: int) -> str:
        self._locator_counter += 1
        if len(self._locators) >= _LOCATOR_CAP:  # a server cursor does not live forever
            del self._locators[next(iter(self._locators))]
        return f"{ids.make_id('01g', POD, self._locator_counter)}-{offset}"

    # ------------------------------------------------------------------ limits

    async def limits(self, request: Request, user: UserInfo, version: str) -> Response:
        cfg = self.engine.config
        api_used = self.engine.api_requests_used()
        batches = self.engine.batches_used()
        return json_value(
            {
                "DailyApiRequests": {
                    "Max": cfg.daily_api_limit,
                    "Remaining": max(0, cfg.daily_api_limit - api_used),
                },
                "DailyBulkApiBatches": {
                    "Max": cfg.daily_batch_limit,
                    "Remaining": max(0, cfg.daily_batch_limit - batches),
                },
                "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
                "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            }
        )

    # ------------------------------------------------------------------ userinfo

    async def userinfo(self, request: Request) -> Response:
        engine = self.engine
        engine.stats[f"{request.method} /services/oauth2/userinfo"] += 1
        user = engine.user_for_session(bearer(request))
        if user is None:
            # The identity endpoints answer 403 with a bare token, unlike REST's 401.
            return raw("Bad_OAuth_Token", "text/plain", 403)
        base = str(request.base_url).rstrip("/")
        first, _, last = user.name.rpartition(" ")
        return json_value(
            {
                "sub": f"{base}/id/{engine.org_id}/{user.id}",
                "user_id": user.id,
                "organization_id": engine.org_id,
                "preferred_username": user.username,
                "nickname": user.username.split("@")[0],
                "name": user.name,
                "email": user.email,
                "email_verified": True,
                "given_name": first,
                "family_name": last,
                "zoneinfo": "Europe/London",
                "active": True,
                "user_type": "STANDARD",
                "language": "en_US",
                "locale": "en_GB",
                "utcOffset": 0,
                "urls": {
                    "rest": f"{base}/services/data/v{{version}}/",
                    "query": f"{base}/services/data/v{{version}}/query/",
                },
            }
        )


def _matches(job: Job, cursor: _Cursor) -> bool:
    """/jobs/ingest: Classic loads and 2.0 ingest jobs; /jobs/query: every Classic job (loads
    too) and 2.0 query jobs."""
    if cursor.kind == "ingest":
        if job.job_type is JobType.V2_QUERY or (not job.is_v2 and job.operation.is_query):
            return False
    elif job.job_type is JobType.V2_INGEST:
        return False
    if cursor.job_type is not None and job.job_type.value != cursor.job_type:
        return False
    return cursor.concurrency is None or job.concurrency.value == cursor.concurrency
