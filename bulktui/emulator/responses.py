"""Response helpers. Content-Type values are exact (no charset on ``text/csv``): some clients
compare the header verbatim (salesforce-bulk does ``== 'text/csv'``)."""

from __future__ import annotations

import json
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response

from bulktui.api import wire
from bulktui.api.enums import ContentType

Fmt = Literal["xml", "json"]

JSON_TYPES = (ContentType.JSON, ContentType.ZIP_JSON)


def raw(body: str | bytes, media_type: str, status: int = 200) -> Response:
    return Response(body, status_code=status, headers={"content-type": media_type})


def xml(body: str, status: int = 200) -> Response:
    return raw(body, "application/xml", status)


def json_text(body: str, status: int = 200) -> Response:
    return raw(body, "application/json", status)


def json_value(value: Any, status: int = 200) -> Response:
    return json_text(json.dumps(value, separators=(",", ":")), status)


def job_format(content_type: ContentType) -> Fmt:
    """JSON jobs answer in JSON; CSV and XML jobs in XML (docs/wire-facts.md §3.1)."""
    return "json" if content_type in JSON_TYPES else "xml"


def request_format(request: Request) -> Fmt:
    """Without a job, the request's Content-Type decides; missing means XML."""
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return "json" if ctype.endswith("json") else "xml"


def bulk_error(code: str, message: str, fmt: Fmt, status: int = 400) -> Response:
    if fmt == "json":
        return json_text(wire.error_json(code, message), status)
    return xml(wire.error_xml(code, message), status)


def rest_error(code: str, message: str, status: int) -> Response:
    """REST / Bulk 2.0 errors: a JSON array (docs/wire-facts.md §6)."""
    return json_value([{"message": message, "errorCode": code}], status)


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_value({"error": error, "error_description": description}, status)
