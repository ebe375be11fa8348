"""Bulk API 2.0 job endpoints under ``/services/data/vXX.X/jobs`` (the listings live in
routes_data): ingest jobs from 41.0, query jobs from 47.0."""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from bulktui.api import wire
from bulktui.api.enums import JobType
from bulktui.api.models import JobInfo
from bulktui.emulator.csv2 import CsvDialect
from bulktui.emulator.engine import Engine, UserInfo
from bulktui.emulator.responses import json_value, raw
from bulktui.emulator.rest_common import PREFIX, DataHandler, rest_endpoint
from bulktui.emulator.state import EmulatorError, Job

INGEST = "/jobs/ingest"
QUERY = "/jobs/query"
_MIN = {INGEST: 41.0, QUERY: 47.0}
_RESULT_SETS = ("successfulResults", "failedResults", "unprocessedrecords")


def _job_json(info: JobInfo, status: int = 200) -> Response:
    return json_value(wire.job_list_row_dict(info), status)


def encode_locator(offset: int) -> str:
    """Salesforce's locators look like ``MTAwMDA``: the offset, base64 without padding."""
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def decode_locator(text: str) -> int:
    try:
        value = base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode()
        offset = int(value)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise EmulatorError("INVALIDLOCATOR", f"Invalid locator: {text[:80]}", 400) from None
    if offset < 0:
        raise EmulatorError("INVALIDLOCATOR", f"Invalid locator: {text[:80]}", 400)
    return offset


class Bulk2Routes:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def routes(self) -> list[Route]:
        table: list[tuple[str, dict[str, DataHandler]]] = [
            (INGEST, {"POST": self.create_ingest}),
            (
                INGEST + "/{jobId}",
                {"GET": self.get_ingest, "PATCH": self.patch_ingest, "DELETE": self.delete_ingest},
            ),
            (INGEST + "/{jobId}/batches", {"PUT": self.upload}),
            (QUERY, {"POST": self.create_query}),
            (
                QUERY + "/{jobId}",
                {"GET": self.get_query, "PATCH": self.patch_query, "DELETE": self.delete_query},
            ),
            (QUERY + "/{jobId}/results", {"GET": self.query_results}),
        ]
        results: DataHandler = self.ingest_results
        table += [(INGEST + "/{jobId}/" + name, {"GET": results}) for name in _RESULT_SETS]
        routes = []
        for path, handlers in table:
            base = INGEST if path.startswith(INGEST) else QUERY
            endpoint = rest_endpoint(self.engine, PREFIX + path, handlers, _MIN[base])
            for variant in (path, path + "/"):
                routes.append(Route(PREFIX + variant, endpoint, methods=list(handlers)))
        return routes

    async def _fields(self, request: Request) -> dict[str, Any]:
        try:
            data = json.loads(await request.body() or b"null")
        except ValueError:
            raise EmulatorError(
                "JSON_PARSER_ERROR", "The request body is not valid JSON", 400
            ) from None
        if not isinstance(data, dict):
            raise EmulatorError("JSON_PARSER_ERROR", "Expected a JSON object", 400)
        return data

    def _job(self, request: Request, job_type: JobType) -> Job:
        return self.engine.v2.get(request.path_params["jobId"], job_type)

    # ------------------------------------------------------------------ ingest

    async def create_ingest(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self.engine.v2.create_ingest(user, await self._fields(request), version)
        return _job_json(self.engine.list_row(job))

    async def get_ingest(self, request: Request, user: UserInfo, version: str) -> Response:
        return _job_json(self.engine.v2.job_info(self._job(request, JobType.V2_INGEST)))

    async def patch_ingest(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self._job(request, JobType.V2_INGEST)
        self.engine.v2.patch(job, await self._fields(request))
        return _job_json(self.engine.list_row(job))

    async def delete_ingest(self, request: Request, user: UserInfo, version: str) -> Response:
        self.engine.v2.delete(self._job(request, JobType.V2_INGEST))
        return Response(status_code=204)

    async def upload(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self._job(request, JobType.V2_INGEST)
        body = await request.body()
        encoding = request.headers.get("content-encoding", "").strip().lower()
        if encoding == "gzip":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError):
                raise EmulatorError(
                    "CLIENTINPUTERROR", "ClientInputError : bad gzip data", 400
                ) from None
        elif encoding not in ("", "identity"):
            raise EmulatorError(
                "INVALIDCONTENTTYPE", f"Unsupported Content-Encoding: {encoding[:40]}", 415
            )
        self.engine.v2.upload(job, body, request.headers.get("content-type"))
        return Response(status_code=201)

    async def ingest_results(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self._job(request, JobType.V2_INGEST)
        which = request.url.path.rstrip("/").rsplit("/", 1)[1]
        # The exact header, not Starlette's "text/csv; charset=utf-8" (see responses.py).
        return StreamingResponse(
            self.engine.v2.iter_ingest_results(job, which), headers={"content-type": "text/csv"}
        )

    # ------------------------------------------------------------------ query

    async def create_query(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self.engine.v2.create_query(user, await self._fields(request), version)
        return _job_json(self.engine.list_row(job))

    async def get_query(self, request: Request, user: UserInfo, version: str) -> Response:
        return _job_json(self.engine.v2.job_info(self._job(request, JobType.V2_QUERY)))

    async def patch_query(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self._job(request, JobType.V2_QUERY)
        self.engine.v2.patch(job, await self._fields(request))
        return _job_json(self.engine.list_row(job))

    async def delete_query(self, request: Request, user: UserInfo, version: str) -> Response:
        self.engine.v2.delete(self._job(request, JobType.V2_QUERY))
        return Response(status_code=204)

    async def query_results(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self._job(request, JobType.V2_QUERY)
        if version != job.api_version:
            raise EmulatorError(
                "API_VERSION_MISMATCH",
                f"Get a query job's results with the API version it was created with "
                f"(v{job.api_version})",
                409,
            )
        params = request.query_params
        offset = decode_locator(params["locator"]) if params.get("locator") else 0
        size = self.engine.config.query_results_page_size
        if params.get("maxRecords"):
            try:
                size = int(params["maxRecords"])
            except ValueError:
                size = 0
            if size <= 0:
                raise EmulatorError(
                    "INVALID_PARAMETER_VALUE",
                    f"maxRecords must be a positive number: {params['maxRecords'][:40]}",
                    400,
                )
        fields, rows = self.engine.v2.query_results(job)
        page = rows[offset : offset + size]
        following = offset + len(page)
        body = CsvDialect.of(job).write_query(fields, page)
        response = raw(body, "text/csv")
        response.headers["Sforce-Locator"] = (
            encode_locator(following) if following < len(rows) else "null"
        )
        response.headers["Sforce-NumberOfRecords"] = str(len(page))
        return response
