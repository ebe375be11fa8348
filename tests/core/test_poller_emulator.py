"""The poller against the real emulator in process: request counts read from the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bulktui.api.enums import JobState
from bulktui.api.lifecycle import is_live
from bulktui.core.actions import ActionRefused, ActionRunner, ActionSucceeded
from bulktui.core.snapshot import LinkState

from .emulated import GET_BATCHES, GET_JOB, Org, make_org


@pytest.fixture
async def org() -> AsyncIterator[Org]:
    o = make_org()
    async with o.client, o.control:
        yield o


async def test_ended_jobs_are_fetched_once_then_only_listed(org: Org) -> None:
    org.ended(30)
    org.start_poller()
    await org.cycles(10)
    assert org.requests(GET_JOB) == 30
    assert org.list_pages() == 2 * 10  # /jobs/ingest and /jobs/query, one page each
    assert org.requests("GET /services/oauth2/userinfo") == 1
    assert org.requests(GET_BATCHES) == 0
    snap = org.poller.snapshot  # type: ignore[union-attr]
    assert len(snap.jobs) == 30
    assert all(v.job.number_records_processed == 200 for v in snap.jobs.values())
    assert snap.user_names[org.engine.default_user.id] == org.engine.default_user.name


async def test_a_running_job_is_fetched_every_cycle_until_it_ends(org: Org) -> None:
    org.ended(5)
    job = org.running(batches=2, rows=100, rate=5.0)  # 20 s of processing per batch
    poller = org.start_poller()
    await org.cycles(12)
    view = poller.snapshot.jobs[job.id]
    assert view.job.state is JobState.CLOSED and not is_live(view.job)
    assert view.job.number_records_processed == 200
    gets = org.requests(GET_JOB)
    await org.cycles(10)
    assert org.requests(GET_JOB) == gets  # ended: no more GETs
    # Fetched every cycle while it moved (~5 cycles), never more than once a cycle.
    assert 5 + 4 <= gets <= 5 + 12


async def test_throughput_from_successive_observations(org: Org) -> None:
    job = org.running(batches=1, rows=1000, rate=10.0)
    poller = org.start_poller()
    await org.cycles(4)
    view = poller.snapshot.jobs[job.id]
    assert view.throughput is not None and 9.0 <= view.throughput <= 11.0


async def test_a_stalled_open_job_backs_off(org: Org) -> None:
    org.engine.create_job(
        org.engine.default_user, {"operation": "insert", "object": "Account"}, "64.0"
    )
    org.start_poller()
    await org.cycles(20)
    assert org.requests(GET_JOB) == 5  # cycles 1, 2, 4, 8, 16


async def test_only_the_selected_job_has_its_batches_listed(org: Org) -> None:
    org.ended(3)
    a = org.running(batches=2, rows=400, rate=5.0)
    org.running(batches=2, rows=400, rate=5.0)
    poller = org.start_poller()
    await org.cycles(1)
    poller.select(a.id)
    await org.cycles(5)
    assert org.requests(GET_BATCHES) == 5
    snap = poller.snapshot
    assert snap.selected_job_id == a.id
    assert snap.batches is not None and {b.job_id for b in snap.batches} == {a.id}


async def test_selecting_an_ended_job_costs_one_batch_list(org: Org) -> None:
    (done,) = org.ended(1)
    poller = org.start_poller(select_delay=0)
    await org.cycles(1)
    poller.select(done.id)
    await poller.fetch_selection()
    assert poller.snapshot.batches is not None and len(poller.snapshot.batches) == 1
    await org.cycles(5)
    assert org.requests(GET_BATCHES) == 1
    assert org.requests(GET_JOB) == 1


async def test_purged_job_is_shown_as_purged(org: Org) -> None:
    old = org.clock.now() - timedelta(days=7) + timedelta(seconds=30)
    (job,) = org.ended(
        1,
        createdDate=old.isoformat(),
        batches=[{"state": "Completed", "createdDate": old.isoformat()}],
    )
    org.ended(2)
    poller = org.start_poller()
    await org.cycles(1)
    assert not poller.snapshot.jobs[job.id].purged
    org.clock.advance(60)
    await org.cycles(3)
    snap = poller.snapshot
    assert snap.jobs[job.id].purged and snap.link is LinkState.LIVE and snap.problem is None
    assert org.requests(GET_JOB) == 3 + 1  # one GET confirms that the job is gone


async def test_no_snapshot_when_nothing_changed_and_pause_sends_nothing(org: Org) -> None:
    org.ended(10)
    poller = org.start_poller()
    await org.cycles(2)
    published = len(org.published)
    await org.cycles(10)
    assert len(org.published) == published
    poller.pause()
    sent = org.requests()
    await org.cycles(10)
    assert org.requests() == sent
    assert org.published[-1].link is LinkState.PAUSED


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("http503=1", "HTTP 503"),
        ("html=1", "could not be read"),
        ("reset=1", "unreachable"),
        ("malformed=1", "could not be read"),
    ],
)
async def test_fault_degrades_keeps_data_and_recovers_within_two_cycles(
    org: Org, spec: str, words: str
) -> None:
    org.ended(5)
    job = org.running(batches=2, rows=400, rate=5.0)
    poller = org.start_poller()
    await org.cycles(2)
    before = poller.snapshot.jobs
    await org.faults(spec)
    await poller.cycle()
    status = poller.status
    assert status.link is LinkState.DEGRADED
    assert status.problem is not None and words in status.problem, status.problem
    assert poller.snapshot.jobs[job.id] == before[job.id]  # last data stays
    for _ in range(3):
        org.clock.advance((poller.next_cycle_at() - org.clock.now()).total_seconds())
        await poller.cycle()
    assert poller.status.link is LinkState.STALE
    await org.faults("")
    processed = org.engine.job_info(job).number_records_processed
    for _ in range(2):
        await poller.cycle()
    assert poller.status.link is LinkState.LIVE and poller.status.problem is None
    assert poller.snapshot.jobs[job.id].job.number_records_processed == processed


async def test_quota_slows_to_a_probe_that_costs_two_requests(org: Org) -> None:
    org.ended(5)
    org.running()
    poller = org.start_poller()
    await org.cycles(2)
    await org.faults("quota=1")
    sent = poller.status.requests  # the client's count: faulted requests never reach a route
    await poller.cycle()
    assert poller.status.requests - sent <= 2  # the two job listings go out together
    status = poller.status
    assert status.problem is not None and "API request limit" in status.problem
    assert (poller.next_cycle_at() - org.clock.now()) == timedelta(minutes=5)
    await org.faults("")
    org.clock.advance(300)
    await poller.cycle()
    assert poller.status.link is LinkState.LIVE


async def test_expired_sessions_are_renewed_unnoticed() -> None:
    org = make_org("expire-sessions-every=12")
    async with org.client, org.control:
        org.ended(3)
        org.running()
        poller = org.start_poller()
        for _ in range(8):
            await org.cycles(1)
            assert poller.status.link is LinkState.LIVE, poller.status.problem


async def test_session_that_cannot_be_renewed_is_stale_with_a_plain_message() -> None:
    org = make_org(reauth=False)
    async with org.client, org.control:
        org.ended(3)
        poller = org.start_poller()
        await org.cycles(1)
        await org.control.post("/_emulator/expire-sessions")
        await poller.cycle()
        status = poller.status
        assert status.link is LinkState.STALE
        assert status.problem is not None and "Log in again" in status.problem
        assert len(poller.snapshot.jobs) == 3


async def test_actions_against_the_emulator(org: Org) -> None:
    running = org.running(batches=6, rows=400, rate=5.0)
    (finished,) = org.ended(1)
    poller = org.start_poller()
    runner = ActionRunner(org.client, poller)
    await org.cycles(1)

    aborted = await runner.abort(running.id)
    assert isinstance(aborted, ActionSucceeded) and aborted.job.state is JobState.ABORTED
    assert org.published[-1].jobs[running.id].job.state is JobState.ABORTED  # painted at once

    again = await runner.abort(running.id)
    assert isinstance(again, ActionRefused)
    assert again.reason == (
        f"Job {running.id} had already changed, so nothing was aborted: "
        "Only an Open or Closed job can be aborted; this one is Aborted."
    )

    closed = await runner.close(finished.id)
    assert isinstance(closed, ActionRefused) and "this one is Closed" in closed.reason

    late = await runner.abort(finished.id)  # 1.0 allows it; say nothing was stopped
    assert isinstance(late, ActionSucceeded) and "nothing was stopped" in late.message


async def test_abort_by_id_of_a_job_the_org_does_not_know(org: Org) -> None:
    org.ended(2)
    poller = org.start_poller()
    runner = ActionRunner(org.client, poller)
    await org.cycles(1)
    unknown = "7505g000ZZZZZZZAY5"
    sent = org.requests()
    outcome = await runner.abort(unknown)
    assert isinstance(outcome, ActionRefused)
    assert outcome.reason == f"Job {unknown}: no such job in this org; nothing was aborted."
    # one look-up, which asks the three endpoints (docs/wire-facts.md §6.2); no abort was sent
    assert org.requests() == sent + 3
    assert unknown not in poller.snapshot.jobs
