"""Fault injection: latency, 503s, connection resets, truncated bodies, the HTML maintenance
page, quota errors and sessions that expire on a schedule.

``FaultSpec.parse("latency=50,http503=0.1,expire-sessions-every=300")``. Rates are
probabilities per request, drawn from a seeded RNG so a run can be replayed. Control routes
under ``/_emulator/`` are never faulted.
"""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bulktui.api import wire
from bulktui.emulator.engine import Engine

MAINTENANCE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Salesforce - Down For Maintenance</title>
</head><body><div id="content"><h1>Down For Maintenance</h1>
<p>Salesforce is currently down for maintenance. We apologise for the inconvenience.</p>
<p>Please check <a href="https://status.salesforce.com">Salesforce Trust</a> for updates.</p>
</div></body></html>
"""

_KEYS = {
    "latency": "latency_ms",
    "http503": "http503",
    "reset": "reset",
    "malformed": "malformed",
    "html": "html",
    "quota": "quota",
    "expire-sessions-every": "expire_sessions_every",
    "seed": "seed",
}


class ConnectionAborted(ConnectionResetError):
    """Raised by the ``reset`` fault after the response has started: the server drops the
    connection mid-response (uvicorn closes the socket; in process the client sees this)."""


@dataclass(frozen=True, slots=True)
class FaultSpec:
    latency_ms: float = 0.0
    http503: float = 0.0
    reset: float = 0.0
    malformed: float = 0.0
    html: float = 0.0
    quota: float = 0.0
    expire_sessions_every: float = 0.0  # seconds of engine time; 0 = never
    seed: int = 0

    @classmethod
    def parse(cls, spec: str | None) -> FaultSpec:
        """``key=value`` pairs separated by commas; an empty spec means no faults."""
        values: dict[str, Any] = {}
        for part in (spec or "").split(","):
            part = part.strip()
            if not part:
                continue
            key, sep, raw = part.partition("=")
            attr = _KEYS.get(key.strip().lower())
            if not sep or attr is None:
                raise ValueError(f"unknown fault {key.strip()!r}; known: {', '.join(_KEYS)}")
            try:
                number = float(raw)
            except ValueError:
                raise ValueError(f"fault {key.strip()}: {raw!r} is not a number") from None
            # NaN passes every comparison and inf cannot become a seed: refuse both here.
            if not math.isfinite(number):
                raise ValueError(f"fault {key.strip()}: {raw.strip()} is not a finite number")
            if number < 0 or (attr in _RATES and number > 1) or number > _MAX_VALUE:
                raise ValueError(f"fault {key.strip()}: {raw.strip()} is out of range")
            if attr == "seed" and not number.is_integer():
                raise ValueError(f"fault seed: {raw.strip()} is not a whole number")
            values[attr] = int(number) if attr == "seed" else number
        return replace(cls(), **values)

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self) if f.name != "seed")

    def describe(self) -> str:
        names = {v: k for k, v in _KEYS.items()}
        return ",".join(
            f"{names[f.name]}={getattr(self, f.name):g}"
            for f in fields(self)
            if getattr(self, f.name)
        )


_RATES = {"http503", "reset", "malformed", "html", "quota"}
_MAX_VALUE = 2**53  # latency, periods and seeds above this are nonsense, not bigger faults


class FaultInjector:
    """Holds the current spec (replaceable at run time) and its RNG."""

    def __init__(self, spec: FaultSpec | None = None) -> None:
        self.set(spec or FaultSpec())

    def set(self, spec: FaultSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.last_expiry: datetime | None = None

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate


class FaultMiddleware:
    def __init__(self, app: ASGIApp, engine: Engine, injector: FaultInjector) -> None:
        self.app = app
        self.engine = engine
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        self.engine.advance()  # every request first brings the world up to now
        spec = self.injector.spec
        if path.startswith("/_emulator/") or not spec.active:
            await self.app(scope, receive, send)
            return
        await self._faulted(scope, receive, send, spec, path)

    async def _faulted(
        self, scope: Scope, receive: Receive, send: Send, spec: FaultSpec, path: str
    ) -> None:
        inj = self.injector
        if spec.expire_sessions_every > 0:
            now = self.engine.now()
            if inj.last_expiry is None:
                inj.last_expiry = now
            elif (now - inj.last_expiry).total_seconds() >= spec.expire_sessions_every:
                self.engine.sessions.expire_all()
                inj.last_expiry = now
        if spec.latency_ms > 0:
            await asyncio.sleep(spec.latency_ms / 1000)
        # One draw per fault, in a fixed order, so a seed replays the same sequence.
        draws = {name: inj.roll(getattr(spec, name)) for name in sorted(_RATES)}
        if draws["reset"]:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/xml"),
                        (b"content-length", b"4096"),
                    ],
                }
            )
            raise ConnectionAborted("emulated connection reset")
        if draws["html"]:
            status = 503 if inj.rng.random() < 0.5 else 200
            await _send(send, status, "text/html; charset=UTF-8", MAINTENANCE_HTML.encode())
            return
        if draws["http503"]:
            await _send_error(
                send, path, 503, "SERVER_UNAVAILABLE", "Server temporarily unavailable"
            )
            return
        if draws["quota"]:
            if path.startswith("/services/async/"):
                await _send(
                    send,
                    400,
                    "application/xml",
                    wire.error_xml("ExceededQuota", "TotalRequests Limit exceeded.").encode(),
                )
            else:
                await _send_error(
                    send, path, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
                )
            return
        if draws["malformed"]:
            await self.app(scope, receive, _truncating(send))
            return
        await self.app(scope, receive, send)


async def _send(send: Send, status: int, media: str, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Send, path: str, status: int, code: str, message: str) -> None:
    if path.startswith("/services/async/"):
        await _send(send, status, "application/xml", wire.error_xml("Unknown", message).encode())
    else:
        import json

        body = json.dumps([{"message": message, "errorCode": code}]).encode()
        await _send(send, status, "application/json", body)


def _truncating(send: Send) -> Send:
    """Let the app answer, then cut its XML/JSON body in half (a dropped proxy stream)."""
    start: dict[str, Message] = {}
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            start["message"] = message
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        head = start["message"]
        ctype = dict(head.get("headers", [])).get(b"content-type", b"")
        if b"xml" in ctype or b"json" in ctype:
            body = body[: max(1, len(body) // 2)]
        headers = [(k, v) for k, v in head.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**head, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return wrapped
