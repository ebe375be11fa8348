"""The emulator in process: an ``Engine`` on a ``ManualClock``, its ASGI app (no sockets), and
``BulkClient``s and plain httpx clients over that app. Each folder's org helper builds on this
(tests/core/emulated.py, tests/emulator/helpers.py, tests/reliability/console.py,
tests/ui/harness.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from bulktui.api.client import BulkClient
from bulktui.api.connection import Connection, ReauthHook
from bulktui.api.retry import RetryPolicy
from bulktui.emulator import Engine, EngineConfig, FaultSpec, ManualClock, create_app
from bulktui.emulator.state import Job
from tests.support.clock import no_sleep

URL = "http://127.0.0.1"


def fault_spec(faults: str | FaultSpec | None) -> FaultSpec | None:
    """A fault spec parsed from its text form (``FaultSpec.parse``), or as given."""
    if isinstance(faults, str):
        return FaultSpec.parse(faults) if faults else None
    return faults


@dataclass
class EmulatedOrg:
    """One engine on one manual clock, served by one ASGI app."""

    clock: ManualClock
    engine: Engine
    app: Any  # the Starlette app

    def client(
        self,
        *,
        reauth: bool = True,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        **kw: Any,
    ) -> BulkClient:
        """A ``BulkClient`` with a fresh session; with ``reauth`` it logs in again when the
        session expires. Retries do not wait unless ``retry`` says otherwise."""
        return bulk_client(
            self.engine, self.app, reauth=reauth, retry=retry, transport=transport, **kw
        )

    def http(self, base_url: str = URL) -> httpx.AsyncClient:
        """A plain httpx client over the app: the control endpoints, or raw wire requests."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=base_url)


def emulated_org(
    faults: str | FaultSpec | None = None,
    *,
    config: EngineConfig | None = None,
    start: datetime | None = None,
) -> EmulatedOrg:
    clock = ManualClock(start)
    engine = Engine(clock, config or EngineConfig())
    return EmulatedOrg(clock, engine, create_app(engine, fault_spec(faults)))


def bulk_client(
    engine: Engine,
    app: Any,
    *,
    reauth: bool = False,
    reauthenticate: ReauthHook | None = None,
    retry: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **kw: Any,
) -> BulkClient:
    """A ``BulkClient`` on ``engine`` through ``app`` (or ``transport``) with a fresh session.
    ``reauth`` renews the session from the engine; ``reauthenticate`` is a hook of the test's."""

    async def renew() -> Connection:
        return Connection(URL, engine.issue_session())

    return BulkClient(
        Connection(URL, engine.issue_session()),
        transport=transport or httpx.ASGITransport(app=app),
        reauthenticate=reauthenticate or (renew if reauth else None),
        retry=retry or RetryPolicy(sleep=no_sleep),
        **kw,
    )


def running_job(
    engine: Engine, *, batches: int = 2, rows: int = 400, rate: float = 5.0, close: bool = True
) -> Job:
    """A 1.0 insert that really processes: ``rate`` records/s per batch on the engine's clock."""
    user = engine.default_user
    job = engine.create_job(
        user, {"operation": "insert", "object": "Account", "contentType": "CSV"}, "64.0"
    )
    job.records_per_second = rate
    body = ("Name\n" + "".join(f"Acme {i}\n" for i in range(rows))).encode()
    for _ in range(batches):
        engine.add_batch(job, user, body, "text/csv")
    if close:
        engine.update_job(job, user, {"state": "Closed"})
    return job
