"""``create_app``: the Starlette application over an Engine."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from bulktui.emulator.control import ControlRoutes
from bulktui.emulator.engine import Engine
from bulktui.emulator.faults import FaultInjector, FaultMiddleware, FaultSpec
from bulktui.emulator.logins import LoginRoutes
from bulktui.emulator.routes_bulk import BulkRoutes
from bulktui.emulator.routes_bulk2 import Bulk2Routes
from bulktui.emulator.routes_data import DataRoutes
from bulktui.emulator.routes_fallback import FallbackRoutes
from bulktui.emulator.routes_rest import RestRoutes


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
        middleware=[Middleware(FaultMiddleware, engine=engine, injector=injector)],
    )
    app.state.engine = engine
    app.state.faults = injector
    # Starlette would redirect /job/ to /job; both spellings are routed explicitly instead.
    app.router.redirect_slashes = False
    return app
