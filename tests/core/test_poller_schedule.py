"""The poller's fetch policy, cycle by cycle, against a fake client (no emulator, no sleeping)."""

from __future__ import annotations

import asyncio
import dataclasses

from bulktui.api.enums import JobState, JobType
from bulktui.api.errors import (
    ApiError,
    InvalidSessionError,
    QuotaExceededError,
    ReauthenticationError,
    TransportError,
)
from bulktui.api.lifecycle import JobKind
from bulktui.core.config import PollerConfig
from bulktui.core.poller import Poller
from bulktui.core.snapshot import LinkState, Snapshot

from .fakes import ME, FakeClient, ManualClock, job, job_id


def make(client: FakeClient, **kw: object) -> tuple[Poller, ManualClock, list[Snapshot]]:
    clock = ManualClock()
    published: list[Snapshot] = []
    poller = Poller(client, PollerConfig(**kw), clock=clock)  # type: ignore[arg-type]
    poller.add_listener(published.append)
    return poller, clock, published


async def step(poller: Poller, clock: ManualClock, n: int = 1, seconds: float = 5.0) -> None:
    for _ in range(n):
        await poller.cycle()
        clock.advance(seconds)


async def test_ended_job_fetched_once_live_job_every_cycle_while_it_changes() -> None:
    client = FakeClient([job(1), job(2, JobState.OPEN, queued=1, total=2)])
    poller, clock, _ = make(client)
    await step(poller, clock)
    assert client.gets[job_id(1)] == 1 and client.gets[job_id(2)] == 1
    for i in range(5):
        client.update(2, number_records_processed=100 * (i + 1))
        await step(poller, clock)
    assert client.gets[job_id(1)] == 1  # ended: never again
    assert client.gets[job_id(2)] == 6  # changing: every cycle
    assert client.calls["list_jobs"] == 6
    view = poller.snapshot.jobs[job_id(2)]
    assert view.throughput == 100 / 5.0
    assert poller.snapshot.jobs[job_id(1)].throughput is None


async def test_backoff_doubles_while_nothing_changes_and_resets_on_change() -> None:
    client = FakeClient([job(1, JobState.OPEN, queued=1, total=1)])
    poller, clock, _ = make(client)
    fetched_in: list[int] = []
    for cycle in range(1, 41):
        before = client.gets[job_id(1)]
        await step(poller, clock)
        if client.gets[job_id(1)] > before:
            fetched_in.append(cycle)
    # Gaps 1, 2, 4, 8, then the ceiling of 12 cycles (60 s at 5 s).
    assert fetched_in == [1, 2, 4, 8, 16, 28, 40]
    client.update(1, number_records_processed=5)
    # A change is seen at the next due fetch, then polling is every cycle again.
    for _ in range(12):
        await step(poller, clock)
    after_change = client.gets[job_id(1)]
    await step(poller, clock)
    assert client.gets[job_id(1)] in (after_change, after_change + 1)


async def test_list_row_change_resets_backoff_at_once() -> None:
    client = FakeClient([job(1, JobState.OPEN, queued=1)])
    poller, clock, _ = make(client)
    await step(poller, clock, 9)  # deep into back-off
    gets = client.gets[job_id(1)]
    client.update(1, state=JobState.CLOSED, system_modstamp=clock.now())
    await step(poller, clock)
    assert client.gets[job_id(1)] == gets + 1


async def test_ended_job_aborted_by_someone_else_is_seen_from_the_list() -> None:
    client = FakeClient([job(1)])
    poller, clock, _ = make(client)
    await step(poller, clock, 3)
    assert client.gets[job_id(1)] == 1
    client.update(1, state=JobState.ABORTED, system_modstamp=clock.now())
    await step(poller, clock, 3)
    assert client.gets[job_id(1)] == 2
    assert poller.snapshot.jobs[job_id(1)].job.state is JobState.ABORTED


async def test_only_the_selected_job_gets_batches_and_ended_selection_is_cached() -> None:
    client = FakeClient([job(1), job(2), job(3, JobState.OPEN, queued=1)])
    poller, clock, published = make(client)
    await step(poller, clock)
    assert sum(client.batch_lists.values()) == 0
    poller.select(job_id(1))
    assert published[-1].selected_job_id == job_id(1)
    await step(poller, clock, 3)
    # Ended: one batch list, then the cache; no more GETs of the job either.
    assert client.batch_lists == {job_id(1): 1}
    assert client.gets[job_id(1)] == 1
    assert poller.snapshot.batches is not None
    poller.select(job_id(3))
    await step(poller, clock, 3)
    assert client.batch_lists[job_id(3)] == 3  # open: every cycle, back-off ignored
    assert client.gets[job_id(3)] == 3 + 3  # cycles 1, 2, 4 by back-off; then every cycle
    poller.select(job_id(1))
    await step(poller, clock)
    assert client.batch_lists[job_id(1)] == 1
    poller.refresh_now()  # the user asks: ended or not, read it again
    await poller.cycle(force=True)
    assert client.batch_lists[job_id(1)] == 2


async def test_v2_jobs_get_no_batch_list() -> None:
    client = FakeClient([job(1, JobState.JOB_COMPLETE, job_type=JobType.V2_INGEST)])
    poller, clock, _ = make(client)
    poller.select(job_id(1))
    await step(poller, clock, 2)
    assert client.calls["list_batches"] == 0


async def test_vanished_job_is_purged_after_one_confirming_get_not_an_error() -> None:
    client = FakeClient([job(1), job(2, JobState.OPEN, queued=1)])
    poller, clock, _ = make(client)
    await step(poller, clock)
    del client.jobs[job_id(1)]
    del client.jobs[job_id(2)]
    await step(poller, clock, 3)
    snap = poller.snapshot
    assert snap.jobs[job_id(1)].purged and snap.jobs[job_id(2)].purged
    assert snap.link is LinkState.LIVE and snap.problem is None
    assert client.gets[job_id(1)] == client.gets[job_id(2)] == 2  # read, then confirmed gone


async def test_a_listed_job_its_endpoint_does_not_know_is_never_called_purged() -> None:
    # The "InvalidJob -> purged -> un-purged" loop: a listing shows the job, its GET says no.
    client = FakeClient([job(1, JobState.IN_PROGRESS, job_type=JobType.V2_INGEST)])
    client.unknown_to_get.add(job_id(1))
    poller, clock, published = make(client)
    await step(poller, clock, 10)
    assert not any(s.jobs[job_id(1)].purged for s in published if job_id(1) in s.jobs)
    assert client.gets[job_id(1)] == 1  # asked once, not every cycle
    client.update(1, state=JobState.JOB_COMPLETE, system_modstamp=clock.now())
    client.unknown_to_get.clear()
    await step(poller, clock)
    assert client.gets[job_id(1)] == 2  # its row changed: worth one more GET
    assert poller.snapshot.jobs[job_id(1)].job.state is JobState.JOB_COMPLETE


async def test_each_job_is_read_at_the_endpoint_of_its_kind_and_2_0_only_while_live() -> None:
    client = FakeClient(
        [
            job(1, JobState.IN_PROGRESS, job_type=JobType.V2_INGEST, processed=10),
            job(2, JobState.JOB_COMPLETE, job_type=JobType.V2_QUERY),
            job(3, JobState.OPEN, queued=1),
        ]
    )
    poller, clock, _ = make(client)
    for n in range(5):
        client.update(1, number_records_processed=100 * (n + 2))
        await step(poller, clock)
    assert client.kinds == {
        job_id(1): JobKind.V2_INGEST,
        job_id(2): JobKind.V2_QUERY,
        job_id(3): JobKind.V1,
    }
    assert client.gets[job_id(1)] == 5 and client.gets[job_id(2)] == 1
    client.update(1, state=JobState.JOB_COMPLETE, system_modstamp=clock.now())
    await step(poller, clock, 5)
    assert client.gets[job_id(1)] == 6  # ended: read once more for its final counts, then never


async def test_user_names_resolved_once_and_whoami_once() -> None:
    other = "005000000000002AAA"
    unknown = "005000000000003AAA"
    client = FakeClient([job(1), job(2, created_by=other), job(3, created_by=unknown)])
    poller, clock, _ = make(client)
    await step(poller, clock, 4)
    assert client.calls["whoami"] == 1
    assert client.calls["user_names"] == 1  # ME came from whoami; unknown is not asked again
    snap = poller.snapshot
    assert snap.user_names[other] == "Grace Hopper" and snap.user_names[ME] == "Ada Lovelace"
    assert snap.identity is not None and snap.identity.user_id == ME


async def test_nothing_published_when_nothing_changed() -> None:
    client = FakeClient([job(1), job(2, JobState.OPEN, queued=1)])
    poller, clock, published = make(client)
    await step(poller, clock, 2)
    count = len(published)
    await step(poller, clock, 20)
    assert len(published) == count
    assert poller.status.cycle == 22  # but the header's facts move on
    assert (
        poller.status.fetched_at is not None and poller.status.fetched_at > published[-1].fetched_at
    )  # type: ignore[operator]
    client.update(2, number_records_processed=7)
    await step(poller, clock, 12)
    assert len(published) == count + 2  # the change, then its rate back to 0/s
    assert (published[-2].jobs[job_id(2)].throughput or 0) > 0
    assert published[-1].jobs[job_id(2)].throughput == 0.0
    # Unchanged jobs keep their view objects, so the UI can diff cheaply by identity.
    assert published[-1].jobs[job_id(1)] is published[-2].jobs[job_id(1)]


async def test_pause_means_zero_requests() -> None:
    client = FakeClient([job(1, JobState.OPEN, queued=1)])
    poller, clock, published = make(client)
    await step(poller, clock)
    poller.pause()
    assert published[-1].link is LinkState.PAUSED
    sent = client.requests_sent
    await step(poller, clock, 10)
    poller.select(job_id(1))
    await poller.fetch_selection()
    assert client.requests_sent == sent
    poller.resume()
    await step(poller, clock)
    assert client.requests_sent > sent
    assert poller.status.link is LinkState.LIVE


async def test_transport_fault_degrades_then_stale_then_recovers_within_two_cycles() -> None:
    client = FakeClient([job(1), job(2, JobState.OPEN, queued=1)])
    poller, clock, _ = make(client)
    await step(poller, clock)
    good = poller.snapshot
    client.fail_with = TransportError("connection reset by peer")
    delays = []
    for _ in range(4):
        await poller.cycle()
        delays.append((poller.next_cycle_at() - clock.now()).total_seconds())
        clock.advance(delays[-1])
        if len(delays) == 1:
            assert poller.status.link is LinkState.DEGRADED
    assert delays == [10.0, 20.0, 40.0, 60.0]  # interval × 2^n, capped at 60 s
    snap = poller.snapshot
    assert snap.link is LinkState.STALE
    assert snap.problem is not None and "unreachable" in snap.problem
    assert snap.jobs == good.jobs  # the last data stays
    client.fail_with = None
    await poller.cycle()
    assert poller.snapshot.link is LinkState.LIVE and poller.snapshot.problem is None
    assert (poller.next_cycle_at() - clock.now()).total_seconds() == 5.0


async def test_partial_failure_is_degraded_and_failed_job_retried_next_cycle() -> None:
    client = FakeClient([job(1), job(2)])
    client.fail_get[job_id(2)] = TransportError("timed out")
    poller, clock, _ = make(client)
    await step(poller, clock)
    assert poller.snapshot.link is LinkState.DEGRADED
    assert "1 of 2 job requests failed" in (poller.snapshot.problem or "")
    del client.fail_get[job_id(2)]
    await step(poller, clock)
    assert client.gets[job_id(2)] == 2 and client.gets[job_id(1)] == 1
    assert poller.snapshot.link is LinkState.LIVE


async def test_quota_stops_the_cycle_and_probes_slowly() -> None:
    client = FakeClient([job(n, JobState.OPEN, queued=1) for n in range(1, 6)])
    poller, clock, _ = make(client)
    await step(poller, clock)
    client.fail_with = QuotaExceededError(
        403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."
    )
    sent = client.requests_sent
    await poller.cycle()
    assert client.requests_sent == sent + 1  # the first refusal ends the cycle
    assert (poller.next_cycle_at() - clock.now()).total_seconds() == 300.0
    problem = poller.snapshot.problem or ""
    assert "API request limit" in problem and "5 min" in problem


async def test_session_failure_is_stale_and_retried_rarely() -> None:
    client = FakeClient([job(1)])
    poller, clock, _ = make(client)
    await step(poller, clock)
    for error in (
        ReauthenticationError("the refresh token was revoked"),
        InvalidSessionError(400, "InvalidSessionId", "Invalid session id"),
    ):
        client.fail_with = error
        await poller.cycle()
        assert poller.snapshot.link is LinkState.STALE
        assert "Log in again" in (poller.snapshot.problem or "")
        assert (poller.next_cycle_at() - clock.now()).total_seconds() == 300.0


async def test_permission_refusal_marks_job_not_link() -> None:
    client = FakeClient([job(1, JobState.OPEN, queued=1)])
    client.fail_get[job_id(1)] = ApiError(400, "InvalidUser", "no access")
    poller, clock, _ = make(client)
    await step(poller, clock, 5)
    assert client.gets[job_id(1)] == 1
    assert poller.snapshot.link is LinkState.LIVE


async def test_backfill_budget_live_jobs_first() -> None:
    jobs = [job(n) for n in range(1, 11)] + [job(99, JobState.OPEN, queued=1)]
    client = FakeClient(jobs)
    poller, clock, _ = make(client, backfill_per_cycle=4)
    await step(poller, clock)
    assert client.gets[job_id(99)] == 1
    assert sum(client.gets.values()) == 1 + 4  # the live job is never part of the budget
    await step(poller, clock, 3)
    assert all(client.gets[job_id(n)] == 1 for n in range(1, 11))


async def test_observe_and_invalidate() -> None:
    client = FakeClient([job(1, JobState.OPEN, queued=1)])
    poller, clock, published = make(client)
    await step(poller, clock, 6)
    gets = client.gets[job_id(1)]
    aborted = dataclasses.replace(
        client.jobs[job_id(1)],
        state=JobState.ABORTED,
        number_batches_queued=0,
        system_modstamp=clock.now(),
    )
    poller.observe(aborted)
    assert published[-1].jobs[job_id(1)].job.state is JobState.ABORTED
    poller.invalidate(job_id(1))
    client.jobs[job_id(1)] = aborted
    await step(poller, clock)
    assert client.gets[job_id(1)] == gets + 1


async def test_run_loop_with_fake_sleep() -> None:
    client = FakeClient([job(1, JobState.OPEN, queued=1)])
    clock = ManualClock()
    slept: list[float] = []
    cycles = asyncio.Event()

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)
        if len(slept) >= 5:
            cycles.set()
            await asyncio.Event().wait()  # park until cancelled

    poller = Poller(client, PollerConfig(select_delay=0), clock=clock, sleep=sleep)
    task = asyncio.create_task(poller.run())
    await asyncio.wait_for(cycles.wait(), 5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert slept[:4] == [5.0, 5.0, 5.0, 5.0]
    assert client.calls["list_jobs"] == 5


async def test_a_rate_is_not_frozen_once_a_job_stops_moving() -> None:
    client = FakeClient([job(1, JobState.OPEN, queued=1, processed=0)])
    poller, clock, published = make(client)
    await step(poller, clock)
    for n in range(1, 4):
        client.update(1, number_records_processed=135 * n)
        await step(poller, clock)
    assert poller.snapshot.jobs[job_id(1)].throughput == 27.0
    seen = len(published)
    await step(poller, clock, 2)  # it stopped: within two cycles the rate says so
    assert poller.snapshot.jobs[job_id(1)].throughput == 0.0
    assert len(published) > seen  # and the console hears it
    client.update(1, state=JobState.CLOSED, number_batches_queued=0, system_modstamp=clock.now())
    await step(poller, clock, 2)
    assert poller.snapshot.jobs[job_id(1)].throughput is None  # ended: no rate at all


async def test_loading_until_the_detail_arrives_unless_the_row_shows_it_ended() -> None:
    rows = [
        job(1, JobState.OPEN, queued=1),
        job(2, JobState.CLOSED),
        job(3, JobState.JOB_COMPLETE, job_type=JobType.V2_INGEST),
        job(4, JobState.FAILED),
    ]
    client = FakeClient(rows)
    client.fail_with = None
    poller, clock, published = make(client, backfill_per_cycle=1)
    client.fail_get = {job_id(n): TransportError("reset") for n in (1, 2, 3, 4)}
    await step(poller, clock)
    first = published[0].jobs  # the listing, before any GET
    assert {n: first[job_id(n)].loading for n in (1, 2, 3, 4)} == {
        1: True,  # live by its row, no counts yet
        2: True,  # a Closed 1.0 row cannot say whether batches still run
        3: False,  # a finished 2.0 job: ended by its row
        4: False,
    }
    assert first[job_id(3)].kind is JobKind.V2_INGEST and first[job_id(1)].kind is JobKind.V1
    client.fail_get = {}
    await step(poller, clock, 4)
    assert not any(v.loading for v in poller.snapshot.jobs.values())


async def test_a_session_failure_that_names_its_fix_is_not_given_other_advice() -> None:
    """A Salesforce CLI profile is fixed with ``sf org login web``: the problem line says
    that, and not also "Log in again (bulktui login)"."""
    client = FakeClient([job(1)])
    poller, clock, _ = make(client)
    await step(poller, clock)
    client.fail_with = ReauthenticationError(
        "getting a token from the Salesforce CLI failed for profile 'ops': expired. "
        "To fix it, run: sf org login web --alias ops",
        says_fix=True,
    )
    await poller.cycle()
    problem = poller.snapshot.problem or ""
    assert poller.snapshot.link is LinkState.STALE
    assert problem.startswith("The session has expired and could not be renewed; trying again")
    assert "Getting a token from the Salesforce CLI failed" in problem
    assert "sf org login web --alias ops" in problem
    assert "bulktui login" not in problem
