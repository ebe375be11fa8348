"""What every ``/services/data`` endpoint does first: count the request, check the session
(before any job lookup: an unauthenticated caller learns nothing about ids), check the API
version, then answer; REST errors are JSON arrays, and ``Sforce-Limit-Info`` goes only on
answers to an authenticated caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response

from bulktui.emulator.engine import Engine, UserInfo
from bulktui.emulator.responses import rest_error
from bulktui.emulator.state import EmulatorError

DataHandler = Callable[[Request, UserInfo, str], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
PREFIX = "/services/data/v{v}"


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and token.strip():
        return token.strip()
    return None


def limit_info(engine: Engine) -> str:
    return f"api-usage={engine.api_requests_used()}/{engine.config.daily_api_limit}"


def valid_version(engine: Engine, version: str, minimum: float = 0.0) -> bool:
    parts = version.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or len(parts[1]) != 1:
        return False
    number = float(version)
    cfg = engine.config
    return max(cfg.min_api_version, minimum) <= number <= cfg.max_api_version


def rest_endpoint(
    engine: Engine,
    template: str,
    handlers: Mapping[str, DataHandler],
    min_version: float = 0.0,
) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        engine.stats[f"{method} {template}"] += 1
        engine.count_api_request()
        user = engine.user_for_session(bearer(request))
        if user is None:
            return rest_error("INVALID_SESSION_ID", "Session expired or invalid", 401)
        version = request.path_params["v"]
        try:
            if not valid_version(engine, version, min_version):
                raise EmulatorError("NOT_FOUND", "The requested resource does not exist", 404)
            response = await handlers[method](request, user, version)
        except EmulatorError as exc:
            response = rest_error(exc.code, exc.message, exc.status)
        response.headers["Sforce-Limit-Info"] = limit_info(engine)
        return response

    return endpoint
