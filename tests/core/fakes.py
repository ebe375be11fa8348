"""A tiny in-memory stand-in for BulkClient: enough to test the poller's scheduling exactly."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta

from bulktui.api.enums import BatchState, JobState, JobType, Operation
from bulktui.api.errors import ApiError
from bulktui.api.ids import JOB_PREFIX, make_id
from bulktui.api.lifecycle import JobKind
from bulktui.api.models import ApiUsage, BatchInfo, Identity, JobInfo
from tests.support.clock import T0
from tests.support.clock import ManualClock as ManualClock  # the tests import it from here

ME = "005000000000001AAA"


def job_id(n: int) -> str:
    return make_id(JOB_PREFIX, "00", n)


def job(
    n: int,
    state: JobState = JobState.CLOSED,
    *,
    queued: int = 0,
    processed: int = 0,
    total: int = 1,
    job_type: JobType = JobType.CLASSIC,
    created_by: str = ME,
) -> JobInfo:
    completed = total - queued
    return JobInfo(
        id=job_id(n),
        operation=Operation.INSERT,
        object="Account",
        created_by_id=created_by,
        created_date=T0 - timedelta(minutes=n),
        system_modstamp=T0,
        state=state,
        job_type=job_type,
        number_batches_queued=queued,
        number_batches_in_progress=0,
        number_batches_completed=completed,
        number_batches_failed=0,
        number_batches_total=total,
        number_records_processed=processed,
        number_records_failed=0,
    )


def row_of(info: JobInfo) -> JobInfo:
    """What the job list shows: no counts."""
    return JobInfo(
        id=info.id,
        operation=info.operation,
        object=info.object,
        created_by_id=info.created_by_id,
        created_date=info.created_date,
        system_modstamp=info.system_modstamp,
        state=info.state,
        job_type=info.job_type,
    )


class FakeClient:
    def __init__(self, jobs: Sequence[JobInfo] = ()) -> None:
        self.jobs: dict[str, JobInfo] = {j.id: j for j in jobs}
        self.calls: Counter[str] = Counter()
        self.order: list[str] = []  # every call, in the order made
        self.gets: Counter[str] = Counter()
        self.batch_lists: Counter[str] = Counter()
        self.kinds: dict[str, JobKind | None] = {}  # the kind each job was last read as
        self.unknown_to_get: set[str] = set()  # listed, but the GET says no such job
        self.fail_with: BaseException | None = None  # raised by every call while set
        self.fail_get: dict[str, BaseException] = {}
        self.names = {ME: "Ada Lovelace", "005000000000002AAA": "Grace Hopper"}
        self.requests_sent = 0
        self.api_usage: ApiUsage | None = ApiUsage(10, 15000)

    @property
    def requests_reached(self) -> int:
        return self.requests_sent  # a fake has no connection to fail

    def _hit(self, name: str) -> None:
        self.calls[name] += 1
        self.order.append(name)
        self.requests_sent += 1
        if self.fail_with is not None:
            raise self.fail_with

    def update(self, n: int, **changes: object) -> None:
        jid = job_id(n)
        self.jobs[jid] = dataclasses.replace(self.jobs[jid], **changes)  # type: ignore[arg-type]

    async def list_jobs(self) -> list[JobInfo]:
        self._hit("list_jobs")
        return [row_of(j) for j in self.jobs.values()]

    async def get_job(self, job_id: str, kind: JobKind | None = None) -> JobInfo:
        self._hit("get_job")
        self.gets[job_id] += 1
        self.kinds[job_id] = kind
        if job_id in self.fail_get:
            raise self.fail_get[job_id]
        if job_id not in self.jobs or job_id in self.unknown_to_get:
            raise ApiError(400, "InvalidJob", f"Unable to find job {job_id}")
        return self.jobs[job_id]

    async def list_batches(self, job_id: str) -> tuple[BatchInfo, ...]:
        self._hit("list_batches")
        self.batch_lists[job_id] += 1
        return (BatchInfo(id="751000000000000001", job_id=job_id, state=BatchState.COMPLETED),)

    async def whoami(self) -> Identity:
        self._hit("whoami")
        return Identity(
            user_id=ME,
            org_id="00D000000000001AAA",
            username="ada@example.com",
            display_name="Ada Lovelace",
        )

    def fastest_reply_since(self, mark: int) -> float | None:
        return None

    def retries_since(self, mark: int) -> tuple[int, str | None]:
        return 0, None

    async def user_names(self, ids: Sequence[str]) -> dict[str, str]:
        self._hit("user_names")
        return {i: self.names[i] for i in ids if i in self.names}
