"""What the org says to paths and methods it does not serve.

Starlette answers a known path with the wrong method by 405 and anything else by a bare 404;
a catch-all route would hide the 405. So the catch-alls here check the specific routes first:
a known path with another method is 405 (only GET and POST exist in 1.0), an unknown one is
the API's own error (1.0 ``InvalidUrl``/``InvalidOperation``, REST ``NOT_FOUND``)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route

from bulktui.emulator.engine import Engine
from bulktui.emulator.responses import bulk_error, request_format, rest_error
from bulktui.emulator.rest_common import bearer, limit_info
from bulktui.emulator.state import EmulatorError

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class FallbackRoutes:
    def __init__(self, engine: Engine, known: Sequence[BaseRoute]) -> None:
        self.engine = engine
        self.known = known

    def routes(self) -> list[Route]:
        return [
            Route("/services/async/{v}/{rest:path}", self.bulk, methods=ALL_METHODS),
            Route("/services/data/{rest:path}", self.data, methods=ALL_METHODS),
            Route("/{rest:path}", self.other, methods=ALL_METHODS),
        ]

    def _allowed(self, request: Request) -> list[str]:
        methods: set[str] = set()
        for route in self.known:
            match, _ = route.matches(request.scope)
            if match is not Match.NONE and isinstance(route, Route) and route.methods:
                methods |= route.methods - {"HEAD"}
        return sorted(methods)

    async def bulk(self, request: Request) -> Response:
        engine = self.engine
        engine.count_api_request()
        fmt = request_format(request)
        allowed = self._allowed(request)
        if not allowed:
            self.engine.count_unknown(request.method, request.url.path)
        if allowed:
            response = bulk_error(
                "InvalidUrl",
                f"HTTP Method '{request.method}' not allowed. Allowed are {','.join(allowed)}",
                fmt,
                405,
            )
            response.headers["Allow"] = ", ".join(allowed)
            return response
        try:
            if engine.user_for_session(request.headers.get("x-sfdc-session")) is None:
                raise EmulatorError("InvalidSessionId", "Invalid session id")
            engine.check_version(request.path_params["v"])
        except EmulatorError as exc:
            return bulk_error(exc.code, exc.message, fmt)
        segment = request.path_params["rest"].split("/", 1)[0]
        if segment != "job":
            return bulk_error("InvalidOperation", f"Invalid operation in the URI: {segment}", fmt)
        return bulk_error("InvalidUrl", f"Invalid URL: {request.url.path}", fmt)

    async def data(self, request: Request) -> Response:
        engine = self.engine
        engine.count_api_request()
        allowed = self._allowed(request)
        if not allowed:
            engine.count_unknown(request.method, request.url.path)
        if engine.user_for_session(bearer(request)) is None:
            return rest_error("INVALID_SESSION_ID", "Session expired or invalid", 401)
        if allowed:
            response = rest_error(
                "METHOD_NOT_ALLOWED",
                f"HTTP Method '{request.method}' not allowed. Allowed are {','.join(allowed)}",
                405,
            )
            response.headers["Allow"] = ", ".join(allowed)
        else:
            response = rest_error("NOT_FOUND", "The requested resource does not exist", 404)
        response.headers["Sforce-Limit-Info"] = limit_info(engine)
        return response

    async def other(self, request: Request) -> Response:
        """Anything else (``/id/…``, an OAuth path the emulator lacks): 405 for a known path,
        else 404, counted so a client's unmet need shows in ``/_emulator/stats``."""
        allowed = self._allowed(request)
        if allowed:
            response = rest_error(
                "METHOD_NOT_ALLOWED",
                f"HTTP Method '{request.method}' not allowed. Allowed are {','.join(allowed)}",
                405,
            )
            response.headers["Allow"] = ", ".join(allowed)
            return response
        self.engine.count_unknown(request.method, request.url.path)
        return rest_error("NOT_FOUND", "The requested resource does not exist", 404)
