"""Bulk API 1.0 endpoints J1-J3 and B1-B6 under ``/services/async/{version}``
(docs/wire-facts.md §0)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bulktui.api import wire
from bulktui.api.enums import BatchState, ContentType
from bulktui.api.errors import ResponseFormatError
from bulktui.emulator.engine import Engine, UserInfo
from bulktui.emulator.responses import (
    Fmt,
    bulk_error,
    job_format,
    json_text,
    raw,
    request_format,
    xml,
)
from bulktui.emulator.resultsets import render_result_set
from bulktui.emulator.state import EmulatorError, Job

Handler = Callable[[Request, UserInfo, str], Awaitable[Response]]
PREFIX = "/services/async/{v}"
_MEDIA = {
    ContentType.CSV: "text/csv",
    ContentType.XML: "application/xml",
    ContentType.JSON: "application/json",
    ContentType.ZIP_CSV: "zip/csv",
    ContentType.ZIP_XML: "zip/xml",
    ContentType.ZIP_JSON: "zip/json",
}


class BulkRoutes:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def routes(self) -> list[Route]:
        table: list[tuple[str, str, Handler]] = [
            ("POST", "/job", self.create_job),
            ("GET", "/job/{jobId}", self.get_job),
            ("POST", "/job/{jobId}", self.update_job),
            ("POST", "/job/{jobId}/batch", self.add_batch),
            ("GET", "/job/{jobId}/batch", self.list_batches),
            ("GET", "/job/{jobId}/batch/{batchId}", self.get_batch),
            ("GET", "/job/{jobId}/batch/{batchId}/request", self.batch_request),
            ("GET", "/job/{jobId}/batch/{batchId}/result", self.batch_result),
            ("GET", "/job/{jobId}/batch/{batchId}/result/{resultId}", self.result_set),
        ]
        by_path: dict[str, dict[str, Handler]] = {}
        for method, path, handler in table:
            by_path.setdefault(path, {})[method] = handler
        routes = []
        for path, handlers in by_path.items():
            endpoint = self._endpoint(PREFIX + path, handlers)
            # The real server takes a trailing slash too (WSC posts to ``job/``).
            for variant in (path, path + "/"):
                routes.append(Route(PREFIX + variant, endpoint, methods=list(handlers)))
        return routes

    def _endpoint(
        self, template: str, handlers: dict[str, Handler]
    ) -> Callable[[Request], Awaitable[Response]]:
        engine = self.engine

        async def endpoint(request: Request) -> Response:
            method = request.method if request.method != "HEAD" else "GET"
            engine.stats[f"{method} {template}"] += 1
            engine.count_api_request()
            try:
                user = engine.user_for_session(request.headers.get("x-sfdc-session"))
                if user is None:
                    message = (
                        "Invalid session id"
                        if request.headers.get("x-sfdc-session")
                        else "Unable to find session id"
                    )
                    raise EmulatorError("InvalidSessionId", message)
                version = engine.check_version(request.path_params["v"])
                return await handlers[method](request, user, version)
            except EmulatorError as exc:
                return bulk_error(exc.code, exc.message, self._error_format(request), exc.status)

        return endpoint

    def _error_format(self, request: Request) -> Fmt:
        job_id = request.path_params.get("jobId")
        if job_id:
            try:
                return job_format(self.engine.get_job(job_id).content_type)
            except EmulatorError:
                pass
        return request_format(request)

    # ------------------------------------------------------------------ helpers

    def _job(self, request: Request) -> Job:
        return self.engine.get_job(request.path_params["jobId"])

    def _job_response(self, job: Job, fmt: Fmt, status: int = 200) -> Response:
        info = self.engine.job_info(job)
        if fmt == "json":
            return json_text(wire.job_info_json(info), status)
        return xml(wire.job_info_xml(info), status)

    async def _body(self, request: Request) -> bytes:
        body = await request.body()
        encoding = request.headers.get("content-encoding", "").strip().lower()
        if encoding == "gzip":
            try:
                return gzip.decompress(body)
            except (OSError, EOFError):
                raise EmulatorError(
                    "ClientInputError", "Failed to read request: bad gzip data"
                ) from None
        if encoding not in ("", "identity"):
            raise EmulatorError(
                "UnsupportedContentType", f"Unsupported Content-Encoding: {encoding}", 415
            )
        return body

    async def _job_fields(self, request: Request) -> dict[str, Any]:
        """The jobInfo in a create or update body, as wire-named values."""
        body = await self._body(request)
        if request_format(request) == "json":
            try:
                data = json.loads(body or b"null")
            except ValueError:
                raise EmulatorError("InvalidJob", "Unable to parse Job") from None
            if not isinstance(data, dict):
                raise EmulatorError("InvalidJob", "Unable to parse Job")
            return data
        try:
            doc = wire.load_xml(body)
        except ResponseFormatError as exc:
            raise EmulatorError("InvalidXML", exc.message) from None
        root = doc.get("jobInfo")
        if root is None and "jobInfo" not in doc:
            raise EmulatorError("InvalidJob", "Unable to parse Job")
        if not isinstance(root, dict):
            return {}
        fields: dict[str, Any] = {}
        for key, value in root.items():
            if key.startswith(("@", "#")):
                continue
            name = key.split(":")[-1]
            if isinstance(value, dict):
                value = None if value.get("@xsi:nil") == "true" else value.get("#text")
            fields[name] = value
        return fields

    # ------------------------------------------------------------------ jobs

    async def create_job(self, request: Request, user: UserInfo, version: str) -> Response:
        fields = await self._job_fields(request)
        job = self.engine.create_job(user, fields, version)
        # The new job answers in the format the request used (docs/wire-facts.md §3.1).
        return self._job_response(job, request_format(request), 201)

    async def get_job(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self._job(request)
        return self._job_response(job, job_format(job.content_type))

    async def update_job(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self._job(request)
        fields = await self._job_fields(request)
        self.engine.update_job(job, user, fields)
        return self._job_response(job, job_format(job.content_type))

    # ------------------------------------------------------------------ batches

    async def add_batch(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self._job(request)
        body = await self._body(request)
        batch = self.engine.add_batch(job, user, body, request.headers.get("content-type"))
        info = self.engine.batch_info(batch)
        if job_format(job.content_type) == "json":
            return json_text(wire.batch_info_json(info), 201)
        return xml(wire.batch_info_xml(info), 201)

    async def list_batches(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self._job(request)
        infos = [self.engine.batch_info(b) for b in job.batches]
        if job_format(job.content_type) == "json":
            return json_text(wire.batch_info_list_json(infos))
        return xml(wire.batch_info_list_xml(infos))

    async def get_batch(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self._job(request)
        batch = self.engine.get_batch(job, request.path_params["batchId"])
        info = self.engine.batch_info(batch)
        if job_format(job.content_type) == "json":
            return json_text(wire.batch_info_json(info))
        return xml(wire.batch_info_xml(info))

    async def batch_request(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self._job(request)
        batch = self.engine.get_batch(job, request.path_params["batchId"])
        return raw(batch.payload, _MEDIA.get(job.content_type, "text/plain"))

    async def batch_result(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self._job(request)
        batch = self.engine.get_batch(job, request.path_params["batchId"])
        if batch.state in (BatchState.QUEUED, BatchState.IN_PROGRESS):
            raise EmulatorError("InvalidBatch", "Batch not completed")
        fmt = job_format(job.content_type)
        if job.operation.is_query:
            if fmt == "json":
                return json_text(wire.result_ids_json(batch.result_ids))
            return xml(wire.result_ids_xml(batch.result_ids))
        results = batch.outcome.results if batch.outcome else []
        if job.content_type in (ContentType.CSV, ContentType.ZIP_CSV):
            return raw(wire.record_results_csv(results), "text/csv")
        if fmt == "json":
            return json_text(wire.record_results_json(results))
        return xml(wire.record_results_xml(results))

    async def result_set(self, request: Request, user: UserInfo, version: str) -> Response:
        job = self._job(request)
        batch = self.engine.get_batch(job, request.path_params["batchId"])
        wanted = request.path_params["resultId"].strip()
        match = next((r for r in batch.result_ids if r[:15] == wanted[:15]), None)
        outcome = batch.outcome
        if match is None or outcome is None or outcome.query_rows is None:
            raise EmulatorError("InvalidBatch", f"Invalid result id: {wanted}")
        body, media = render_result_set(
            job.content_type, job.obj, outcome.query_fields, outcome.query_rows, job.api_version
        )
        return raw(body, media)
