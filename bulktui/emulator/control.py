"""``/_emulator/…`` control endpoints for tests, benches and the demo. Never faulted and not
counted as API requests; they do not exist on a real org."""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bulktui.api.wire import format_datetime_json
from bulktui.emulator.clock import ManualClock
from bulktui.emulator.engine import Engine
from bulktui.emulator.faults import FaultInjector, FaultSpec
from bulktui.emulator.responses import json_value
from bulktui.emulator.seeding import seed_jobs
from bulktui.emulator.state import EmulatorError


class ControlRoutes:
    def __init__(self, engine: Engine, faults: FaultInjector) -> None:
        self.engine = engine
        self.faults = faults

    def routes(self) -> list[Route]:
        return [
            Route("/_emulator/stats", self.stats, methods=["GET"]),
            Route("/_emulator/faults", self.set_faults, methods=["GET", "POST"]),
            Route("/_emulator/expire-sessions", self.expire_sessions, methods=["POST"]),
            Route("/_emulator/clock", self.clock, methods=["GET", "POST"]),
            Route("/_emulator/seed", self.seed, methods=["POST"]),
            Route("/_emulator/device/approve", self.approve_device, methods=["POST"]),
            Route("/_emulator/revoke-refresh-tokens", self.revoke, methods=["POST"]),
            Route("/_emulator/refresh-token", self.refresh_token, methods=["POST"]),
            Route("/_emulator/session", self.session, methods=["POST"]),
        ]

    async def _json(self, request: Request) -> Any:
        body = await request.body()
        if not body.strip():
            return {}
        try:
            return json.loads(body)
        except ValueError:
            raise EmulatorError("InvalidRequest", "the body is not JSON") from None

    async def stats(self, request: Request) -> Response:
        routes = dict(sorted(self.engine.stats.items()))
        return json_value(
            {
                "total": sum(routes.values()),
                "routes": routes,
                "unknown_routes": dict(sorted(self.engine.unknown_routes.items())),
                "api_requests_24h": self.engine.api_requests_used(),
                "batches_24h": self.engine.batches_used(),
                "jobs": len(self.engine.jobs),
            }
        )

    async def set_faults(self, request: Request) -> Response:
        if request.method == "POST":
            body = (await request.body()).decode("utf-8", "replace").strip()
            if body.startswith("{"):
                try:
                    body = str(json.loads(body).get("spec", ""))
                except (ValueError, AttributeError):
                    return json_value({"error": 'expected a spec string or {"spec": …}'}, 400)
            try:
                self.faults.set(FaultSpec.parse(body))
            except ValueError as exc:
                return json_value({"error": str(exc)}, 400)
        return json_value({"faults": self.faults.spec.describe()})

    async def expire_sessions(self, request: Request) -> Response:
        return json_value({"expired": self.engine.sessions.expire_all()})

    async def clock(self, request: Request) -> Response:
        clock = self.engine.clock
        if request.method == "POST":
            if not isinstance(clock, ManualClock):
                return json_value(
                    {"error": "the clock is not manual (start with --manual-clock)"}, 409
                )
            try:
                data = await self._json(request)
                seconds = float(data.get("advance_seconds", 0))
                if not math.isfinite(seconds) or seconds < 0:
                    raise ValueError("a finite number of seconds, 0 or more")
                clock.advance(seconds)
            except (EmulatorError, ValueError, TypeError, AttributeError) as exc:
                return json_value({"error": f'expected {{"advance_seconds": N}}: {exc}'}, 400)
            self.engine.advance()
        return json_value(
            {
                "now": format_datetime_json(self.engine.now()),
                "manual": isinstance(clock, ManualClock),
            }
        )

    async def seed(self, request: Request) -> Response:
        try:
            data = await self._json(request)
            specs = data.get("jobs") if isinstance(data, dict) else data
            if not isinstance(specs, list):
                raise EmulatorError("InvalidSeed", 'expected {"jobs": [...]}')
            jobs = seed_jobs(self.engine, specs)
        except EmulatorError as exc:
            return json_value({"error": exc.message}, 400)
        except (ValueError, TypeError) as exc:
            return json_value({"error": str(exc)}, 400)
        return json_value(
            {"jobs": [{"id": j.id, "batches": [b.id for b in j.batches]} for j in jobs]}
        )

    async def approve_device(self, request: Request) -> Response:
        try:
            data = await self._json(request)
        except EmulatorError as exc:
            return json_value({"error": exc.message}, 400)
        code = data.get("user_code") if isinstance(data, dict) else None
        return json_value({"approved": self.engine.sessions.approve_devices(code)})

    async def revoke(self, request: Request) -> Response:
        return json_value({"revoked": self.engine.sessions.revoke_refresh_tokens()})

    async def refresh_token(self, request: Request) -> Response:
        token = self.engine.sessions.issue_refresh(self.engine.default_user.id)
        return json_value({"refresh_token": token})

    async def session(self, request: Request) -> Response:
        return json_value({"session_id": self.engine.issue_session()})
