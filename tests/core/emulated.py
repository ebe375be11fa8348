"""An org on the real emulator, in process, on a manual clock, with a poller pointed at it
(the engine, app and client come from tests/support/emulator.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from bulktui.api.client import BulkClient
from bulktui.core.config import PollerConfig
from bulktui.core.poller import Poller
from bulktui.core.snapshot import Snapshot
from bulktui.emulator import Engine, ManualClock
from bulktui.emulator.seeding import seed_jobs
from bulktui.emulator.state import Job
from tests.support.emulator import URL, emulated_org, running_job

__all__ = ["GET_BATCHES", "GET_JOB", "LISTS", "URL", "Org", "make_org"]

GET_JOB = "GET /services/async/{v}/job/{jobId}"
GET_BATCHES = "GET /services/async/{v}/job/{jobId}/batch"
LISTS = ("GET /services/data/v{v}/jobs/ingest", "GET /services/data/v{v}/jobs/query")


@dataclass
class Org:
    engine: Engine
    clock: ManualClock
    client: BulkClient
    control: httpx.AsyncClient
    published: list[Snapshot] = field(default_factory=list)
    poller: Poller | None = None
    base: Counter[str] = field(default_factory=Counter)

    def start_poller(self, **kw: Any) -> Poller:
        self.base = Counter(self.engine.stats)
        self.poller = Poller(self.client, PollerConfig(**kw), clock=self.clock)
        self.poller.add_listener(self.published.append)
        return self.poller

    def requests(self, route: str | None = None) -> int:
        """Requests the emulator counted since the poller started (all, or one route)."""
        now = Counter(self.engine.stats)
        now.subtract(self.base)
        if route is None:
            return sum(v for k, v in now.items())
        return now[route]

    def list_pages(self) -> int:
        return sum(self.requests(r) for r in LISTS)

    async def cycles(self, n: int, seconds: float = 5.0) -> None:
        assert self.poller is not None
        for _ in range(n):
            await self.poller.cycle()
            self.clock.advance(seconds)

    async def faults(self, spec: str) -> None:
        reply = await self.control.post("/_emulator/faults", content=spec)
        reply.raise_for_status()

    def ended(self, n: int, **spec: Any) -> list[Job]:
        """Closed jobs whose batches all finished (static: the engine never moves them)."""
        created = (self.clock.now() - timedelta(hours=2)).isoformat()
        batch = {"state": "Completed", "numberRecordsProcessed": 200, "numberRecordsFailed": 3}
        base = {"state": "Closed", "createdDate": created, "batches": [batch], "copies": n}
        return seed_jobs(self.engine, [{**base, **spec}])

    def running(
        self, batches: int = 2, rows: int = 400, rate: float = 5.0, close: bool = True
    ) -> Job:
        """A job that really processes: ``rate`` records/s per batch."""
        return running_job(self.engine, batches=batches, rows=rows, rate=rate, close=close)


def make_org(faults: str | None = None, *, reauth: bool = True) -> Org:
    org = emulated_org(faults)
    return Org(org.engine, org.clock, org.client(reauth=reauth), org.http())
