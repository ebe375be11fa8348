"""Jobs and snapshots for the journal tests (tests/core/test_journal*.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from bulktui.api.enums import JobState, JobType, Operation
from bulktui.api.ids import JOB_PREFIX, make_id
from bulktui.api.models import Identity, JobInfo
from bulktui.core.snapshot import JobView, LinkState, Snapshot

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORG = "00D000000000001AAA"
USER = "005000000000001AAA"
IDENTITY = Identity(user_id=USER, org_id=ORG, username="ada@example.com", display_name="Ada")


def job_id(n: int) -> str:
    return make_id(JOB_PREFIX, "00", n)


def list_row(n: int, state: JobState = JobState.CLOSED, **changes: object) -> JobInfo:
    """What a listing says of a job: no counters."""
    base = JobInfo(
        id=job_id(n),
        operation=Operation.INSERT,
        object="Account",
        created_by_id=USER,
        created_date=T0 - timedelta(minutes=n),
        system_modstamp=T0,
        state=state,
        job_type=JobType.CLASSIC,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def full(n: int, state: JobState = JobState.CLOSED, **changes: object) -> JobInfo:
    """What a GET says of a finished 1.0 job: counters, nothing pending."""
    counts: dict[str, object] = {
        "number_batches_queued": 0,
        "number_batches_in_progress": 0,
        "number_batches_completed": 1,
        "number_batches_failed": 0,
        "number_batches_total": 1,
        "number_records_processed": 100 + n,
        "number_records_failed": n % 3,
    }
    return dataclasses.replace(list_row(n, state), **{**counts, **changes})  # type: ignore[arg-type]


def snapshot(
    jobs: Iterable[JobInfo | JobView],
    at: datetime = T0,
    *,
    purged: Iterable[str] = (),
    identity: Identity | None = IDENTITY,
) -> Snapshot:
    gone = set(purged)
    views = {}
    for item in jobs:
        view = item if isinstance(item, JobView) else JobView(item, purged=item.id in gone)
        views[view.id] = view
    return Snapshot(jobs=views, link=LinkState.LIVE, fetched_at=at, identity=identity)
