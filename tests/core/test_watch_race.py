"""Guard rules acting through the real ActionRunner and LiveBackend on the in-process emulator:
a job that ended between the snapshot and the abort, two rules on one job, and a rule that
fires once a load crosses its line while the poller watches it."""

from __future__ import annotations

from datetime import timedelta

from bulktui.api.enums import JobState, JobType, Operation
from bulktui.api.models import JobInfo
from bulktui.core.guard_rules import parse_rules
from bulktui.core.guard_session import build_guards
from bulktui.core.guards import EventKind, GuardEvent, Outcome
from bulktui.core.live import LiveBackend
from bulktui.core.snapshot import JobView, LinkState, Snapshot
from bulktui.emulator.state import Job
from tests.core.emulated import URL, Org, make_org

RULES = parse_rules(
    '[[rule]]\nname = "failing"\nwhen = "failure_rate > 10%"\naction = "abort"\n'
    '[[rule]]\nname = "many failed"\nwhen = "failed > 20"\naction = "abort"\n'
)


def finished_v2_job(org: Org) -> Job:
    user = org.engine.default_user
    job = org.engine.v2.create_ingest(user, {"object": "Account", "operation": "insert"}, "64.0")
    job.records_per_second = 1000.0
    org.engine.v2.upload(job, b"Name\n" + b"Acme\n" * 100, "text/csv")
    org.engine.v2.patch(job, {"state": "UploadComplete"})
    org.clock.advance(60)
    org.engine.advance(until=org.clock.now())
    return job


def stale_view(job: Job) -> Snapshot:
    """What a snapshot showed a moment before the job ended: running, half its rows failed."""
    info = JobInfo(
        id=job.id,
        state=JobState.IN_PROGRESS,
        job_type=JobType.V2_INGEST,
        object="Account",
        operation=Operation.INSERT,
        number_records_processed=60,
        number_records_failed=30,
    )
    return Snapshot(jobs={job.id: JobView(info)}, link=LinkState.LIVE, fetched_at=None)


async def test_a_job_that_ended_before_the_abort_is_already_finished_not_an_error() -> None:
    org = make_org()
    job = finished_v2_job(org)
    backend = LiveBackend(org.client, instance_url=URL, clock=org.clock)
    events: list[GuardEvent] = []
    guards = build_guards(
        RULES,
        backend,
        arm=True,
        read_only=False,
        dry_run=False,
        clock=org.clock,
        listeners=[events.append],
    )
    await guards.runner.handle(stale_view(job))
    actions = [(e.rule, e.outcome) for e in events if e.event is EventKind.ACTION]
    assert actions == [("failing", Outcome.REFUSED), ("many failed", Outcome.NOT_NEEDED)]
    refused = next(e for e in events if e.outcome is Outcome.REFUSED)
    assert refused.message.startswith("rule 'failing': already finished; nothing to do (")
    assert org.engine.jobs[job.id].state is JobState.JOB_COMPLETE
    assert guards.fired == {job.id: ("failing", "many failed")}
    await backend.aclose()


async def test_unarmed_read_only_sends_nothing_to_the_server() -> None:
    org = make_org()
    job = finished_v2_job(org)
    backend = LiveBackend(org.client, instance_url=URL, clock=org.clock, read_only=True)
    events: list[GuardEvent] = []
    guards = build_guards(
        RULES, backend, arm=True, read_only=True, dry_run=False, listeners=[events.append]
    )
    assert guards.arming.words() == "guards not armed"
    before = sum(org.engine.stats.values())
    await guards.runner.handle(stale_view(job))
    assert sum(org.engine.stats.values()) == before  # not even a read
    assert {e.outcome for e in events if e.event is EventKind.ACTION} == {Outcome.DRY_RUN}
    await backend.aclose()


async def test_the_poller_feeds_the_rule_and_the_abort_lands_in_the_crossing_cycle() -> None:
    org = make_org()
    rules = parse_rules(
        '[[rule]]\nname = "failing"\nwhen = "failure_rate > 10% and processed >= 100"\n'
        'action = "abort"\n'
    )
    user = org.engine.default_user
    job = org.engine.create_job(
        user, {"operation": "insert", "object": "Account", "contentType": "CSV"}, "64.0"
    )
    job.records_per_second = 20.0
    good = b"Name\n" + b"Acme\n" * 200
    bad = b"Name\n" + b'""\n' * 200  # a blank required Name fails every row
    org.engine.add_batch(job, user, good, "text/csv")
    org.engine.add_batch(job, user, bad, "text/csv")
    org.engine.update_job(job, user, {"state": "Closed"})

    backend = LiveBackend(org.client, instance_url=URL, clock=org.clock)
    events: list[GuardEvent] = []
    guards = build_guards(rules, backend, arm=True, read_only=False, dry_run=False, clock=org.clock)
    guards.add_listener(events.append)
    guards.runner.engine._started_at = org.clock.now() - timedelta(hours=1)
    backend.poller.add_listener(guards.runner.feed)
    crossed_in = acted_in = None
    for cycle in range(40):
        await backend.poller.cycle()
        while not guards.runner._queue.empty():
            snapshot = guards.runner._queue.get_nowait()
            assert snapshot is not None
            view = snapshot.jobs.get(job.id)
            rate = view.failure_rate if view is not None else None
            processed = view.job.number_records_processed or 0 if view is not None else 0
            if crossed_in is None and rate is not None and rate > 0.10 and processed >= 100:
                crossed_in = cycle
            await guards.runner.handle(snapshot)
        if acted_in is None and any(e.event is EventKind.ACTION for e in events):
            acted_in = cycle
            break
        org.clock.advance(5)
    (action,) = [e for e in events if e.event is EventKind.ACTION]
    assert action.outcome is Outcome.SUCCEEDED, action.message
    assert crossed_in is not None and acted_in == crossed_in  # no cycle lost
    assert org.engine.jobs[job.id].state is JobState.ABORTED
    await backend.aclose()
