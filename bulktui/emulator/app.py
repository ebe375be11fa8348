"""``create_app``: the Starlette application over an Engine."""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from bulktui.emulator.control import ControlRoutes
from bulktui.emulator.engine import Engine
from bulktui.emulator.faults import FaultInjector, FaultMiddleware, FaultSpec
from bulktui.emulator.logins import LoginRoutes
from bulktui.emulator.routes_bulk import BulkRoutes
from bulktui.emulator.routes_bulk2 import Bulk2Routes
from bulktui.emulator.routes_data import DataRoutes
from bulktui.emulator.routes_fallback import FallbackRoutes
from bulktui.emulator.routes_rest import RestRoutes

_DOUBLE_SLASH = re.compile(r"/{2,}")


class SlashMiddleware:
    """``//services/data`` is ``/services/data`` to Salesforce's servers; the Salesforce CLI
    joins an instance URL ending in ``/`` with a path starting with one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and "//" in path:
            scope = {**scope, "path": _DOUBLE_SLASH.sub("/", path)}
        await self.app(scope, receive, send)


def create_app(engine: Engine, faults: FaultSpec | None = None) -> Starlette:
    injector = FaultInjector(faults)
    routes: list[BaseRoute] = [
        *BulkRoutes(engine).routes(),
        *DataRoutes(engine).routes(),
        *Bulk2Routes(engine).routes(),
        *RestRoutes(engine).routes(),
        *LoginRoutes(engine).routes(),
        *ControlRoutes(engine, injector).routes(),
    ]
    routes += FallbackRoutes(engine, list(routes)).routes()
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SlashMiddleware),
            Middleware(FaultMiddleware, engine=engine, injector=injector),
        ],
    )
    app.state.engine = engine
    app.state.faults = injector
    # Starlette would redirect /job/ to /job; both spellings are routed explicitly instead.
    app.router.redirect_slashes = False
    return app
