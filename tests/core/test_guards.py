"""The guard engine and runner: which jobs fire, once, and what an armed rule does."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bulktui.api.enums import JobState, JobType, Operation
from bulktui.api.models import JobInfo
from bulktui.core.actions import Action, ActionOutcome, ActionRefused, ActionSucceeded, Origin
from bulktui.core.guard_rules import parse_rules
from bulktui.core.guards import (
    EventKind,
    GuardEngine,
    GuardEvent,
    GuardRunner,
    Outcome,
    decide_arming,
)
from bulktui.core.snapshot import JobView, LinkState, Snapshot

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
USER = "0055g00000USERAAA2"


class Clock:
    def __init__(self) -> None:
        self.now_value = T0

    def now(self) -> datetime:
        return self.now_value


def job(
    n: int,
    *,
    state: str = "InProgress",
    job_type: str = "V2Ingest",
    obj: str = "Invoice__c",
    op: str = "insert",
    processed: int | None = 0,
    failed: int | None = 0,
    created: datetime = T0 - timedelta(hours=1),
) -> JobInfo:
    return JobInfo(
        id=f"7505g00000JOB{n:03d}AA",
        state=JobState(state),
        job_type=JobType(job_type),
        object=obj,
        operation=Operation(op),
        created_by_id=USER,
        created_date=created,
        system_modstamp=created,
        number_records_processed=processed,
        number_records_failed=failed,
    )


def snap(*jobs: JobInfo, link: LinkState = LinkState.LIVE) -> Snapshot:
    return Snapshot(
        jobs={j.id: JobView(j) for j in jobs},
        link=link,
        fetched_at=T0,
        user_names={USER: "Ada Lovelace"},
    )


FAILING = parse_rules(
    '[[rule]]\nname = "failing"\nobject = "Invoice__c"\n'
    'when = "failure_rate > 10% and processed >= 500"\naction = "abort"\n'
)


def test_fires_once_when_the_line_is_crossed() -> None:
    engine = GuardEngine(FAILING, started_at=T0)
    assert engine.evaluate(snap(job(1, processed=400, failed=100)), T0) == []  # too few
    assert engine.evaluate(snap(job(1, processed=1000, failed=90)), T0) == []  # 9%
    (firing,) = engine.evaluate(snap(job(1, processed=1000, failed=120)), T0)
    assert firing.rule.name == "failing"
    assert "failure rate 12.0% (120 of 1,000 records)" in firing.facts
    assert engine.evaluate(snap(job(1, processed=2000, failed=400)), T0) == []  # once only


def test_scope_globs_type_and_creator() -> None:
    rules = parse_rules(
        '[[rule]]\nname = "a"\nobject = "inv*"\njob_type = "V2"\ncreated_by = "ada*"\n'
        'when = "always"\naction = "flag"\n'
        '[[rule]]\nname = "b"\noperation = "hardDelete"\nwhen = "always"\naction = "flag"\n'
        '[[rule]]\nname = "c"\ncreated_by = "0055g00000USERA"\njob_type = "V1"\n'
        'when = "always"\naction = "flag"\n'
    )
    engine = GuardEngine(rules, started_at=T0)
    fired = engine.evaluate(
        snap(
            job(1),
            job(2, obj="Account", op="hardDelete"),
            job(3, job_type="Classic", state="Open"),
        ),
        T0,
    )
    assert sorted((f.rule.name, f.job.id[-5:]) for f in fired) == [
        ("a", "001AA"),
        ("b", "002AA"),
        ("c", "003AA"),
    ]


def test_finished_history_does_not_fire_but_new_jobs_do() -> None:
    rules = parse_rules('[[rule]]\nname = "all"\nwhen = "always"\naction = "flag"\n')
    engine = GuardEngine(rules, started_at=T0)
    old = job(1, state="JobComplete")
    fresh = job(2, state="JobComplete", created=T0 + timedelta(seconds=5))
    fired = engine.evaluate(snap(old, fresh), T0 + timedelta(seconds=10))
    assert [f.job.id for f in fired] == [fresh.id]


def test_open_for_and_stalled_for_depend_on_time() -> None:
    rules = parse_rules(
        '[[rule]]\nname = "forgotten"\nwhen = "open_for > 30m"\naction = "close"\n'
        '[[rule]]\nname = "stalled"\nwhen = "stalled_for > 10m"\naction = "flag"\n'
    )
    engine = GuardEngine(rules, started_at=T0)
    open_job = job(1, state="Open", job_type="Classic", created=T0 - timedelta(minutes=20))
    moving = job(2, processed=10, created=T0)
    assert engine.evaluate(snap(open_job, moving), T0) == []
    later = T0 + timedelta(minutes=11)
    fired = engine.evaluate(snap(open_job, moving), later)
    assert sorted((f.rule.name, f.job.id) for f in fired) == [
        ("forgotten", open_job.id),
        ("stalled", moving.id),
    ]
    stalled = next(f for f in fired if f.rule.name == "stalled")
    assert stalled.facts == "without progress for 11 min"


def test_a_stall_started_before_we_watched_counts_from_the_server_stamp() -> None:
    rules = parse_rules('[[rule]]\nname = "s"\nwhen = "stalled_for > 10m"\naction = "flag"\n')
    engine = GuardEngine(rules, started_at=T0)
    (firing,) = engine.evaluate(snap(job(1, processed=10, created=T0 - timedelta(hours=1))), T0)
    assert firing.facts == "without progress for 60 min"


def test_progress_resets_the_stall_clock() -> None:
    rules = parse_rules('[[rule]]\nname = "s"\nwhen = "stalled_for > 10m"\naction = "flag"\n')
    engine = GuardEngine(rules, started_at=T0)
    engine.evaluate(snap(job(1, processed=10, created=T0)), T0)
    engine.evaluate(snap(job(1, processed=20, created=T0)), T0 + timedelta(minutes=8))
    assert engine.evaluate(snap(job(1, processed=20, created=T0)), T0 + timedelta(minutes=15)) == []
    fired = engine.evaluate(snap(job(1, processed=20, created=T0)), T0 + timedelta(minutes=19))
    assert [f.rule.name for f in fired] == ["s"]


def test_abort_rules_ignore_jobs_that_cannot_be_aborted() -> None:
    engine = GuardEngine(FAILING, started_at=T0 - timedelta(days=1))
    done = job(1, state="JobComplete", processed=1000, failed=500)
    assert engine.evaluate(snap(done), T0) == []


def test_arming() -> None:
    broad = parse_rules('armed = true\n[[rule]]\nname = "x"\nwhen = "always"\naction = "abort"\n')
    assert decide_arming(broad, arm=False, read_only=False, dry_run=False).acting == frozenset()
    assert (
        "only with --arm"
        in decide_arming(broad, arm=False, read_only=False, dry_run=False).held_back[0]
    )
    assert decide_arming(broad, arm=True, read_only=False, dry_run=False).armed
    assert not decide_arming(broad, arm=True, read_only=True, dry_run=False).armed
    assert not decide_arming(FAILING, arm=False, read_only=False, dry_run=False).armed
    armed = decide_arming(FAILING, arm=True, read_only=False, dry_run=False)
    assert armed.armed and armed.words() == "guards armed"
    dry = decide_arming(FAILING, arm=True, read_only=False, dry_run=True)
    assert not dry.armed and dry.words() == "guards: dry run"


@dataclass
class RecordingActions:
    answer: str = "ok"
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)

    async def abort(
        self, job_id: str, *, origin: Origin = "console", rule: str | None = None
    ) -> ActionOutcome:
        self.calls.append((job_id, origin, rule))
        if self.answer == "ok":
            return ActionSucceeded(Action.ABORT, job(1, state="Aborted"), f"Job {job_id} aborted.")
        return ActionRefused(
            Action.ABORT, job_id, f"Job {job_id} had already completed; nothing was aborted."
        )

    async def close(
        self, job_id: str, *, origin: Origin = "console", rule: str | None = None
    ) -> ActionOutcome:
        raise AssertionError("no close expected")


def runner_for(rules_text: str, actions: RecordingActions, *, arm: bool, dry_run: bool = False):
    rules = parse_rules(rules_text)
    events: list[GuardEvent] = []
    runner = GuardRunner(
        GuardEngine(rules, started_at=T0),
        decide_arming(rules, arm=arm, read_only=False, dry_run=dry_run),
        actions,
        events.append,
        Clock(),
    )
    return runner, events


TWO_RULES = (
    '[[rule]]\nname = "first"\nwhen = "failed > 10"\naction = "abort"\n'
    '[[rule]]\nname = "second"\nwhen = "failure_rate > 5%"\naction = "abort"\n'
)


async def test_armed_rule_aborts_through_the_runner_and_the_second_is_not_needed() -> None:
    actions = RecordingActions()
    runner, events = runner_for(TWO_RULES, actions, arm=True)
    await runner.handle(snap(job(1, processed=100, failed=50)))
    assert actions.calls == [(job(1).id, "rule", "first")]
    outcomes = [(e.event, e.rule, e.outcome) for e in events]
    assert outcomes == [
        (EventKind.RULE_FIRED, "first", None),
        (EventKind.ACTION, "first", Outcome.SUCCEEDED),
        (EventKind.RULE_FIRED, "second", None),
        (EventKind.ACTION, "second", Outcome.NOT_NEEDED),
    ]
    assert events[1].to_json()["outcome"] == "succeeded"
    assert set(events[0].to_json()) >= {
        "time",
        "event",
        "rule",
        "job_id",
        "action",
        "outcome",
        "message",
    }


async def test_unarmed_and_dry_run_send_nothing() -> None:
    for arm, dry in ((False, False), (True, True)):
        actions = RecordingActions()
        runner, events = runner_for(TWO_RULES, actions, arm=arm, dry_run=dry)
        await runner.handle(snap(job(1, processed=100, failed=50)))
        assert actions.calls == []
        assert events[1].outcome is Outcome.DRY_RUN
        assert "would abort" in events[1].message


async def test_a_job_that_ended_first_is_logged_as_already_finished() -> None:
    actions = RecordingActions(answer="refused")
    runner, events = runner_for(TWO_RULES, actions, arm=True)
    await runner.handle(snap(job(1, processed=100, failed=50)))
    assert events[1].outcome is Outcome.REFUSED
    assert "already finished" in events[1].message


async def test_link_events() -> None:
    actions = RecordingActions()
    runner, events = runner_for(TWO_RULES, actions, arm=True)
    for link in (LinkState.LIVE, LinkState.DEGRADED, LinkState.LIVE):
        await runner.handle(snap(link=link))
    assert [e.message for e in events] == ["degraded", "recovered"]


async def test_a_link_stale_from_the_start_is_said_while_the_jobs_are_the_journals() -> None:
    """A watcher whose session was dead at launch never gets a listing: its snapshots stay
    the journal's. It said nothing of the link at all (rules rightly ignore those jobs)."""
    actions = RecordingActions()
    runner, events = runner_for(TWO_RULES, actions, arm=True)
    await runner.handle(dataclasses.replace(snap(link=LinkState.LIVE), source="journal"))
    stale = dataclasses.replace(
        snap(job(1, processed=100, failed=50), link=LinkState.STALE),
        source="journal",
        problem="The session has expired and could not be renewed.",
    )
    await runner.handle(stale)
    assert [e.message for e in events] == [
        "stale: The session has expired and could not be renewed."
    ]
    assert actions.calls == []  # the journal's job is not acted on


async def test_the_queue_runs_in_order_and_stop_acts_on_nothing_queued() -> None:
    actions = RecordingActions()
    runner, events = runner_for(TWO_RULES, actions, arm=True)
    task = asyncio.create_task(runner.run())
    runner.feed(snap(link=LinkState.DEGRADED))
    runner.feed(snap(link=LinkState.LIVE))
    while not runner._queue.empty():
        await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert [e.message for e in events] == ["degraded", "recovered"]
    runner.stop()
    runner.feed(snap(job(1, processed=100, failed=50)))  # after SIGTERM: never acted on
    await task
    assert actions.calls == []
