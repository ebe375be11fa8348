"""Shared helpers for the emulator tests: an in-process org on a manual clock (built by
tests/support/emulator.py), spoken to on the wire."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bulktui.api import wire
from bulktui.api.models import BatchInfo, JobInfo
from bulktui.emulator import Engine, EngineConfig, ManualClock
from bulktui.emulator.faults import FaultSpec
from tests.support.emulator import emulated_org

NS = wire.NAMESPACE
V = "64.0"


@dataclass
class Org:
    """An in-process emulator on a manual clock, with a client and a valid session."""

    engine: Engine
    clock: ManualClock
    http: httpx.AsyncClient
    token: str

    @property
    def h(self) -> dict[str, str]:
        return {"X-SFDC-Session": self.token, "Content-Type": "application/xml; charset=UTF-8"}

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def tick(self, seconds: float, *, renew: bool = True) -> None:
        """Move time on; a long tick also logs in again, as sessions last two hours."""
        self.clock.advance(seconds)
        self.engine.advance()
        if renew and seconds >= 3600:
            self.token = self.engine.issue_session()

    async def create_job(self, **fields: str) -> JobInfo:
        r = await self.http.post(
            f"/services/async/{V}/job", headers=self.h, content=wire.job_request_xml(fields)
        )
        assert r.status_code == 201, r.text
        return wire.parse_job_info(r.content, "xml")

    async def get_job(self, job_id: str, fmt: wire.Format = "xml") -> JobInfo:
        r = await self.http.get(f"/services/async/{V}/job/{job_id}", headers=self.h)
        assert r.status_code == 200, r.text
        return wire.parse_job_info(r.content, fmt)

    async def set_state(self, job_id: str, state: str) -> httpx.Response:
        return await self.http.post(
            f"/services/async/{V}/job/{job_id}",
            headers=self.h,
            content=wire.job_request_xml({"state": state}),
        )

    async def add_batch(
        self, job_id: str, body: str | bytes, media: str = "text/csv"
    ) -> httpx.Response:
        return await self.http.post(
            f"/services/async/{V}/job/{job_id}/batch",
            headers={**self.h, "Content-Type": f"{media}; charset=UTF-8"},
            content=body,
        )

    async def batch(self, job_id: str, batch_id: str, fmt: wire.Format = "xml") -> BatchInfo:
        r = await self.http.get(
            f"/services/async/{V}/job/{job_id}/batch/{batch_id}", headers=self.h
        )
        assert r.status_code == 200, r.text
        return wire.parse_batch_info(r.content, fmt)

    async def csv_job_with_batch(self, csv: str, **fields: str) -> tuple[str, str]:
        job = await self.create_job(contentType="CSV", **fields)
        r = await self.add_batch(job.id, csv)
        assert r.status_code == 201, r.text
        return job.id, wire.parse_batch_info(r.content, "xml").id


def make_org(config: EngineConfig | None = None, faults: FaultSpec | None = None) -> Org:
    org = emulated_org(faults, config=config)
    http = org.http(base_url="http://emulator.test")
    return Org(org.engine, org.clock, http, org.engine.issue_session())
