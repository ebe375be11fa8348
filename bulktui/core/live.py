"""What the console needs from the world: snapshots, the poller's status, and the actions.

The console is written against :class:`Backend`. :class:`LiveBackend` wires it to a
``BulkClient`` (or anything shaped like one), the core ``Poller`` and the core
``ActionRunner``; tests use the same class over the in-process emulator. Nothing here
imports Textual: a headless process can watch an org through the same object.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Protocol

from bulktui.api.enums import ResultSet
from bulktui.api.lifecycle import kind_of
from bulktui.api.models import JobInfo, RecordResult
from bulktui.api.results import (
    FailedRecordGroups,
    delimiter_of,
    group_failed_v1,
    group_failed_v2,
)
from bulktui.core.actions import ActionOutcome, ActionRunner
from bulktui.core.clock import Clock, Sleep, real_sleep
from bulktui.core.config import PollerConfig
from bulktui.core.jobspec import NewJobSpec
from bulktui.core.poller import Poller
from bulktui.core.ports import ActionClient, PollingClient
from bulktui.core.snapshot import PollStatus, Snapshot

__all__ = ["Backend", "ConsoleClient", "LiveBackend", "NewJobSpec", "SnapshotCallback"]

SnapshotCallback = Callable[[Snapshot], None]


class Backend(Protocol):
    """The poller, the action runner and the client, as the console sees them."""

    @property
    def instance_url(self) -> str: ...

    @property
    def interval(self) -> float: ...

    async def run(self, on_snapshot: SnapshotCallback) -> None:
        """Publish snapshots until cancelled."""

    def status(self) -> PollStatus: ...

    def select(self, job_id: str | None) -> None: ...

    def set_visible(self, job_ids: Iterable[str]) -> None:
        """The rows on screen: only these are read just for their counts."""

    def refresh_now(self) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def set_interval(self, seconds: float) -> float: ...

    def invalidate(self, job_id: str) -> None: ...

    async def get_job(self, job_id: str) -> JobInfo: ...

    async def close(self, job_id: str) -> ActionOutcome: ...

    async def abort(self, job_id: str) -> ActionOutcome: ...

    async def create(self, spec: NewJobSpec) -> ActionOutcome: ...

    async def batch_results(self, job_id: str, batch_id: str) -> list[RecordResult]: ...

    async def failed_records(self, job_id: str, batch_id: str | None) -> FailedRecordGroups:
        """Failed records grouped by error: a 1.0 batch's results, or a 2.0 job's
        ``failedResults`` (``batch_id`` None), read as a stream with bounded memory."""
        ...

    async def aclose(self) -> None: ...


class ConsoleClient(PollingClient, ActionClient, Protocol):
    """The parts of ``BulkClient`` the console uses."""

    async def get_batch_results(self, job_id: str, batch_id: str) -> list[RecordResult]: ...

    def iter_results_v2(self, job_id: str, which: ResultSet) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class LiveBackend:
    """Poller + ActionRunner over one client. ``on_close`` runs after the client is closed
    (``--demo`` stops its emulator there)."""

    def __init__(
        self,
        client: ConsoleClient,
        *,
        instance_url: str,
        interval: float | None = None,
        config: PollerConfig | None = None,
        clock: Clock | None = None,
        sleep: Sleep = real_sleep,
        read_only: bool = False,
        on_close: Callable[[], Awaitable[None] | None] | None = None,
    ) -> None:
        self.client = client
        self._instance_url = instance_url
        self._listener: SnapshotCallback | None = None
        config = config or PollerConfig()
        if interval is not None:
            config = config.with_interval(interval)
        self.poller = Poller(client, config, clock=clock, sleep=sleep)
        self.poller.add_listener(self._publish)
        self.runner = ActionRunner(client, self.poller, read_only=read_only)
        self._on_close = on_close
        self._closed = False

    def _publish(self, snapshot: Snapshot) -> None:
        if self._listener is not None:
            self._listener(snapshot)

    @property
    def instance_url(self) -> str:
        return self._instance_url

    @property
    def interval(self) -> float:
        return self.poller.interval

    async def run(self, on_snapshot: SnapshotCallback) -> None:
        self._listener = on_snapshot
        await self.poller.run()

    def status(self) -> PollStatus:
        return self.poller.status

    def select(self, job_id: str | None) -> None:
        self.poller.select(job_id)

    def set_visible(self, job_ids: Iterable[str]) -> None:
        self.poller.set_visible(job_ids)

    def refresh_now(self) -> None:
        self.poller.refresh_now()

    def pause(self) -> None:
        self.poller.pause()

    def resume(self) -> None:
        self.poller.resume()

    def set_interval(self, seconds: float) -> float:
        return self.poller.set_interval(seconds)

    def invalidate(self, job_id: str) -> None:
        self.poller.invalidate(job_id)

    async def get_job(self, job_id: str) -> JobInfo:
        known = self.poller.known_job(job_id)  # its kind, so one endpoint is asked
        return await self.client.get_job(job_id, kind_of(known) if known else None)

    async def close(self, job_id: str) -> ActionOutcome:
        return await self.runner.close(job_id)

    async def abort(self, job_id: str) -> ActionOutcome:
        return await self.runner.abort(job_id)

    async def create(self, spec: NewJobSpec) -> ActionOutcome:
        return await self.runner.create(
            spec.object,
            spec.operation,
            content_type=spec.content_type,
            external_id_field_name=spec.external_id_field_name,
            concurrency_mode=spec.concurrency_mode,
        )

    async def batch_results(self, job_id: str, batch_id: str) -> list[RecordResult]:
        return await self.client.get_batch_results(job_id, batch_id)

    async def failed_records(self, job_id: str, batch_id: str | None) -> FailedRecordGroups:
        if batch_id is not None:
            return group_failed_v1(await self.client.get_batch_results(job_id, batch_id))
        job = self.poller.known_job(job_id) or await self.client.get_job(job_id)
        chunks = self.client.iter_results_v2(job_id, ResultSet.FAILED)
        return await group_failed_v2(chunks, delimiter=delimiter_of(job))

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self.client.aclose()
        finally:
            if self._on_close is not None:
                result = self._on_close()
                if result is not None:
                    await result
