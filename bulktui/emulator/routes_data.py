"""REST endpoints under ``/services/data/vXX.X``: the 2.0 job lists, a minimal SOQL query
(for user names) and limits; plus ``/services/oauth2/userinfo``.

Every ``/services/data`` response carries ``Sforce-Limit-Info`` (reference §4.2).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bulktui.api import ids, wire
from bulktui.api.enums import ConcurrencyMode, JobType
from bulktui.emulator import soql
from bulktui.emulator.engine import POD, Engine, UserInfo
from bulktui.emulator.responses import json_text, json_value, raw, rest_error
from bulktui.emulator.resultsets import typed_value
from bulktui.emulator.state import Job

DataHandler = Callable[[Request, UserInfo, str], Awaitable[Response]]
PREFIX = "/services/data/v{v}"
_VERSION = re.compile(r"\d{2}\.\d")
_MIN_VERSION = {"ingest": 41.0, "query": 47.0}
_LOCATOR_CAP = 10_000


@dataclass(frozen=True, slots=True)
class _Cursor:
    kind: str  # "ingest" | "query"
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
        table: list[tuple[str, DataHandler]] = [
            ("/jobs/ingest", self.list_ingest),
            ("/jobs/query", self.list_query),
            ("/query", self.query),
            ("/limits", self.limits),
        ]
        routes = []
        for path, handler in table:
            endpoint = self._endpoint(PREFIX + path, handler)
            for variant in (path, path + "/"):
                routes.append(Route(PREFIX + variant, endpoint, methods=["GET"]))
        routes.append(Route("/services/oauth2/userinfo", self.userinfo, methods=["GET", "POST"]))
        return routes

    def _endpoint(
        self, template: str, handler: DataHandler
    ) -> Callable[[Request], Awaitable[Response]]:
        engine = self.engine

        async def endpoint(request: Request) -> Response:
            engine.stats[f"GET {template}"] += 1
            engine.count_api_request()
            response = await self._guarded(request, handler)
            response.headers["Sforce-Limit-Info"] = (
                f"api-usage={engine.api_requests_used()}/{engine.config.daily_api_limit}"
            )
            return response

        return endpoint

    async def _guarded(self, request: Request, handler: DataHandler) -> Response:
        user = self.engine.user_for_session(_bearer(request))
        if user is None:
            return rest_error("INVALID_SESSION_ID", "Session expired or invalid", 401)
        version = request.path_params["v"]
        if not _VERSION.fullmatch(version) or not (
            self.engine.config.min_api_version
            <= float(version)
            <= self.engine.config.max_api_version
        ):
            return rest_error("NOT_FOUND", "The requested resource does not exist", 404)
        return await handler(request, user, version)

    # ------------------------------------------------------------------ job lists

    async def list_ingest(self, request: Request, user: UserInfo, version: str) -> Response:
        return self._list("ingest", request, version)

    async def list_query(self, request: Request, user: UserInfo, version: str) -> Response:
        return self._list("query", request, version)

    def _list(self, kind: str, request: Request, version: str) -> Response:
        if float(version) < _MIN_VERSION[kind]:
            return rest_error("NOT_FOUND", "The requested resource does not exist", 404)
        params = request.query_params
        locator = params.get("queryLocator")
        if locator:
            cursor = self._locators.get(locator)
            if cursor is None or cursor.kind != kind:
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
            next_url = f"/services/data/v{version}/jobs/{kind}?queryLocator={quote(token)}"
        body = wire.job_list_page_json((self.engine.list_row(j) for j in rows), not more, next_url)
        return json_text(body)

    def _new_locator(self, offset: int) -> str:
        self._locator_counter += 1
        if len(self._locators) >= _LOCATOR_CAP:  # a server cursor does not live forever
            del self._locators[next(iter(self._locators))]
        return f"{ids.make_id('01g', POD, self._locator_counter)[:15]}-{offset}"

    # ------------------------------------------------------------------ REST query

    async def query(self, request: Request, user: UserInfo, version: str) -> Response:
        text = request.query_params.get("q", "")
        try:
            parsed = soql.parse(text)
        except soql.SoqlError as exc:
            return rest_error(exc.code, str(exc).split(": ", 1)[1], 400)
        rows = soql.project(parsed, parsed.run(self.engine.store.rows(parsed.obj)))
        records = []
        for row in rows:
            item: dict[str, Any] = {"attributes": {"type": parsed.obj.name}}
            if row.get("Id"):
                item["attributes"]["url"] = (
                    f"/services/data/v{version}/sobjects/{parsed.obj.name}/{row['Id']}"
                )
            item.update((k, typed_value(parsed.obj, k, v)) for k, v in row.items())
            records.append(item)
        return json_value({"totalSize": len(records), "done": True, "records": records})

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
        user = engine.user_for_session(_bearer(request))
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


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _matches(job: Job, cursor: _Cursor) -> bool:
    if cursor.kind == "ingest" and job.operation.is_query:
        return False  # /jobs/query lists every Classic job; /jobs/ingest only the loads
    if cursor.job_type not in (None, JobType.CLASSIC.value):
        return False  # the emulator only has 1.0 (Classic) jobs
    return cursor.concurrency is None or job.concurrency.value == cursor.concurrency
